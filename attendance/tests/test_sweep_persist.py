"""What the sweep writes: users before their records, absent students, what each record becomes."""

import time
from pathlib import Path

import pytest

from accounts.models import User
from attendance import sweep
from attendance.models import Attendance, AttendanceRecord, Source, Status
from attendance.sweep import persist
from attendance.teaching import service as live_sessions
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import put_record
from .sweep_helpers import (
    check_in,
    due_session,
    is_live,
    live_record,
    record_of,
    start_live,
)

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")

ROOT = Path(__file__).resolve().parents[2]


# --- the old race: records before their users --------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_creates_a_student_known_only_to_the_live_record(teacher, course):
    session = start_live(teacher, course)
    put_record(session=session, school_number="S7777", full_name="Nina Newcomer", status=Status.PRESENT)
    live_sessions.session_finish(session=session)
    assert not User.objects.filter(school_number="S7777").exists()

    result = sweep.run()

    assert (result.processed, result.failed, result.errors) == (1, 0, [])
    newcomer = User.objects.get(school_number="S7777")
    assert (newcomer.full_name, newcomer.role, newcomer.has_usable_password()) == ("Nina Newcomer", "student", False)
    assert record_of(session.id, "S7777").status == Status.PRESENT
    assert not is_live(session.id)


@pytest.mark.django_db(transaction=True)
def test_it_creates_the_teacher_too_if_missing():
    session = due_session(teacher_number="T8888", teacher_name="Nora Newteacher", records=[live_record("S8001")])

    result = sweep.run()

    assert (result.processed, result.failed) == (1, 0)
    attendance = Attendance.objects.select_related("teacher").get(pk=session.id)
    assert (attendance.teacher.school_number, attendance.teacher.full_name) == ("T8888", "Nora Newteacher")
    assert attendance.teacher.role == User.Role.TEACHER
    assert User.objects.get(school_number="S8001").role == User.Role.STUDENT


@pytest.mark.django_db(transaction=True)
def test_it_keeps_existing_users_as_they_are():
    known = UserFactory(school_number="S8100", full_name="Known Name")
    due_session(records=[live_record("S8100", "Name Typed By The Teacher")])

    sweep.run()

    known.refresh_from_db()
    assert known.full_name == "Known Name"
    assert known.has_usable_password()


# --- what the records become ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_marks_enrolled_students_who_never_came_absent_and_pending_ones_rejected(teacher, course, student):
    never = EnrollmentFactory(course=course, student=UserFactory(school_number="S1002")).student
    waiting = EnrollmentFactory(course=course, student=UserFactory(school_number="S1003")).student
    outsider = UserFactory(school_number="S1999")
    session = start_live(teacher, course)
    check_in(session, student)
    put_record(session=session, school_number=waiting.school_number, full_name=waiting.full_name, status=Status.PENDING)
    live_sessions.session_finish(session=session)

    result = sweep.run()

    assert (result.processed, result.records) == (1, 3)
    assert record_of(session.id, student.school_number).status == Status.PRESENT
    absent = record_of(session.id, never.school_number)
    assert (absent.status, absent.source, absent.checked_in_at) == (Status.ABSENT, Source.SWEEP, None)
    pending = record_of(session.id, waiting.school_number)
    assert (pending.status, pending.fail_reason) == (Status.REJECTED, persist.PENDING_AT_CLOSE)
    assert not AttendanceRecord.objects.filter(student=outsider).exists()


@pytest.mark.django_db
def test_it_marks_every_enrolled_student_absent_when_nobody_came(teacher, course, student):
    session = due_session(course=course, teacher_number=teacher.school_number)

    result = sweep.run()

    assert (result.processed, result.records, result.failed) == (1, 1, 0)
    assert record_of(session.id, student.school_number).status == Status.ABSENT


@pytest.mark.django_db
def test_it_writes_each_record_as_it_was_live(course, teacher):
    checked_in = time.time() - 1234.5
    session = due_session(
        course=course,
        teacher_number=teacher.school_number,
        records=[
            live_record(
                "S1001", status=Status.LATE, checked_in_at=checked_in, source=Source.QR, flags=["network", 'a "b", {c}']
            ),
            live_record("S9001", status=Status.REJECTED, reason="", source=Source.CODE),
        ],
    )

    sweep.run()

    late = record_of(session.id, "S1001")
    assert (late.status, late.source, late.flags) == (Status.LATE, Source.QR, ["network", 'a "b", {c}'])
    assert late.checked_in_at.timestamp() == pytest.approx(checked_in)
    assert record_of(session.id, "S9001").fail_reason == "Rejected."
    attendance = Attendance.objects.get(pk=session.id)
    assert (attendance.course, attendance.teacher, attendance.lesson_name) == (course, teacher, session.lesson_name)
    assert attendance.starts_at.timestamp() == pytest.approx(session.starts_at)
    assert attendance.ends_at.timestamp() == pytest.approx(session.ends_at)
    assert (attendance.late_threshold_minutes, attendance.network_mode, attendance.require_code) == (10, "off", True)


@pytest.mark.django_db
def test_the_rejected_attempts_a_check_in_replaced_are_saved_and_shown(teacher_client, teacher):
    earlier = [
        {
            "at": time.time() - 900,
            "reason": "Your location was not shared, and this session asks for it.",
            "flags": ["no_location"],
        }
    ]
    record = live_record("S1001", flags=["retried"], earlier=earlier)
    session = due_session(records=[record], teacher_number=teacher.school_number)
    assert sweep.run(session_id=session.id).processed == 1
    saved = AttendanceRecord.objects.get(attendance_id=session.id)
    assert saved.status == Status.PRESENT and saved.earlier == earlier and saved.flags == ["retried"]
    page = teacher_client.get(f"/teach/sessions/{session.id}/", headers={"accept-language": "tr"}).text
    assert "saatinde reddedildi: Konumunuz paylaşılmadı ve bu yoklama konum istiyor. (konum paylaşılmadı)" in page
    assert "reddedildikten sonra yeniden" in page
