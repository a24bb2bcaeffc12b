"""Low-attendance warnings on the course report: the ones sent, who is next, and turning them off."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from attendance.ops.demo import demo_students
from e2e.helpers import TEACHER_PASSWORD, log_in

COURSE = "CS101 — Introduction to Programming"


def test_a_teacher_sees_the_warnings_and_turns_them_off_and_on(new_context):
    drifting = dict(demo_students())["S0005"]  # seed_demo: every eighth student from S0005 drifts under 70 %
    teacher = new_context().new_page()
    teacher.goto("/teach/courses/")
    log_in(teacher, "T001", TEACHER_PASSWORD)
    teacher.get_by_role("link", name=COURSE).click()
    expect(teacher).to_have_url(re.compile(r"/teach/courses/\d+/$"))
    warnings = teacher.locator("#warnings")
    expect(warnings.get_by_role("heading", name="Low-attendance warnings")).to_be_visible()
    expect(warnings.locator("#warnings-sent")).to_contain_text(f"{drifting} (S0005)")
    expect(warnings).to_contain_text("When a student falls under the threshold")

    for rule, says in (
        ("No warnings", "Off for this course"),
        ("When a student falls under the threshold", "The next"),
    ):
        teacher.get_by_text("Change the counting policy").click()
        teacher.get_by_label("Warn students by e-mail").select_option(label=rule)
        teacher.get_by_role("button", name="Save policy").click()
        expect(teacher.get_by_text("Counting policy saved.")).to_be_visible()
        expect(teacher.locator("#warnings")).to_contain_text(says)
