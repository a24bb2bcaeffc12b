"""An excuse asked in advance: a student's phone sends it with a document, the teacher approves it in one
click, and the session that day is saved with the student excused."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from e2e.helpers import PHONE, STUDENT_PASSWORD, SWEEP_TIMEOUT_MS, TEACHER_PASSWORD, log_in

# seed_demo: T001 teaches CS101 and CS201; students with an even number take CS201 (the class scenario
# uses CS101, so this test's excuse cannot change what that one counts).
STUDENT, COURSE = "S0012", "CS201 — Data Structures"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_an_excuse_asked_in_advance_is_approved_and_counts(new_context, tmp_path):
    phone = new_context(PHONE).new_page()
    phone.goto("/me/excuses/")
    log_in(phone, STUDENT, STUDENT_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/me/excuses/$"))
    phone.get_by_label("Course").select_option(label=COURSE)
    phone.get_by_label("First day").fill(date.today().isoformat())
    phone.get_by_label("Reason").fill("Doctor's appointment")
    note = tmp_path / "doctor.pdf"
    note.write_bytes(PDF)
    phone.get_by_label("Document (optional)").set_input_files(str(note))
    phone.get_by_role("button", name="Send the request").click()
    expect(phone.get_by_text("Your request was sent to your teacher.")).to_be_visible()
    row = phone.locator("#my-excuses tbody tr", has_text="Doctor's appointment")
    expect(row.locator(".badge")).to_have_text("Waiting for the teacher")

    teacher = new_context().new_page()
    teacher.goto("/teach/")
    log_in(teacher, "T001", TEACHER_PASSWORD)
    teacher.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Excuses").click()
    waiting = teacher.locator("#pending-excuses tr", has_text="Doctor's appointment")
    # The document opens in the browser, under a name of ours (never the student's file name).
    document = teacher.request.get(waiting.get_by_role("link", name="document").get_attribute("href"))
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == 'inline; filename="document.pdf"'
    assert document.body() == PDF
    waiting.get_by_role("button", name="Approve").click()
    expect(teacher.get_by_text(re.compile(r"^Approved: .+ is excused\.$"))).to_be_visible()
    expect(teacher.locator("#decided-excuses tr", has_text="Doctor's appointment")).to_contain_text("Approved")

    # That day's class: the student does not come; the sweep saves them excused, not absent.
    teacher.goto("/teach/")
    teacher.get_by_label("Course", exact=True).select_option(label=COURSE)
    teacher.get_by_role("button", name="Start session").click()
    expect(teacher.locator(f"#row-{STUDENT}")).to_contain_text("excused in advance")
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Finish now").click()
    teacher.wait_for_url(re.compile(r"/teach/sessions/[0-9a-f-]+/$"), timeout=SWEEP_TIMEOUT_MS)
    record = teacher.locator(f"#record-{STUDENT}")
    expect(record.locator(".badge")).to_have_text("Excused")
    expect(record).to_contain_text("Doctor's appointment")
    expect(teacher.locator("#changes")).to_contain_text("Excuse request approved. Doctor's appointment")

    phone.reload()
    expect(row.locator(".badge")).to_have_text("Approved")
