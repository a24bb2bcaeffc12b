"""Photo check in a real Chromium: references uploaded as a ZIP, selfies judged by the worker's real model."""

from __future__ import annotations

import json
import re
import zipfile

from playwright.sync_api import Page, expect

from attendance.tests.photo_helpers import astronaut_jpeg, someone_else_jpeg
from e2e.helpers import ADMIN_PASSWORD, PHONE, STUDENT_PASSWORD, current_code, log_in, screenshot, start_session

TEACHER = "T003"
COURSE = "PH120 — Physics I"
# seed_demo enrols S0002, S0004, … in PH120.
MATCHING, MISMATCHED = "S0002", "S0004"
VERIFY_TIMEOUT_MS = 60_000  # the worker loads the face model on its first photo


def test_selfies_are_checked_against_the_reference_photos(new_context, tmp_path):
    _admin_uploads_the_references(new_context().new_page(), tmp_path)
    teacher = new_context().new_page()
    sid = start_session(teacher, TEACHER, COURSE, photo_check=True)
    code = current_code(teacher)
    teacher.evaluate("window.sameDocument = true")  # gone if the live page reloads

    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(astronaut_jpeg())
    phone = new_context(PHONE).new_page()
    _student_checks_in_with_a_selfie(phone, MATCHING, code, selfie)
    expect(phone.locator("#result-status")).to_have_text("present", timeout=VERIFY_TIMEOUT_MS)
    row = teacher.locator(f"#row-{MATCHING}")
    expect(row.locator(".badge.present")).to_be_visible(timeout=VERIFY_TIMEOUT_MS)
    expect(row.locator(".photo-state")).to_contain_text("photo matched")
    assert teacher.evaluate("window.sameDocument") is True, "the roster must update without a reload"

    # The same face, but this student's reference is someone else: flagged for the teacher.
    other = new_context(PHONE).new_page()
    _student_checks_in_with_a_selfie(other, MISMATCHED, current_code(teacher), selfie)
    row = teacher.locator(f"#row-{MISMATCHED}")
    expect(row.locator(".badge.rejected")).to_be_visible(timeout=VERIFY_TIMEOUT_MS)
    expect(row.locator(".photo-state")).to_contain_text("photo did not match")
    expect(row.locator(".flag")).to_contain_text("photo did not match")
    screenshot(teacher, "photo-check-roster")

    _photos_are_not_reachable_without_the_right_login(other, new_context().new_page(), sid)
    _a_forged_callback_is_refused(teacher, sid)
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()


def _admin_uploads_the_references(admin: Page, tmp_path) -> None:
    archive = tmp_path / "references.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{MATCHING}.jpg", astronaut_jpeg())
        zf.writestr(f"{MISMATCHED}.jpg", someone_else_jpeg())
    admin.goto("/admin/attendance/referencephoto/upload-zip/")
    log_in(admin, "admin", ADMIN_PASSWORD)
    admin.get_by_label("ZIP of <school number>.jpg files").set_input_files(str(archive))
    admin.get_by_role("button", name="Upload").click()
    expect(admin.locator("#upload-progress")).to_be_visible()
    expect(admin.get_by_text("2 of 2 photos read: done")).to_be_visible(timeout=VERIFY_TIMEOUT_MS)
    expect(admin.locator("tr.ok")).to_have_count(2)
    screenshot(admin, "reference-upload")


def _student_checks_in_with_a_selfie(phone: Page, number: str, code: str, selfie) -> None:
    phone.goto("/checkin/")
    log_in(phone, number, STUDENT_PASSWORD)
    phone.get_by_label("Code on the screen").fill(code)
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/checkin/.+/go/"))
    expect(phone.get_by_text("deleted after 30 days")).to_be_visible()
    field = phone.get_by_label("Your selfie")
    field.set_input_files(str(selfie))
    # The browser scales the photo down before the upload.
    expect(field).to_have_attribute("data-scaled", re.compile(r"^\d+x\d+$"))
    scaled = field.get_attribute("data-scaled")
    assert max(int(side) for side in scaled.split("x")) <= 640, scaled
    phone.get_by_role("button", name="Check in").click()
    expect(phone).to_have_url(re.compile(r"/checkin/.+/result/$"))
    expect(phone.locator("#result")).to_contain_text(re.compile(r"Checking your photo|checked in|not accepted"))


def _photos_are_not_reachable_without_the_right_login(classmate: Page, anonymous: Page, sid: str) -> None:
    url = f"/photos/checkin/{sid}/{MATCHING}/"
    assert classmate.goto(url).status == 404, "another student may not see it"
    anonymous.goto(url)
    expect(anonymous).to_have_url(re.compile(r"/accounts/login/"))


def _a_forged_callback_is_refused(page: Page, sid: str) -> None:
    body = json.dumps({"id": "x", "session": sid, "student": MATCHING, "result": "match", "distance": 0.1})
    headers = {"Content-Type": "application/json", "X-ATTN-Timestamp": "1", "X-ATTN-Signature": "sha256=00"}
    answer = page.request.post("/api/verification/", data=body, headers=headers)
    assert answer.status in (400, 403), answer.status
    expect(page.locator(f"#row-{MATCHING} .badge.present")).to_be_visible()
