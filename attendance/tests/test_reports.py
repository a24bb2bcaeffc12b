from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.history import reports
from attendance.models import Course
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(teacher, course, student):
    """Four sessions; student: P, L, E, A; classmate: A, A, A, P."""
    classmate = UserFactory(school_number="S2002", full_name="Cleo Classmate")
    EnrollmentFactory(course=course, student=classmate)
    marks = {student: ["present", "late", "excused", "absent"], classmate: ["absent", "absent", "absent", "present"]}
    sessions = []
    for i in range(4):
        a = AttendanceFactory(teacher=teacher, course=course, starts_at=timezone.now() - timedelta(days=10 - i))
        sessions.append(a)
        for person, statuses in marks.items():
            RecordFactory(attendance=a, student=person, status=statuses[i])
    return sessions, classmate


def rates(course):
    return {line.school_number: line for line in reports.course_report(course).lines}


def test_rate_to_date_with_excused_as_present(term, course, student):
    lines = rates(course)
    assert lines[student.school_number].rate == 75.0
    assert lines["S2002"].rate == 25.0 and lines["S2002"].below


def test_rate_to_date_with_excused_left_out(term, course, student):
    course.excused_counts_as_present = False
    course.save()
    assert rates(course)[student.school_number].rate == round(200 / 3, 1)


def test_rate_over_the_term_and_who_can_no_longer_reach_it(term, course, student):
    course.rate_policy = Course.RatePolicy.TERM
    course.planned_sessions = 10
    course.save()
    lines = rates(course)
    assert lines[student.school_number].rate == 30.0
    # 6 sessions to go: the student can reach 9/10, the classmate exactly 7/10 = 70 %.
    assert not lines[student.school_number].cannot_reach
    assert not lines["S2002"].cannot_reach
    course.planned_sessions = 6
    course.save()
    lines = rates(course)
    assert lines["S2002"].cannot_reach and not lines[student.school_number].cannot_reach


def test_session_rates_and_soft_deleted_rows_left_out(term, course):
    sessions, classmate = term
    record = sessions[0].records.get(student=classmate)
    record.is_deleted, record.deleted_at = True, timezone.now()
    record.save()
    report = reports.course_report(course)
    assert report.session_rates[0] == 100.0
    assert report.session_rates[1:] == [50.0, 50.0, 50.0]
    sessions[3].is_deleted, sessions[3].deleted_at = True, timezone.now()
    sessions[3].save()
    assert len(reports.course_report(course).sessions) == 3


def test_the_report_page_shows_matrix_rates_policy_and_chart(teacher_client, term, course):
    response = teacher_client.get(reverse("attendance:course_report", args=[course.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rate to date" in content and "75.0 %" in content and "<svg" in content
    assert 'class="below" id="student-S2002"' in content


def test_the_teacher_changes_the_policy(teacher_client, term, course):
    url = reverse("attendance:course_policy", args=[course.pk])
    bad = teacher_client.post(url, {"rate_policy": "term", "planned_sessions": ""})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Policy not changed: correct the marked fields." in page
    # The error at its field, the form open, and the page still saying the policy in force.
    field = page.index('for="id_planned_sessions"')
    assert page.index("The term policy needs the number of planned sessions.", field) < page.index(
        'id="id_planned_sessions"'
    )
    assert "<details open>" in page and '<strong id="policy">Rate to date' in page
    too_much = teacher_client.post(url, {"rate_policy": "to_date", "remote_weight": "150"})
    assert too_much.status_code == 400
    assert "Ensure this value is less than or equal to 100." in too_much.content.decode()
    assert 'max="100"' in too_much.content.decode()
    course.refresh_from_db()
    assert (course.rate_policy, course.remote_weight) == ("to_date", 100)
    teacher_client.post(url, {"rate_policy": "term", "planned_sessions": "12"})
    course.refresh_from_db()
    assert (course.rate_policy, course.planned_sessions, course.excused_counts_as_present) == ("term", 12, False)


def test_my_attendance_shows_my_rates_and_warnings(student_client, term, student):
    response = student_client.get(reverse("attendance:my_attendance"))
    assert response.status_code == 200
    overview = response.context["overview"]
    assert len(overview) == 1 and overview[0].rate == 75.0 and not overview[0].below
    assert len(overview[0].records) == 4
    assert b"Cleo Classmate" not in response.content


def test_my_attendance_warns_under_the_threshold(client, term):
    from conftest import login

    _, classmate = term
    login(client, classmate)
    response = client.get(reverse("attendance:my_attendance"))
    assert response.context["overview"][0].below
    assert b"under the 70 % attendance threshold" in response.content
