"""An online class after the fact: the teacher uploads the meeting tool's attendance report on a saved
session's page, checks the preview and applies it; a student the sweep found absent is present (remote)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.helpers import TEACHER_PASSWORD, log_in


def test_a_zoom_report_makes_an_absent_student_present_remote(new_context, tmp_path):
    teacher = new_context().new_page()
    teacher.goto("/teach/sessions/")
    log_in(teacher, "T003", TEACHER_PASSWORD)
    teacher.locator("table a").first.click()  # the newest of the demo's saved PH120 sessions
    expect(teacher).to_have_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"))
    absent = teacher.locator("#records tr").filter(has=teacher.locator(".badge.absent")).first
    number = absent.locator(".help").first.inner_text().strip()
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        f"{number} on the phone,,09/07/2026 09:00:00 AM,09/07/2026 11:00:00 AM,600,Yes\n"
        "Visiting Guest,,09/07/2026 09:00:00 AM,09/07/2026 09:10:00 AM,10,Yes\n",
        encoding="utf-8",
    )

    teacher.get_by_label("Attendance report of the meeting (Zoom, Teams or BigBlueButton, CSV)").set_input_files(report)
    teacher.get_by_role("button", name="Read the report").click()
    expect(teacher.locator(f"#meeting-{number}")).to_contain_text("Present (remote)")
    expect(teacher.locator("#meeting-unmatched")).to_contain_text("Visiting Guest")
    teacher.get_by_role("button", name="Apply the report").click()

    expect(teacher).to_have_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"))
    expect(teacher.get_by_text(re.compile(r"Report applied: 1 present \(remote\)"))).to_be_visible()
    expect(teacher.locator(f"#record-{number} .badge")).to_have_text("Present (remote)")
    expect(teacher.locator("#meeting-imports")).to_contain_text("Zoom report")
