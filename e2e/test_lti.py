"""ATTN inside an LMS, in Chromium: the loopback platform (scripts/lti_platform.py, built from lti1p3platform)
shows its course page with ATTN in an iframe, as Moodle and Canvas do. An administrator registers the
platform by dynamic registration; the teacher launches from the course page into ATTN in its frame and
opens a session; a student launches from the same course page in their own browser and checks in with the
rotating code; after the sweep the platform's gradebook holds the student's score.

On loopback the platform (127.0.0.1:one port) and ATTN (127.0.0.1:another) are the same site, so Chromium
keeps ATTN's cookies in the frame: the walk goes through the frame, not the new-window fallback, which the
cookie check offers only where the frame loses its cookies (a real LMS on another site, over HTTP)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import FrameLocator, Page, expect

from e2e.helpers import ADMIN_PASSWORD, SWEEP_TIMEOUT_MS, log_in

CONTEXT = "lti-e2e"
COURSE = {"label": "LTI301", "title": "Attendance in the LMS"}
TEACHER = {"user": "lms-e2e-t", "number": "T9101", "name": "Ingrid Instructor", "role": "Instructor"}
STUDENT = {"user": "lms-e2e-s", "number": "S9101", "name": "Lars Learner", "role": "Learner"}
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCORE_TIMEOUT_S = 120
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def lms(app_server: str) -> Iterator[str]:
    """The platform, with the course's members as its roster service lists them (so a roster sync keeps them)."""
    from tests.lti_platform import platform

    with platform(tool_base=app_server) as issuer:
        members = [
            {
                "user_id": person["user"],
                "lis_person_sourcedid": person["number"],
                "name": person["name"],
                "roles": [MEMBERSHIP + person["role"]],
                "status": "Active",
            }
            for person in (TEACHER, STUDENT)
        ]
        requests.put(f"{issuer}/control/members/{CONTEXT}", json=members, timeout=10).raise_for_status()
        yield issuer


def course_page(lms: str, person: dict) -> str:
    return f"{lms}/courses/{CONTEXT}?{urlencode({**person, **COURSE})}"


def _registers_the_platform(page: Page, lms: str) -> None:
    """The administrator copies the admin's dynamic registration link into the LMS, which opens it."""
    page.goto("/admin/lti_tool/ltiregistration/add/")
    log_in(page, "admin", ADMIN_PASSWORD)
    link = page.locator("li", has_text="dynamic registration").locator("code").inner_text()
    offer = requests.post(f"{lms}/control/registration-token", timeout=10).json()
    query = urlencode({"openid_configuration": offer["openid_configuration"], "registration_token": offer["token"]})
    page.goto(f"{link}?{query}")
    expect(page.get_by_role("heading", name="ATTN is registered")).to_be_visible()


def _teacher_places_attendance(page: Page, lms: str) -> None:
    """The LMS's content picker opens ATTN in its frame; the choice goes back by itself (a static script)."""
    page.goto(course_page(lms, {**TEACHER, "message": "deep_link"}))
    attn = page.frame_locator("#tool")
    attn.get_by_label("Title of the link in the LMS course").fill("Attendance (LTI301)")
    attn.get_by_role("button", name="Place in the course").click()
    expect(attn.locator("#placed li")).to_have_text(["Attendance (LTI301)"])  # the platform's page: verified
    assert requests.get(f"{lms}/control/deep-links", timeout=10).json()[-1]["title"] == "Attendance (LTI301)"


def _teacher_opens_a_session(page: Page, lms: str) -> FrameLocator:
    page.goto(course_page(lms, TEACHER))
    attn = page.frame_locator("#tool")
    expect(attn.get_by_role("heading", level=1)).to_contain_text(COURSE["title"])  # the course's page, made now
    attn.locator("nav.wide").get_by_role("link", name="Start").click()
    attn.get_by_label("Course", exact=True).select_option(label=f"{COURSE['label']} — {COURSE['title']}")
    attn.get_by_role("button", name="Start session").click()
    expect(attn.get_by_role("button", name="Finish now")).to_be_visible()
    expect(attn.locator(f"#row-{STUDENT['number']} .badge.missing")).to_be_visible()  # enrolled by the roster
    return attn


def _student_checks_in(page: Page, lms: str, code: str) -> None:
    page.goto(course_page(lms, STUDENT))
    attn = page.frame_locator("#tool")
    attn.get_by_label("Code on the screen").fill(code)
    attn.get_by_role("button", name="Check in", exact=True).click()
    expect(attn.locator("#result-status")).to_have_text("present")


def _score_in_the_gradebook(lms: str) -> dict:
    deadline = time.monotonic() + SCORE_TIMEOUT_S
    while time.monotonic() < deadline:
        scores = requests.get(f"{lms}/control/scores", timeout=10).json()
        mine = [s for s in scores if s["context"] == CONTEXT and s["userId"] == STUDENT["user"]]
        if mine:
            return mine[-1]
        time.sleep(1)
    pytest.fail(f"the platform received no score for {STUDENT['user']} within {SCORE_TIMEOUT_S} s")


def test_a_class_runs_inside_the_lms_and_the_score_lands_in_its_gradebook(new_context, lms):
    _registers_the_platform(new_context().new_page(), lms)

    teacher = new_context().new_page()
    blocked: list[str] = []
    _watch_csp(teacher, blocked)
    _teacher_places_attendance(teacher, lms)
    attn = _teacher_opens_a_session(teacher, lms)
    with teacher.context.expect_page() as opened:
        attn.get_by_role("link", name="Projector view").click()
    projector = opened.value
    expect(projector.locator("#current-code")).to_have_attribute("data-code", re.compile(r"^\d{6}$"))

    student = new_context().new_page()
    _watch_csp(student, blocked)
    _student_checks_in(student, lms, projector.locator("#current-code").get_attribute("data-code"))
    expect(attn.locator(f"#row-{STUDENT['number']} .badge.present")).to_be_visible()

    teacher.once("dialog", lambda dialog: dialog.accept())
    attn.get_by_role("button", name="Finish now").click()
    # The finished page polls until the sweep has saved the session, then shows its records.
    expect(attn.locator(f"#record-{STUDENT['number']} .badge")).to_have_text("Present", timeout=SWEEP_TIMEOUT_MS)
    frame = next(f for f in teacher.frames if f.parent_frame is not None)
    assert re.search(rf"/teach/sessions/{UUID}/$", frame.url), frame.url

    score = _score_in_the_gradebook(lms)
    assert (score["scoreGiven"], score["scoreMaximum"]) == (100, 100)
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


def _watch_csp(page: Page, blocked: list[str]) -> None:
    """Note what the CSP blocks in the LMS's page and ATTN's frame (new_context watches ATTN's own pages only)."""
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
