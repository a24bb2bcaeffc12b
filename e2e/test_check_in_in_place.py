"""A typed code's check-in as the phone makes it: with JavaScript, one request from the code to "you are checked
in" (the answer swapped in place, the result page's address pushed, a reload sends nothing again); without
JavaScript, post → redirect → result, as before."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.helpers import PHONE, STUDENT_PASSWORD, SWEEP_TIMEOUT_MS, log_in, open_projector, start_session

# seed_demo: T002 teaches MA110, which S0001, S0003, … take; no other test checks S0021 or S0023 in.
COURSE, WITH_JS, WITHOUT_JS = "MA110 — Linear Algebra", "S0021", "S0023"
RESULT = re.compile(r"/checkin/[0-9a-f-]+/result/$")


def _ours(request) -> bool:
    """A request the phone makes to the app for the page itself (not a stylesheet, a script or the icon)."""
    return "/static/" not in request.url and not request.url.startswith("data:")


def _type_the_code(phone: Page, number: str, code: str) -> list[str]:
    """Log in on the check-in page, type the code; return the requests from the click to the answer."""
    phone.goto("/checkin/")
    log_in(phone, number, STUDENT_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/checkin/$"))
    phone.get_by_label("Code on the screen").fill(code)
    made: list[str] = []
    phone.on("request", lambda request: made.append(f"{request.method} {request.url}") if _ours(request) else None)
    phone.get_by_role("button", name="Check in", exact=True).click()
    expect(phone.locator("#result-status")).to_have_text("present")
    expect(phone.get_by_text("You are checked in. Thank you!")).to_be_visible()
    expect(phone).to_have_url(RESULT)
    return made


def test_a_typed_code_answers_in_one_request_with_javascript_and_in_two_without(new_context):
    teacher = new_context().new_page()
    start_session(teacher, "T002", COURSE)
    projector = open_projector(teacher)

    def code() -> str:
        return projector.locator("#current-code").get_attribute("data-code")

    phone = new_context(PHONE).new_page()
    made = _type_the_code(phone, WITH_JS, code())
    assert len(made) == 1 and made[0].startswith("POST ") and made[0].endswith("/checkin/"), made
    assert phone.title().startswith("Your check-in")
    with phone.expect_request(lambda request: _ours(request)) as reloaded:
        phone.reload()
    assert reloaded.value.method == "GET" and RESULT.search(reloaded.value.url)  # never the check-in again
    expect(phone.locator("#result-status")).to_have_text("present")

    no_js = new_context({**PHONE, "java_script_enabled": False}).new_page()
    made = _type_the_code(no_js, WITHOUT_JS, code())
    assert [m.split(" ")[0] for m in made] == ["POST", "GET"] and RESULT.search(made[1]), made

    for number in (WITH_JS, WITHOUT_JS):
        expect(teacher.locator(f"#row-{number} .badge.present")).to_be_visible()
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()
    teacher.wait_for_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"), timeout=SWEEP_TIMEOUT_MS)
    for number in (WITH_JS, WITHOUT_JS):
        expect(teacher.locator(f"#record-{number} .badge")).to_have_text("Present")
