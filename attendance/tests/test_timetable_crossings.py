"""A timetable change that moves a student across the attendance threshold says so before it is saved
(issue 27, major 4): nothing changes until the teacher confirms; a change that moves nobody saves at once."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from attendance.models import Course, NoClassDay, Status, TimetableSlot
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, UserFactory


@pytest.fixture
def over_the_term(teacher, student, course):
    """Rates over the term's 4 planned sessions, all held: ``student`` came 3 times (75 %), ``steady`` 4."""
    Course.objects.filter(pk=course.pk).update(rate_policy=Course.RatePolicy.TERM, planned_sessions=4)
    steady = EnrollmentFactory(
        course=course, student=UserFactory(school_number="S4004", full_name="Steady Stu")
    ).student
    for week in range(4):
        session = AttendanceFactory(
            course=course, teacher=teacher, starts_at=timezone.now() - timedelta(days=7 * (4 - week))
        )
        RecordFactory(attendance=session, student=student, status=Status.PRESENT if week else Status.ABSENT)
        RecordFactory(attendance=session, student=steady, status=Status.PRESENT)
    return steady


def term_dates():
    today = timezone.localdate()
    return {"first_day": str(today - timedelta(days=30)), "last_day": str(today + timedelta(days=60))}


def hidden_fields(page: str) -> dict:
    form = page[page.index('id="threshold-confirm"') :]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)
    return {name: value.replace("&#x27;", "'").replace("&quot;", '"') for name, value in fields.items()}


@pytest.mark.django_db
def test_an_import_that_puts_students_under_the_threshold_asks_first(teacher_client, course, student, over_the_term):
    url = reverse("attendance:slots_import", args=[course.pk])
    text = "Monday, 09:00, 90, B-204\n"
    response = teacher_client.post(url, {"file": SimpleUploadedFile("t.csv", text.encode()), **term_dates()})

    assert response.status_code == 409
    assert "Not saved yet: this change moves students across the 70% threshold" in response.text
    assert student.full_name in response.text and "75.0 %" in response.text
    assert "Steady Stu" in response.text and "under the threshold" in response.text
    assert not TimetableSlot.objects.exists()
    course.refresh_from_db()
    assert course.planned_sessions == 4

    fields = hidden_fields(response.text)
    assert fields["confirm"] == "1" and fields["text"] == text
    response = teacher_client.post(url, fields)
    assert response.status_code == 302
    assert TimetableSlot.objects.count() == 1
    course.refresh_from_db()
    assert course.planned_sessions > 4


def weekly(weekday: int, first_day, weeks: int) -> dict:
    return {
        "weekday": weekday,
        "starts": "09:00",
        "duration_minutes": 90,
        "network_mode": "off",
        "require_code": "on",
    } | {
        "first_day": str(first_day),
        "last_day": str(first_day + timedelta(weeks=weeks - 1)),
    }


@pytest.mark.django_db
def test_removing_a_slot_says_who_comes_back_above(teacher_client, course, student, over_the_term):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    add = reverse("attendance:slot_add", args=[course.pk])
    assert teacher_client.post(add, weekly(0, monday - timedelta(weeks=3), 4)).status_code == 302  # 4 planned
    response = teacher_client.post(add, weekly(2, monday + timedelta(weeks=1, days=2), 1))
    assert response.status_code == 409 and "60.0 %" in response.text  # 3 of 5
    assert teacher_client.post(add, hidden_fields(response.text)).status_code == 302
    course.refresh_from_db()
    assert course.planned_sessions == 5

    wednesday = TimetableSlot.objects.get(weekday=2)
    remove = reverse("attendance:slot_remove", args=[course.pk, wednesday.pk])
    response = teacher_client.post(remove)
    assert response.status_code == 409 and "on the right side of the threshold" in response.text
    assert "Steady Stu" not in response.text  # 80 % → 100 %: on the same side
    course.refresh_from_db()
    assert course.planned_sessions == 5 and TimetableSlot.objects.count() == 2
    assert teacher_client.post(remove, {"confirm": "1"}).status_code == 302
    course.refresh_from_db()
    assert course.planned_sessions == 4 and TimetableSlot.objects.count() == 1


@pytest.mark.django_db
def test_a_day_without_class_that_moves_someone_asks_first(teacher_client, course, student):
    # The rate to date, 4 Mondays planned: with one class cancelled, one present of 3 cannot reach 70 %.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    fields = weekly(0, monday - timedelta(weeks=1), 4)
    assert teacher_client.post(reverse("attendance:slot_add", args=[course.pk]), fields).status_code == 302
    course.refresh_from_db()
    assert course.planned_sessions == 4
    for week in (1, 0):  # two held; the student came once: 1 + 2 remaining of 4 = 75 % still reachable
        session = AttendanceFactory(course=course, starts_at=timezone.now() - timedelta(days=7 * week, hours=1))
        RecordFactory(attendance=session, student=student, status=Status.PRESENT if week else Status.ABSENT)

    day = {"day": str(monday + timedelta(weeks=2)), "reason": "Conference"}
    response = teacher_client.post(reverse("attendance:day_add", args=[course.pk]), day)
    assert response.status_code == 409 and "can no longer reach the threshold" in response.text
    assert not NoClassDay.objects.exists()
    assert (
        teacher_client.post(reverse("attendance:day_add", args=[course.pk]), day | {"confirm": "1"}).status_code == 302
    )
    assert NoClassDay.objects.filter(course=course).exists()


@pytest.mark.django_db
def test_a_change_that_moves_nobody_is_saved_at_once(teacher_client, course, student):
    response = teacher_client.post(
        reverse("attendance:slots_import", args=[course.pk]),
        {"file": SimpleUploadedFile("t.csv", b"Monday, 09:00, 90\n"), **term_dates()},
    )
    assert response.status_code == 302 and TimetableSlot.objects.count() == 1
