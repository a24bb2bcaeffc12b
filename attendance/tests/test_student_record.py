"""A student's whole record (issue 32) for their teachers, their advisor and staff, with an export; and the
department view for administrators with its export."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from attendance.excuses import appeals
from conftest import login
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    RecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(course, teacher, student):
    """Three saved sessions of the course: present, absent (rejected at a spot check), absent."""
    first = timezone.now() - timedelta(days=3)
    records = []
    rows = [
        ("present", "", []),
        ("rejected", "Not in the room at the spot check", ["spot_check_failed"]),
        ("absent", "", []),
    ]
    for day, (status, reason, flags) in enumerate(rows):
        session = AttendanceFactory(course=course, teacher=teacher, starts_at=first + timedelta(days=day))
        record = RecordFactory(attendance=session, student=student, status=status, fail_reason=reason, flags=flags)
        records.append(record)
    appeals.file_appeal(student=student, record_id=records[2].pk, wanted="excused", reason="Ill")
    return records


def page(user, student, **query):
    return login(Client(), user).get(reverse("attendance:student_record", args=[student.school_number]), query)


def test_the_courses_teacher_reads_the_whole_record(teacher, student, history):
    response = page(teacher, student)

    assert response.status_code == 200
    text = response.text
    assert "CS101" in text and "33.3 %" in text
    assert "not in the room at a spot check" in text and "spot checks: 0 passed, 1 failed" in text
    assert "Appeal of" in text and "Ill" in text


def test_the_advisor_and_staff_read_it_and_nobody_else(student, history, other_teacher, classmates):
    advisor = UserFactory(school_number="T6006", role="teacher")
    User.objects.filter(pk=student.pk).update(advisor=advisor)
    assert page(advisor, student).status_code == 200
    assert page(AdminFactory(school_number="A6006"), student).status_code == 200
    assert page(other_teacher, student).status_code == 404
    rita, _ = classmates
    assert page(rita, student).status_code in (403, 404)
    assert login(Client(), advisor).get(reverse("attendance:course_list")).text.count(student.full_name) == 1


def test_the_record_exports_as_csv(teacher, student, history):
    response = page(teacher, student, format="csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "course,date,session,status,reason,flags" and len(lines) == 4
    assert any("rejected" in line and "not in the room at a spot check" in line for line in lines)


def test_the_department_view_for_administrators(teacher, student, history, course):
    other = CourseFactory(code="MA110")
    EnrollmentFactory(course=other, student=student)
    admin = login(Client(), AdminFactory(school_number="A6007"))

    response = admin.get(reverse("adminpanel:department"))

    assert response.status_code == 200
    row = response.text[response.text.index('id="department-CS101"') :]
    assert "33.3 %" in row[: row.index("</tr>")]
    assert 'id="department-MA110"' in response.text
    csv_lines = admin.get(reverse("adminpanel:department"), {"format": "csv"}).content.decode().splitlines()
    assert csv_lines[0].startswith("course,title,rate") and any(line.startswith("CS101,") for line in csv_lines)
    assert login(Client(), teacher).get(reverse("adminpanel:department")).status_code == 403
