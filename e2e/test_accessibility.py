"""Every main page, as each role sees it, checked by axe-core (the contexts' init script; see conftest)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from e2e.helpers import ADMIN_PASSWORD, PHONE, STUDENT_PASSWORD, TEACHER_PASSWORD, log_in

PAGES = {
    "T002": ["/teach/", "/teach/sessions/", "/teach/courses/", "/teach/sessions/?course=MA110"],
    "S0001": ["/checkin/", "/me/"],
    "admin": [
        "/ops/",
        "/admin/",
        "/admin/attendance/attendancerecord/",
        "/admin/accounts/user/",
        "/admin/attendance/referencephoto/",
        "/admin/attendance/course/import-roster/",
    ],
}
PASSWORDS = {"T002": TEACHER_PASSWORD, "S0001": STUDENT_PASSWORD, "admin": ADMIN_PASSWORD}


def _checked(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    page.wait_for_function("() => window.axeDone === true", timeout=15_000)


def test_the_main_pages_have_no_serious_accessibility_violations(new_context):
    login = new_context().new_page()
    _checked(login, "/accounts/login/")
    for number, paths in PAGES.items():
        page = new_context(PHONE if number.startswith("S") else None).new_page()
        page.goto("/accounts/login/")
        log_in(page, number, PASSWORDS[number])
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        for path in paths:
            _checked(page, path)
        if number == "T002":  # a course report with the demo term's history
            page.goto("/teach/courses/")
            page.get_by_role("link", name=re.compile("^MA110")).click()
            page.wait_for_function("() => window.axeDone === true", timeout=15_000)
    # The violations, if any, are collected from the pages' consoles and fail the test at teardown.
