"""Constants and page helpers shared by the end-to-end tests."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.utils.translation import gettext as _
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"

# Short code steps let a test see a code go out of date in seconds (the app refuses less than 5).
CODE_STEP_SECONDS = 10
ACTION_TIMEOUT_MS = 15_000
# The finish button enqueues the sweep at once; the scheduled one runs every minute besides (the wait
# covers two of those: one e2e run in six saw the enqueued sweep wait for the scheduled one).
SWEEP_TIMEOUT_MS = 150_000

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Mobile Safari/537.36"
    ),
}

TEACHER_PASSWORD = "teacher-demo"
STUDENT_PASSWORD = "student-demo"
ADMIN_PASSWORD = "admin-demo"
LIVE_URL = re.compile(r"/teach/live/([0-9a-f-]{36})/$")


def log_in(page: Page, school_number: str, password: str) -> None:
    """Fill the login form the page is on and submit it (its words in the active language: see e2e.conftest)."""
    page.get_by_label(_("School number")).fill(school_number)
    page.get_by_label(_("Password")).fill(password)
    page.get_by_role("button", name=_("Log in")).click()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save a picture of the page for the README (docs/screenshots/NAME.png), when asked (make screenshots)."""
    if not os.environ.get("ATTN_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, animations="disabled")


def start_session(teacher: Page, number: str, course: str, *, photo_check: bool = False) -> str:
    """Log the teacher in on /teach/ and start a session of the course (asking for selfies if told); its id."""
    teacher.goto("/teach/")
    log_in(teacher, number, TEACHER_PASSWORD)
    teacher.get_by_label(_("Course"), exact=True).select_option(label=course)
    if photo_check:
        teacher.get_by_label(_("Photo check")).select_option(label=_("Ask for a selfie"))
    teacher.get_by_role("button", name=_("Start session")).click()
    expect(teacher).to_have_url(LIVE_URL)
    return LIVE_URL.search(teacher.url).group(1)


def open_projector(teacher: Page) -> Page:
    """Open the live session's projector (a new tab) once it shows a code; the teacher's tab back in front."""
    with teacher.context.expect_page() as opened:
        teacher.get_by_role("link", name=_("Projector view")).click()
    projector = opened.value
    expect(projector.locator("#current-code")).to_have_attribute("data-code", re.compile(r"^\d{6}$"))
    teacher.bring_to_front()
    return projector


def current_code(teacher: Page) -> str:
    """The code the projector shows now (opened and closed again)."""
    projector = open_projector(teacher)
    code = projector.locator("#current-code").get_attribute("data-code")
    projector.close()
    teacher.bring_to_front()
    return code
