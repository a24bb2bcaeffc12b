"""Every correction on the live roster reaches the saved session's change log (who, when, from → to, why)."""

import pytest
from django.urls import reverse

from attendance import live, sweep
from attendance.models import AttendanceRecord, RecordChange
from attendance.sweep.persist import session_persist
from attendance.teaching import roster
from attendance.teaching import service as live_sessions
from tests.factories import UserFactory

from .live_helpers import action, at, url
from .sweep_helpers import due_session, live_record

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


def changes_of(session) -> list[tuple[str, str, str, str, str]]:
    rows = RecordChange.objects.filter(record__attendance_id=session.id).order_by("changed_at", "pk")
    return [
        (c.record.student.school_number, c.changed_by.school_number, c.old_status, c.new_status, c.reason) for c in rows
    ]


def test_each_live_correction_is_in_the_saved_change_log(teacher_client, teacher, filled, classmates, clock):
    """Reject Sam, accept Rita, excuse Mia, remove Sam's record, add a newcomer; then save the session."""
    steps = [
        (action(filled, "S1001", "reject"), {"reason": "Left after ten minutes"}),
        (action(filled, "S1002", "accept"), {}),
        (action(filled, "S1003", "excuse"), {"reason": "Doctor's note"}),
        (action(filled, "S1001", "remove"), {}),
        (url("add_student", filled), {"school_number": "S1009", "full_name": "Nia Newcomer", "add_anyway": "on"}),
    ]
    for step, (target, data) in enumerate(steps):
        clock.now = filled.starts_at + 300 + 60 * step
        assert teacher_client.post(target, data).status_code in (200, 302)
    assert len(live.get_changes(filled.id)) == 5

    live_sessions.session_finish(session=filled)
    assert sweep.run(session_id=filled.id).processed == 1

    assert changes_of(filled) == [
        ("S1001", teacher.school_number, "present", "rejected", "Left after ten minutes"),
        ("S1002", teacher.school_number, "rejected", "present", roster.ACCEPTED),
        ("S1003", teacher.school_number, "", "excused", "Doctor's note"),
        ("S1001", teacher.school_number, "rejected", "absent", roster.REMOVED),
        ("S1009", teacher.school_number, "", "present", "Added by the teacher."),
    ]
    first = RecordChange.objects.filter(record__attendance_id=filled.id).earliest("changed_at")
    assert first.changed_at == at(filled.starts_at + 300)  # when the teacher made it, not when the sweep ran
    assert AttendanceRecord.objects.get(attendance_id=filled.id, student__school_number="S1001").status == "absent"

    page = teacher_client.get(reverse("attendance:session_detail", args=[filled.id])).text
    assert "No changes." not in page
    assert "Left after ten minutes" in page and "Check-in removed by the teacher on the live roster." in page
    assert page.count(teacher.full_name) >= 5


def test_the_log_is_in_turkish_on_a_turkish_page(teacher_client, teacher, filled):
    teacher_client.post(action(filled, "S1002", "accept"))
    live_sessions.session_finish(session=filled)
    sweep.run(session_id=filled.id)
    page = teacher_client.get(
        reverse("attendance:session_detail", args=[filled.id]), headers={"accept-language": "tr"}
    ).text
    assert "Accepted by the teacher on the live roster." not in page
    assert "canlı" in page.lower()


def test_a_correction_that_changes_nothing_is_not_logged(teacher_client, filled):
    teacher_client.post(action(filled, "S1002", "accept"))
    teacher_client.post(action(filled, "S1002", "accept"))
    teacher_client.post(action(filled, "S1004", "remove"))  # no such record: nothing removed
    assert [(c.old, c.new) for c in live.get_changes(filled.id)] == [("rejected", "present")]


def test_an_administrator_correcting_is_named_and_a_finished_session_logs_nothing(filled, staff, teacher):
    done = roster.roster_mark(session=filled, by=staff, school_number="S1003", action="excuse", reason="Ill")
    assert done.error == ""
    live_sessions.session_finish(session=filled)
    refused = roster.roster_mark(session=filled, by=teacher, school_number="S1001", action="reject", reason="x")
    assert refused.error
    sweep.run(session_id=filled.id)
    assert changes_of(filled) == [("S1003", staff.school_number, "", "excused", "Ill")]


def test_saving_the_same_session_twice_logs_each_change_once(teacher, course, student):
    """A sweep that crashed after its commit and before deleting the keys saves the session again."""
    session = due_session(course=course, teacher_number=teacher.school_number, records=[live_record("S1001")])
    # due_session finished it: reopen it to correct it as if just before the end.
    live.client().hset(live.session_keys(session.id).meta, "state", live.OPEN)
    roster.roster_mark(session=session, by=teacher, school_number="S1001", action="reject", reason="Asleep")
    closed, records, changes = live.close_and_read(session.id)
    assert len(changes) == 1
    for _ in range(2):
        session_persist(session=closed, records=records, changes=changes)
    assert changes_of(session) == [("S1001", teacher.school_number, "present", "rejected", "Asleep")]


def test_a_dead_letter_keeps_the_change_log_and_a_requeue_brings_it_back(teacher_client, teacher, filled):
    teacher_client.post(action(filled, "S1003", "excuse"), {"reason": "Doctor's note"})
    live_sessions.session_finish(session=filled)
    live.dead_letter(filled.id, "a test")
    assert not live.get_changes(filled.id)
    assert live.requeue_dead_letter(filled.id)
    assert [(c.school_number, c.new) for c in live.get_changes(filled.id)] == [("S1003", "excused")]
    sweep.run(session_id=filled.id)
    assert changes_of(filled) == [("S1003", teacher.school_number, "", "excused", "Doctor's note")]


def test_a_removed_student_of_a_session_without_a_course_leaves_no_dangling_change(teacher):
    session = due_session(teacher_number=teacher.school_number, records=[live_record("S5001")])
    live.client().hset(live.session_keys(session.id).meta, "state", live.OPEN)
    UserFactory(school_number="S5001")
    roster.roster_remove(session=session, by=teacher, school_number="S5001")
    assert [(c.old, c.new) for c in live.get_changes(session.id)] == [("present", "")]
    live_sessions.session_finish(session=session)
    assert sweep.run(session_id=session.id).processed == 1
    assert not RecordChange.objects.exists() and not AttendanceRecord.objects.filter(attendance_id=session.id)
