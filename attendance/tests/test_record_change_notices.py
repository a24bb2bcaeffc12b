"""A student is told when a teacher changes their saved record (issue 32): on "My attendance", and by e-mail in
their language when the course sends e-mails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.history import corrections
from attendance.models import Course, RecordChange, Status
from attendance.warnings import changes
from conftest import login
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(course, teacher, student):
    starts = timezone.now() - timedelta(days=2)
    session = AttendanceFactory(
        course=course, teacher=teacher, lesson_name="Recursion", starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    return RecordFactory(attendance=session, student=student, status=Status.ABSENT, source="sweep")


def test_a_correction_enqueues_the_notice_once_committed(
    record, teacher, task_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = corrections.record_change_status(record=record, by=teacher, status=Status.PRESENT, reason="Seen late")

    from django_q.signing import SignedPackage

    queued = [SignedPackage.loads(m[1]) for m in task_queue.dequeue() or []]
    assert [(t["func"], t["args"]) for t in queued] == [("attendance.tasks.tell_student_of_change", (change.pk,))]


def test_the_student_reads_the_change_on_my_attendance(record, teacher, student):
    corrections.record_change_status(record=record, by=teacher, status=Status.EXCUSED, reason="Medical report")

    page = login(Client(), student).get(reverse("attendance:my_attendance")).text

    notices = page[page.index('id="record-changes"') :]
    assert "Recursion" in notices and "excused" in notices and "Medical report" in notices
    assert teacher.full_name in notices


def test_the_mail_goes_in_the_students_language(record, teacher, student):
    student.email, student.language = "sam@uni.example", "tr"
    student.save()
    change = corrections.record_change_status(record=record, by=teacher, status=Status.PRESENT, reason="Seen late")

    assert changes.tell_student(change.pk) == "sent"

    (message,) = mail.outbox
    assert message.to == ["sam@uni.example"]
    assert "yoklama kaydınız değişti" in message.subject and "var" in message.body and "Recursion" in message.body


def test_no_mail_when_the_course_sends_none_or_the_student_has_no_address(record, teacher, student, course):
    change = corrections.record_change_status(record=record, by=teacher, status=Status.PRESENT, reason="Seen")
    assert changes.tell_student(change.pk) == "the student has no e-mail address"
    student.email = "sam@uni.example"
    student.save()
    Course.objects.filter(pk=course.pk).update(warning_rule=Course.WarningRule.OFF)
    assert changes.tell_student(change.pk) == "the course sends no e-mails"
    assert mail.outbox == [] and RecordChange.objects.count() == 1
