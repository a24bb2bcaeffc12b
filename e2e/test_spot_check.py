"""The teacher's spot check: a student who checked in is drawn, called out, answered "not here" in one click;
the roster shows them rejected at once, and the saved session's change log keeps the correction. The
student then appeals the record ("I was there"), and the teacher's approval makes it present again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.helpers import PHONE, STUDENT_PASSWORD, SWEEP_TIMEOUT_MS, log_in, open_projector, start_session

# seed_demo: T002 teaches MA110, which S0001, S0003, … take; no other test checks S0019 in.
COURSE, STUDENT = "MA110 — Linear Algebra", "S0019"


def test_a_spot_check_rejects_a_student_not_in_the_room(new_context):
    teacher = new_context().new_page()
    start_session(teacher, "T002", COURSE)
    projector = open_projector(teacher)

    phone = new_context(PHONE).new_page()
    phone.goto("/checkin/")
    log_in(phone, STUDENT, STUDENT_PASSWORD)
    phone.get_by_label("Code on the screen").fill(projector.locator("#current-code").get_attribute("data-code"))
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(phone.locator("#result-status")).to_have_text("present")

    expect(teacher.locator(f"#row-{STUDENT} .badge.present")).to_be_visible()
    teacher.get_by_label("Spot check: students to call out").fill("1")
    teacher.get_by_role("button", name="Spot check", exact=True).click()
    called = teacher.locator(f"#spot-{STUDENT}")
    expect(called).to_be_visible()
    expect(projector.locator("body")).not_to_contain_text(STUDENT)  # the wall never shows who was drawn
    called.get_by_role("button", name="Not here").click()
    expect(teacher.locator(f"#row-{STUDENT} .badge.rejected")).to_be_visible()
    expect(teacher.locator(f"#row-{STUDENT}")).to_contain_text("Not in the room at the spot check")
    expect(teacher.locator("#spot-check")).to_have_count(0)

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()
    teacher.wait_for_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"), timeout=SWEEP_TIMEOUT_MS)
    session_page = teacher.url
    expect(teacher.locator(f"#record-{STUDENT} .badge")).to_have_text("Rejected")
    changes = teacher.locator("#changes")
    expect(changes).to_contain_text("Not in the room at the spot check")
    expect(changes).to_contain_text("Alan Turing")

    # The student was in the corridor: an appeal after the fact, approved in one click.
    phone.goto("/me/")
    phone.locator("#course-MA110 a[id^=appeal-]").first.click()  # the newest MA110 record: this session
    phone.get_by_label("I was there: count me present").check()
    phone.get_by_label("Reason", exact=True).fill("I was in the corridor for the roll call")
    phone.get_by_role("button", name="Send the appeal").click()
    expect(phone.get_by_text("Your appeal was sent to your teacher.")).to_be_visible()

    teacher.goto("/teach/excuses/")
    row = teacher.locator("#pending-excuses tr").filter(has_text="I was in the corridor")
    expect(row).to_contain_text("Appeal of")
    row.get_by_role("button", name="Approve").click()
    teacher.goto(session_page)
    expect(teacher.locator(f"#record-{STUDENT} .badge")).to_have_text("Present")
    expect(teacher.locator("#changes")).to_contain_text("Appeal approved. I was in the corridor for the roll call")
