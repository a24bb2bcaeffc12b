"""The operations page, as an administrator and as a teacher sees it."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from e2e.helpers import ADMIN_PASSWORD, TEACHER_PASSWORD, log_in, screenshot

CLUSTER_TIMEOUT = 60


def _open_when_the_cluster_is_alive(page: Page) -> None:
    """Reload /ops/ until the task cluster has reported in (it starts beside gunicorn)."""
    alive = page.locator("tr", has_text="Task cluster").locator(".badge.present")
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while True:
        page.goto("/ops/")
        if alive.count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(1000)
    expect(alive).to_have_text("alive")


def test_an_administrator_sees_the_services_and_the_sweep(new_context):
    page = new_context().new_page()
    page.goto("/ops/")
    log_in(page, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/ops/$"))
    _open_when_the_cluster_is_alive(page)
    services = page.locator(".card", has=page.get_by_role("heading", name="Services"))
    for name in ("PostgreSQL", "Redis (live check-ins)", "Redis (logins, cache, tasks)"):  # both Redis (issue 26)
        row = services.locator("tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(name)}$")))
        expect(row.locator(".badge")).to_have_text("up")
    expect(services).to_contain_text("noeviction")
    expect(page.get_by_role("heading", name=re.compile(r"Dead letters \(0\)"))).to_be_visible()
    screenshot(page, "operations")


def test_a_teacher_cannot_open_the_operations_page(new_context):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    log_in(page, "T002", TEACHER_PASSWORD)
    expect(page).to_have_url(re.compile(r"/teach/$"))
    response = page.goto("/ops/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
