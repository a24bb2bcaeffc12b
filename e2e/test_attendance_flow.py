"""One class as people live it: a teacher, a projector and students' phones, in a real Chromium.

It runs twice: in English, and in Turkish (every browser asks for Turkish, as a phone in Turkey does).
The words it looks for come from the catalog of the language under test, so a page still in English
fails the Turkish run.
"""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from playwright.sync_api import Locator, Page, expect

from e2e.helpers import (
    CODE_STEP_SECONDS,
    DESKTOP,
    PHONE,
    STUDENT_PASSWORD,
    SWEEP_TIMEOUT_MS,
    TEACHER_PASSWORD,
    log_in,
    screenshot,
)

TEACHER = "T001"
COURSE = "CS101 — Introduction to Programming"
# seed_demo enrols every other student in CS101: S0001, S0003, S0005, …
QR_STUDENT, CODE_STUDENT, LATE_STUDENT, ABSENT_STUDENT, EXCUSED_STUDENT = "S0001", "S0003", "S0005", "S0007", "S0009"

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LIVE_URL = re.compile(rf"/teach/live/({UUID})/$")
SESSION_URL = re.compile(rf"/teach/sessions/({UUID})/$")

# Remembers, in the projector page, every code it has shown since the test started watching.
WATCH_CODES = """() => {
  window.seenCodes = [];
  const note = () => {
    const code = document.querySelector('#current-code')?.dataset.code;
    if (code && !window.seenCodes.includes(code)) window.seenCodes.push(code);
  };
  note();
  setInterval(note, 250);
  return window.seenCodes[0];
}"""


LOCALES = {"en": "en-GB", "tr": "tr-TR"}
# Counts the live roster's polls that swapped in a fresh roster.
COUNT_ROSTER_POLLS = """() => {
  window.rosterPolls = 0;
  document.body.addEventListener('htmx:afterSwap', (e) => { if (e.detail.elt.id === 'roster') window.rosterPolls++; });
}"""


@pytest.mark.parametrize("language", ["en", "tr"])
def test_a_class_checks_in_and_the_session_is_saved(new_context, language):
    with translation.override(language):
        _a_class_checks_in(lambda device=DESKTOP: new_context({**device, "locale": LOCALES[language]}), language)


def _a_class_checks_in(new_context, language: str) -> None:
    teacher = new_context().new_page()
    sid = _teacher_starts_a_session(teacher)
    projector = _teacher_opens_the_projector(teacher)
    outdated_code = projector.evaluate(WATCH_CODES)
    teacher.evaluate("window.sameDocument = true")  # gone if the live page reloads

    phone = new_context(PHONE).new_page()
    go_link = _student_scans_the_qr_code(phone, projector.locator("#qr").get_attribute("data-link"), sid)
    _a_forwarded_link_is_refused_in_another_browser(new_context(PHONE).new_page(), go_link)
    expect(teacher.locator(f"#row-{QR_STUDENT} .badge.present")).to_be_visible()
    assert teacher.evaluate("window.sameDocument") is True, "the roster must update without a reload"

    _teacher_rejects_then_accepts(teacher, phone)
    _student_cannot_open_teacher_pages(phone, sid)
    _student_logs_out(phone)

    _student_types_the_code(new_context(PHONE).new_page(), projector)
    expect(teacher.locator(f"#row-{CODE_STUDENT} .badge.present")).to_be_visible()
    if language == "en":
        screenshot(teacher, "live-roster")

    # A code is accepted during its own step and the next one: two changes later it is out of date.
    projector.wait_for_function(
        "() => window.seenCodes.length >= 3", polling=250, timeout=(3 * CODE_STEP_SECONDS + 10) * 1000
    )
    _student_is_refused_an_outdated_code(new_context(PHONE).new_page(), outdated_code)
    expect(teacher.locator(f"#row-{LATE_STUDENT} .badge.missing")).to_be_visible()

    _teacher_finishes(teacher, projector, sid)
    _session_page_shows_records_and_absentees(teacher)
    _csv_export_has_the_rows(teacher)
    _course_report_after_the_sweep(teacher, language)


