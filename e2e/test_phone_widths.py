"""The student's and the teacher's pages on phones 320 and 390 px wide, in English and in Turkish: nothing
scrolls sideways, and every button and reason box of the live roster is on the screen.

A page wider than the screen makes a phone zoom out to show it whole, so the window grows with it: the
test compares the page with the width it asked for, not with the window. A table too wide by nature (the
course report's matrix) scrolls inside its own box.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, expect

from e2e.helpers import PHONE, STUDENT_PASSWORD, SWEEP_TIMEOUT_MS, TEACHER_PASSWORD, log_in

WIDTHS = (320, 390)
LOCALES = {"en": "en-GB", "tr": "tr-TR"}
# seed_demo: T002 teaches MA110, which S0001, S0003, … take; no other test checks S0015 in or rejects S0017.
COURSE, TEACHER, STUDENT, REJECTED = "MA110 — Linear Algebra", "T002", "S0015", "S0017"
LONG_REASON = "Not seen in the room during the roll call; the seat by the window stayed empty"

MEASURE = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The elements that stick out on the right while their parent does not: where to look when a page is too wide.
STICKING_OUT = """(width) => [...document.body.querySelectorAll('*')]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5
    && el.parentElement.getBoundingClientRect().right <= width + 0.5)
  .slice(0, 4).map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`
    + ` (${Math.round(el.getBoundingClientRect().right)} px)`)"""
# The live roster's buttons and boxes that are not wholly on the screen.
OFF_SCREEN = """(width) => [...document.querySelectorAll('#roster button, #roster input')]
  .filter((el) => { const box = el.getBoundingClientRect(); return box.left < 0 || box.right > width + 0.5; })
  .map((el) => `${el.closest('tr').id}: ${el.id || el.textContent}`)"""


@pytest.mark.parametrize("language", ["en", "tr"])
def test_the_pages_fit_a_phone_320_and_390_px_wide(new_context, language):
    wide: list[str] = []
    with translation.override(language):
        phone = {**PHONE, "locale": LOCALES[language]}
        _the_pages_fit(lambda: new_context(phone).new_page(), wide)
    assert not wide, "wider than the phone:\n" + "\n".join(wide)


def _fits(page: Page, name: str, wide: list[str]) -> None:
    """Lay the page out at each phone width; note it if it is wider than the screen."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        scroll, window = page.evaluate(MEASURE)
        if scroll > width or window != width:
            culprits = ", ".join(page.evaluate(STICKING_OUT, width))
            wide.append(f"{name} at {width} px: {scroll} px wide (window {window} px); sticking out: {culprits}")


def _the_pages_fit(new_page, wide: list[str]) -> None:
    teacher = new_page()
    teacher.goto("/teach/")
    log_in(teacher, TEACHER, TEACHER_PASSWORD)
    expect(teacher).to_have_url(re.compile(r"/teach/$"))
    _fits(teacher, "the start form", wide)
    teacher.get_by_label(_("Course"), exact=True).select_option(label=COURSE)
    teacher.get_by_label(_("Rotating code (shown on the projector)")).uncheck()
    teacher.get_by_role("button", name=_("Start session")).click()
    expect(teacher).to_have_url(re.compile(r"/teach/live/[0-9a-f-]+/$"))
    sid = teacher.url.rstrip("/").rsplit("/", 1)[-1]

    student = new_page()
    student.goto("/checkin/")
    log_in(student, STUDENT, STUDENT_PASSWORD)
    expect(student).to_have_url(re.compile(r"/checkin/$"))
    _fits(student, "the check-in page", wide)
    student.locator(f"#open-{sid}").get_by_role("link", name=_("Check in")).click()
    expect(student.locator("#result-status")).to_have_class(re.compile(r"\bpresent\b"))
    _fits(student, "the result page", wide)

    _the_live_roster_fits(teacher, wide)

    student.goto("/me/")
    expect(student.locator("#course-MA110 tbody tr").first).to_be_visible()
    _fits(student, "My attendance", wide)
    student.goto("/me/excuses/")
    _fits(student, "the student's excuses", wide)

    _the_teachers_pages_after_the_session_fit(teacher, sid, wide)

    excuses = new_page()  # seed_demo: Ada Lovelace (T001) has a request waiting, with a document
    excuses.goto("/teach/excuses/")
    log_in(excuses, "T001", TEACHER_PASSWORD)
    expect(excuses.locator("#pending-excuses .actions").first).to_be_visible()
    _fits(excuses, "the teacher's excuses", wide)


def _the_live_roster_fits(teacher: Page, wide: list[str]) -> None:
    """A roster with a row of each kind: checked in, rejected with a long reason, not yet."""
    row = teacher.locator(f"#row-{REJECTED}")
    row.locator(f"#reject-{REJECTED}").fill(LONG_REASON)
    row.get_by_role("button", name=_("Reject")).click()
    expect(row.locator(".badge.rejected")).to_be_visible()
    expect(row).to_contain_text(LONG_REASON)
    expect(teacher.locator(f"#row-{STUDENT} .badge.present")).to_be_visible()
    _fits(teacher, "the live roster", wide)
    for width in WIDTHS:
        teacher.set_viewport_size({"width": width, "height": 844})
        off = teacher.evaluate(OFF_SCREEN, width)
        if off:
            wide.append(f"the live roster at {width} px: {len(off)} buttons or boxes off the screen, as {off[:4]}")


def _the_teachers_pages_after_the_session_fit(teacher: Page, sid: str, wide: list[str]) -> None:
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name=_("Finish now")).click()
    teacher.wait_for_url(re.compile(rf"/teach/sessions/{sid}/$"), timeout=SWEEP_TIMEOUT_MS)
    expect(teacher.locator(f"#record-{REJECTED}")).to_contain_text(LONG_REASON)
    _fits(teacher, "the saved session", wide)

    teacher.get_by_role("link", name=COURSE).click()
    expect(teacher).to_have_url(re.compile(r"/teach/courses/\d+/$"))
    _fits(teacher, "the course report", wide)
    teacher.locator("#matrix thead a").first.click()  # a session of the demo term, with its change log
    expect(teacher.locator("#changes tbody tr").first).to_be_visible()
    _fits(teacher, "a session of the term", wide)
    teacher.go_back()
    teacher.get_by_role("link", name=_("Timetable")).click()
    expect(teacher.locator("#slots")).to_be_visible()
    _fits(teacher, "the timetable", wide)
    for path, name in (("/teach/sessions/", "the history"), ("/teach/courses/", "the courses")):
        teacher.goto(path)
        _fits(teacher, name, wide)
