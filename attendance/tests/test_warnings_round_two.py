"""Warnings teachers asked for (issue 32): "N absences in a row" per course, a copy to the student's advisor
once per crossing in the advisor's language, and the student's e-mail saying how many more sessions they may
miss this term."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from attendance.models import AttendanceWarning, Course, Status
from attendance.warnings import service as warnings
from tests.factories import AttendanceFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def advisor():
    return UserFactory(
        school_number="T5005", full_name="Ada Advisor", role="teacher", email="ada@uni.example", language="tr"
    )


def held(course, teacher, student, statuses):
    """Sessions held one day apart after every session before, with the student's status in each."""
    first = timezone.now() - timedelta(days=60)
    for status in statuses:
        last = course.sessions.order_by("-starts_at").values_list("starts_at", flat=True).first()
        starts = (last or first) + timedelta(days=1)
        session = AttendanceFactory(course=course, teacher=teacher, starts_at=starts)
        reason = "Not in the room" if status == Status.REJECTED else ""
        RecordFactory(attendance=session, student=student, status=status, fail_reason=reason)


def to(address):
    return [m for m in mail.outbox if address in m.to]


def test_three_absences_in_a_row_warn_once_even_above_the_threshold(course, teacher, student):
    User.objects.filter(pk=student.pk).update(email="sam@uni.example")
    Course.objects.filter(pk=course.pk).update(warning_rule=Course.WarningRule.OFF, absences_in_a_row=3)
    course.refresh_from_db()
    held(course, teacher, student, [Status.PRESENT] * 7 + [Status.ABSENT, Status.REJECTED])
    assert warnings.send_warnings() == 0  # two in a row

    held(course, teacher, student, [Status.ABSENT])
    assert warnings.send_warnings() == 1
    (letter,) = to("sam@uni.example")
    assert "You have missed the last 3 sessions of CS101" in letter.body
    assert AttendanceWarning.objects.get().kind == "in_a_row"
    assert warnings.send_warnings() == 0  # the same streak


def test_a_broken_streak_then_a_new_one_warns_again(course, teacher, student):
    Course.objects.filter(pk=course.pk).update(warning_rule=Course.WarningRule.OFF, absences_in_a_row=2)
    course.refresh_from_db()
    held(course, teacher, student, [Status.ABSENT, Status.ABSENT])
    assert warnings.send_warnings() == 1
    held(course, teacher, student, [Status.PRESENT])
    assert warnings.send_warnings() == 0
    assert AttendanceWarning.objects.get().cleared_at is not None
    held(course, teacher, student, [Status.ABSENT, Status.ABSENT])
    assert warnings.send_warnings() == 1
    assert AttendanceWarning.objects.filter(kind="in_a_row").count() == 2


def test_the_advisor_gets_a_copy_once_in_their_language(course, teacher, student, advisor):
    User.objects.filter(pk=student.pk).update(email="sam@uni.example", advisor=advisor)
    held(course, teacher, student, [Status.PRESENT, Status.ABSENT, Status.ABSENT, Status.ABSENT])

    assert warnings.send_warnings() == 1
    assert warnings.send_warnings() == 0

    (copy,) = to("ada@uni.example")
    assert student.full_name in copy.subject and "danışman" in copy.subject.lower()
    assert AttendanceWarning.objects.get().advisor_emailed is True


def test_the_students_mail_says_how_many_more_sessions_they_may_miss(course, teacher, student):
    User.objects.filter(pk=student.pk).update(email="sam@uni.example")
    Course.objects.filter(pk=course.pk).update(rate_policy=Course.RatePolicy.TO_DATE, planned_sessions=14)
    course.refresh_from_db()
    held(course, teacher, student, [Status.PRESENT, Status.ABSENT, Status.ABSENT, Status.PRESENT])

    assert warnings.send_warnings() == 1  # 50 % to date, under 70 %

    (letter,) = to("sam@uni.example")
    # 2 attended of 14 planned, 10 to go: 70 % of 14 is 9.8, so 12 - 9.8 → at most 2 more absences.
    assert "You can still miss at most 2 more sessions this term and reach 70 %." in letter.body
