"""Single sign-on in a browser: a student scans the QR code, signs in on the university's own login
page (a real OpenID Connect provider), comes back checked in, and logging out ends both sessions."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.helpers import PHONE, TEACHER_PASSWORD, log_in

STUDENT = "S0015"  # seed_demo's CS201 is taken by even numbers, CS101 by odd ones: S0015 takes CS101


def test_a_student_signs_in_through_the_university_and_checks_in(new_context):
    teacher = new_context().new_page()
    teacher.goto("/teach/")
    log_in(teacher, "T001", TEACHER_PASSWORD)
    teacher.get_by_label("Course", exact=True).select_option(label="CS101 — Introduction to Programming")
    teacher.get_by_role("button", name="Start session").click()
    with teacher.context.expect_page() as opened:
        teacher.get_by_role("link", name="Projector view").click()
    link = opened.value.locator("#qr").get_attribute("data-link")

    phone = new_context(PHONE).new_page()
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    phone.get_by_role("link", name="Sign in with Demo University").click()
    # The provider's own pages: its login form, then its consent.
    expect(phone).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/interaction/"))
    phone.locator("input[name=login]").fill(STUDENT)
    phone.locator("input[name=password]").fill("anything")
    phone.locator("button[type=submit]").click()
    phone.locator("button[type=submit]").first.click()  # "Continue" (consent)
    expect(phone).to_have_url(re.compile(r"/checkin/.+/result/$"))
    expect(phone.locator("#result-status")).to_have_text("present")

    teacher.bring_to_front()
    expect(teacher.locator(f"#row-{STUDENT} .badge.present")).to_be_visible()

    phone.get_by_text("Menu").click()
    phone.locator("header.top").get_by_role("button", name="Log out").click()
    expect(phone).to_have_url(re.compile(r"/session/end"))  # the provider asks to sign out there too
    phone.locator("button[type=submit]").first.click()
    expect(phone).to_have_url(re.compile(r"/accounts/login/$"))
    phone.goto("/checkin/")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next=/checkin/$"))

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()