def _status(status: str) -> str:
    """A status as the pages say it inside a sentence or a badge ("present" / "var")."""
    from attendance.templatetags.attendance_cells import status_word

    return status_word(status)


def _label(msgid: str, name: str = "name") -> re.Pattern:
    """A label made from a message with one placeholder, as a pattern for any value of it."""
    return re.compile("^" + re.escape(_(msgid)).replace(re.escape(f"%({name})s"), ".*") + "$")


def _first_sentence(text: str) -> str:
    return text.split(". ")[0] + "."


def _teacher_starts_a_session(teacher: Page) -> str:
    teacher.goto("/teach/")
    expect(teacher).to_have_url(re.compile(r"/accounts/login/\?next=/teach/$"))
    log_in(teacher, TEACHER, TEACHER_PASSWORD)
    expect(teacher).to_have_url(re.compile(r"/teach/$"))
    teacher.get_by_label(_("Course"), exact=True).select_option(label=COURSE)
    expect(teacher.get_by_label(_("Rotating code (shown on the projector)"))).to_be_checked()
    teacher.get_by_role("button", name=_("Start session")).click()
    expect(teacher).to_have_url(LIVE_URL)
    expect(teacher.get_by_role("heading", level=1)).to_contain_text("Introduction to Programming")
    for number in (QR_STUDENT, CODE_STUDENT, LATE_STUDENT, ABSENT_STUDENT):
        expect(teacher.locator(f"#row-{number} .badge.missing"), f"{number} enrolled in CS101").to_have_text(
            _("not yet")
        )
    return LIVE_URL.search(teacher.url).group(1)


def _teacher_opens_the_projector(teacher: Page) -> Page:
    with teacher.context.expect_page() as opened:
        teacher.get_by_role("link", name=_("Projector view")).click()
    projector = opened.value
    expect(projector.locator("#current-code")).to_have_attribute("data-code", re.compile(r"^\d{6}$"))
    expect(projector.locator("#qr svg")).to_be_visible()
    if translation.get_language() == "en":
        screenshot(projector, "projector")
    # Back to the teacher's own screen. Chromium draws a tab that is not in front at about one frame a
    # second once focus moves in it, and Playwright's clicks wait for frames.
    teacher.bring_to_front()
    return projector


def _student_scans_the_qr_code(phone: Page, link: str, sid: str) -> str:
    """Scan, log in, get checked in; return the go-link the QR code led to (what a student might forward)."""
    assert re.fullmatch(rf"/c/{sid}/\d{{6}}/", link), link
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    go_link = parse_qs(urlparse(phone.url).query)["next"][0]
    assert go_link.startswith(f"/checkin/{sid}/go/"), go_link
    expect(phone.get_by_text(_("Log in to finish your check-in. Your code is kept for a few minutes."))).to_be_visible()
    log_in(phone, QR_STUDENT, STUDENT_PASSWORD)
    expect(phone).to_have_url(re.compile(rf"/checkin/{sid}/result/$"))
    expect(phone.locator("#result-status")).to_have_text(_status("present"))
    expect(phone.get_by_text(_("You are checked in. Thank you!"))).to_be_visible()
    return go_link


def _a_forwarded_link_is_refused_in_another_browser(at_home: Page, go_link: str) -> None:
    at_home.goto(go_link)
    log_in(at_home, ABSENT_STUDENT, STUDENT_PASSWORD)
    expect(at_home).to_have_url(re.compile(r"/checkin/$"))
    from attendance.checkin.service import LINK_ELSEWHERE

    expect(at_home.get_by_text(_first_sentence(str(LINK_ELSEWHERE)))).to_be_visible()


