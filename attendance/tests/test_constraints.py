from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from attendance.models import Attendance, AttendanceRecord, Course, Enrollment, RecordChange, SweepRun
from tests.factories import AttendanceFactory, CourseFactory, RecordFactory, TeacherFactory, UserFactory

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]


def rejected(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_course_codes_are_unique_and_not_empty():
    CourseFactory(code="CS1")
    rejected(lambda: Course.objects.create(code="CS1", title="Again"))
    rejected(lambda: Course.objects.create(code="", title="Empty"))


def test_an_enrolment_is_unique():
    course, student = CourseFactory(), UserFactory()
    Enrollment.objects.create(course=course, student=student)
    rejected(lambda: Enrollment.objects.create(course=course, student=student))


def test_a_session_ends_after_it_starts():
    now = timezone.now()
    teacher = TeacherFactory()
    rejected(lambda: Attendance.objects.create(lesson_name="L", teacher=teacher, starts_at=now, ends_at=now))


def test_a_session_has_a_lesson_name_and_a_known_network_mode():
    teacher, now = TeacherFactory(), timezone.now()
    end = now + timedelta(hours=1)
    rejected(lambda: Attendance.objects.create(lesson_name="", teacher=teacher, starts_at=now, ends_at=end))
    rejected(
        lambda: Attendance.objects.create(
            lesson_name="L", teacher=teacher, starts_at=now, ends_at=end, network_mode="psychic"
        )
    )


def test_a_deleted_session_has_a_deletion_time():
    attendance = AttendanceFactory()
    rejected(lambda: Attendance.objects.filter(pk=attendance.pk).update(is_deleted=True))


def test_one_record_per_student_per_session():
    record = RecordFactory()
    rejected(lambda: RecordFactory(attendance=record.attendance, student=record.student))


def test_a_record_has_a_known_status_and_source():
    record = RecordFactory()
    rejected(lambda: AttendanceRecord.objects.filter(pk=record.pk).update(status="maybe"))
    rejected(lambda: AttendanceRecord.objects.filter(pk=record.pk).update(source="pigeon"))


def test_a_rejected_record_carries_its_reason():
    record = RecordFactory()
    rejected(lambda: AttendanceRecord.objects.filter(pk=record.pk).update(status="rejected", fail_reason=""))


def test_a_change_needs_a_reason():
    record = RecordFactory()
    rejected(
        lambda: RecordChange.objects.create(
            record=record, changed_by=record.attendance.teacher, new_status="late", reason=""
        )
    )


def test_a_sweep_run_cannot_finish_before_it_starts():
    now = timezone.now()
    rejected(lambda: SweepRun.objects.create(started_at=now, finished_at=now - timedelta(seconds=1)))
