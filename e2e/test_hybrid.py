"""A hybrid class: the teacher pastes the remote link into the video call and shares the projector page
there; a student at home opens the link on a phone, types the code the shared screen shows and is counted
present (remote) on the live roster and in the saved session. The link alone checks nobody in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.helpers import PHONE, STUDENT_PASSWORD, SWEEP_TIMEOUT_MS, TEACHER_PASSWORD, log_in

# seed_demo: T002 teaches MA110, which S0001, S0003, … take (S0013: no other test uses them in MA110).
COURSE, STUDENT = "MA110 — Linear Algebra", "S0013"


def test_a_remote_student_joins_a_hybrid_session(new_context):
    teacher = new_context().new_page()
    teacher.goto("/teach/")
    log_in(teacher, "T002", TEACHER_PASSWORD)
    teacher.get_by_label("Course", exact=True).select_option(label=COURSE)
    teacher.get_by_label("Admit remote students").check()
    teacher.get_by_role("button", name="Start session").click()
    expect(teacher.locator("#remote-link")).to_be_visible()
    link = teacher.locator("#remote-url").input_value()
    assert re.search(r"/remote/[0-9a-f-]{36}/[0-9a-f]{24}/$", link), link
    teacher.evaluate("window.sameDocument = true")

    with teacher.context.expect_page() as opened:  # the screen shared in the video call
        teacher.get_by_role("link", name="Projector view").click()
    shared_screen = opened.value
    expect(shared_screen.locator("#current-code")).to_have_attribute("data-code", re.compile(r"^\d{6}$"))
    teacher.bring_to_front()

    home = new_context(PHONE).new_page()
    home.goto(link)
    log_in(home, STUDENT, STUDENT_PASSWORD)
    expect(home).to_have_url(re.compile(r"/remote/"))  # no check-in from the link alone: it asks for the code
    home.get_by_label("Code on the shared screen").fill(shared_screen.locator("#current-code").inner_text())
    home.get_by_role("button", name="Check in").click()
    expect(home).to_have_url(re.compile(r"/checkin/.+/result/$"))
    expect(home.locator("#result-status")).to_have_text("present (remote)")

    expect(teacher.locator(f"#row-{STUDENT} .badge.remote")).to_be_visible()
    assert teacher.evaluate("window.sameDocument") is True
    expect(teacher.locator(".counts .badge.remote")).to_have_text("1 remote")

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()
    teacher.wait_for_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"), timeout=SWEEP_TIMEOUT_MS)
    expect(teacher.locator(f"#record-{STUDENT} .badge")).to_have_text("Present (remote)")
