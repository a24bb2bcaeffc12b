"""Forms that say only what applies (issue 27): the start form's network choices and late default, the
session page's statuses of a session that admitted no remote students."""

import pytest
from django.urls import reverse

from attendance.models import Course, Status
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db


def test_the_start_form_offers_the_courses_networks_only_when_a_course_has_some(teacher_client, course):
    page = teacher_client.get(reverse("attendance:teacher_home")).text
    assert 'value="cidr"' not in page and "The course&#x27;s allowed networks" not in page
    Course.objects.filter(pk=course.pk).update(allowed_networks=["10.0.0.0/8"])
    assert 'value="cidr"' in teacher_client.get(reverse("attendance:teacher_home")).text


def test_the_start_form_says_what_the_late_default_is(teacher_client, course, settings):
    Course.objects.filter(pk=course.pk).update(late_threshold_minutes=15)
    page = teacher_client.get(reverse("attendance:teacher_home")).text
    expected = f"(CS101 15; {settings.LATE_THRESHOLD_MINUTES} without a course)"
    assert expected in page


@pytest.mark.parametrize("hybrid", [False, True])
def test_present_remote_is_offered_only_in_a_hybrid_session(teacher_client, teacher, course, student, hybrid):
    session = AttendanceFactory(course=course, teacher=teacher, admits_remote=hybrid)
    record = RecordFactory(attendance=session, student=student, status=Status.ABSENT)
    page = teacher_client.get(reverse("attendance:session_detail", args=[session.pk])).text
    assert ('value="remote"' in page) is hybrid
    change = reverse("attendance:record_change", args=[session.pk, record.pk])
    response = teacher_client.post(change, {"status": "remote", "reason": "On the call"})
    assert response.status_code == (302 if hybrid else 400)
    record.refresh_from_db()
    assert record.status == (Status.REMOTE if hybrid else Status.ABSENT)


def test_a_teacher_whose_location_is_refused_is_told_what_they_can_do(teacher_client):
    page = teacher_client.get(reverse("attendance:teacher_home")).text
    assert "start the session without the location check" in page
    assert "your teacher will review your check-in" not in page