def _teacher_rejects_then_accepts(teacher: Page, phone: Page) -> None:
    row = teacher.locator(f"#row-{QR_STUDENT}")
    _type_into_the_roster(teacher, row.get_by_label(_label("Reason for rejecting %(name)s")), "Not seen in the room")
    row.get_by_role("button", name=_("Reject")).click()
    expect(row.locator(".badge.rejected")).to_be_visible()
    expect(row).to_contain_text("Not seen in the room")
    phone.reload()
    expect(phone.locator("#result-status")).to_have_text(_status("rejected"))
    expect(phone.get_by_text("Not seen in the room")).to_be_visible()

    row.get_by_role("button", name=_("Accept")).click()
    expect(row.locator(".badge.present")).to_be_visible()
    expect(row.get_by_role("button", name=_("Accept"))).to_have_count(0)
    phone.reload()
    expect(phone.locator("#result-status")).to_have_text(_status("present"))

    # An excuse needs a reason, said in the row; the page neither reloads nor jumps.
    absent = teacher.locator(f"#row-{EXCUSED_STUDENT}")
    absent.scroll_into_view_if_needed()
    scrolled = teacher.evaluate("window.scrollY")
    reason = absent.get_by_label(_label("Reason for excusing %(name)s"))
    absent.get_by_role("button", name=_("Excuse")).click()  # empty: the browser asks for the reason first
    assert reason.evaluate("el => el.validationMessage"), "the reason is required"
    _type_into_the_roster(teacher, reason, "Doctor's note")
    # What the teacher typed survives the polls, even once they look away before sending it.
    teacher.locator("#roster-search").focus()
    teacher.evaluate(COUNT_ROSTER_POLLS)
    teacher.wait_for_function("() => window.rosterPolls >= 3", timeout=20_000)
    expect(reason).to_have_value("Doctor's note")
    absent.get_by_role("button", name=_("Excuse")).click()
    expect(absent.locator(".badge.excused")).to_be_visible()
    expect(absent).to_contain_text("Doctor's note")
    assert teacher.evaluate("window.sameDocument") is True
    assert abs(teacher.evaluate("window.scrollY") - scrolled) < 50, "the roster kept its place"


def _type_into_the_roster(teacher: Page, field: Locator, text: str) -> None:
    """Type into the polled roster: no poll starts while a field has focus, but one in flight may replace it."""
    for _attempt in range(3):
        field.fill(text)
        teacher.wait_for_function("() => !document.querySelector('#roster').classList.contains('htmx-request')")
        if field.input_value() == text and field.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"the roster kept replacing {field}")


def _student_cannot_open_teacher_pages(phone: Page, sid: str) -> None:
    for path in ("/teach/", f"/teach/live/{sid}/", f"/teach/live/{sid}/projector/", "/teach/courses/"):
        response = phone.goto(path)
        assert response.status == 403, f"{path} answered {response.status}"
        expect(phone.get_by_role("heading", name=_("Not allowed"))).to_be_visible()


def _student_logs_out(phone: Page) -> None:
    # On a phone the header is one line: the links and the logout are behind "Menu".
    header = phone.locator("header.top")
    assert header.bounding_box()["height"] < 60, header.bounding_box()
    expect(header.get_by_role("button", name=_("Log out"))).to_be_hidden()
    header.get_by_text(_("Menu")).click()
    header.get_by_role("button", name=_("Log out")).click()
    expect(phone.get_by_text(_("You are logged out."))).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/accounts/login/$"))
    phone.goto("/checkin/")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next=/checkin/$"))


def _log_in_on_the_check_in_page(phone: Page, number: str) -> None:
    phone.goto("/checkin/")
    log_in(phone, number, STUDENT_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/checkin/$"))


def _student_types_the_code(phone: Page, projector: Page) -> None:
    _log_in_on_the_check_in_page(phone, CODE_STUDENT)
    code = projector.locator("#current-code").get_attribute("data-code")
    phone.get_by_label(_("Code on the screen")).fill(code)
    if translation.get_language() == "en":
        screenshot(phone, "checkin-phone")
    phone.get_by_role("button", name=_("Check in"), exact=True).click()
    expect(phone).to_have_url(re.compile(r"/checkin/.+/result/$"))
    expect(phone.locator("#result-status")).to_have_text(_status("present"))


def _student_is_refused_an_outdated_code(phone: Page, code: str) -> None:
    _log_in_on_the_check_in_page(phone, LATE_STUDENT)
    phone.get_by_label(_("Code on the screen")).fill(code)
    with phone.expect_response(lambda r: r.request.method == "POST") as answer:
        phone.get_by_role("button", name=_("Check in"), exact=True).click()
    # Said on the form in place (htmx): the address stays the check-in page's, so a reload asks for the page
    # and never sends the code again.
    assert answer.value.status == 400
    wrong = ngettext(
        "That code is wrong or has expired. %(left)d try left.",
        "That code is wrong or has expired. %(left)d tries left.",
        2,
    )
    expect(phone.get_by_text(_first_sentence(wrong))).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/checkin/$"))
    with phone.expect_response(lambda r: r.url.endswith("/checkin/")) as reloaded:
        phone.reload()
    assert reloaded.value.request.method == "GET"
    expect(phone.get_by_text(_first_sentence(wrong))).to_have_count(0)


def _teacher_finishes(teacher: Page, projector: Page, sid: str) -> None:
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name=_("Finish now")).click()
    # The finished page polls until the sweep has saved the session, then moves on.
    teacher.wait_for_url(SESSION_URL, timeout=SWEEP_TIMEOUT_MS)
    assert SESSION_URL.search(teacher.url).group(1) == sid
    # The projector notices the end by itself and says so, on its own page: the wall never shows a name
    # or a reason, and it stops polling.
    expect(projector.locator("#session-ended")).to_have_text(_("This session has ended."))
    expect(projector).to_have_url(re.compile(rf"/teach/live/{sid}/projector/$"))
    wall = projector.locator("body").inner_text()
    assert all(number not in wall for number in (QR_STUDENT, CODE_STUDENT, LATE_STUDENT, EXCUSED_STUDENT))
    assert _("Reject") not in wall and _("Absent") not in wall


def _session_page_shows_records_and_absentees(teacher: Page) -> None:
    for number in (QR_STUDENT, CODE_STUDENT):
        expect(teacher.locator(f"#record-{number} .badge")).to_have_text(_("Present"))
    for number in (LATE_STUDENT, ABSENT_STUDENT):
        expect(teacher.locator(f"#record-{number} .badge")).to_have_text(_("Absent"))
    rows = teacher.locator("#records tbody tr")
    expect(teacher.locator("#records .badge.present")).to_have_count(2)
    expect(teacher.locator(f"#record-{EXCUSED_STUDENT} .badge")).to_have_text(_("Excused"))
    expect(teacher.locator("#records .badge.absent")).to_have_count(rows.count() - 3)


def _csv_export_has_the_rows(teacher: Page) -> None:
    records = teacher.locator("#records tbody tr").count()
    with teacher.expect_download() as started:
        teacher.get_by_role("link", name=_("Export CSV"), exact=True).click()
    download = started.value
    assert re.fullmatch(r"attn-cs101-\d{4}-\d{2}-\d{2}-.+\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        # The header in the page's language ("student_number" / "öğrenci_no"); the values are codes.
        number, status, source, course = (
            pgettext("export column", name) for name in ("student_number", "status", "source", "course")
        )
        rows = {row[number]: row for row in csv.DictReader(handle)}
    assert len(rows) == records
    assert (rows[QR_STUDENT][status], rows[QR_STUDENT][source]) == ("present", "qr")
    assert (rows[CODE_STUDENT][status], rows[CODE_STUDENT][source]) == ("present", "code")
    assert rows[LATE_STUDENT][status] == rows[ABSENT_STUDENT][status] == "absent"
    assert {row[course] for row in rows.values()} == {"CS101"}


def _course_report_after_the_sweep(teacher: Page, language: str) -> None:
    teacher.get_by_role("link", name=COURSE).click()
    expect(teacher).to_have_url(re.compile(r"/teach/courses/\d+/$"))
    expect(teacher.locator(f"#student-{QR_STUDENT} .rate")).to_contain_text("100")
    expect(teacher.locator(f"#student-{LATE_STUDENT} .rate")).to_contain_text(re.compile(r"\d"))
    expect(teacher.locator(f"#student-{LATE_STUDENT}")).to_have_class(re.compile(r"\bbelow\b"))
    if language == "en":
        screenshot(teacher, "course-report")
    # The policy form's fields are the height of one line of text, not stretched.
    teacher.get_by_text(_("Change the counting policy")).click()
    for label in (_("Counting policy"), _("Planned sessions this term")):
        box = teacher.get_by_label(label, exact=False).first.bounding_box()
        assert box["height"] < 60, (label, box)
