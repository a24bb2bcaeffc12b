"""The pages people open every day cost the same number of queries however much history there is.

Each page is read once on a small history and once on one three times larger
(more students, sessions and records); the query counts must be equal.  This
is what keeps them fast on five years of data (``make bench-pages``).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

STATUSES = ["present", "late", "absent", "excused", "rejected"]


def grow(teacher, course, student, sessions: int, classmates: int) -> None:
    """Add classmates, and sessions of the course with a record for everyone enrolled."""
    for _ in range(classmates):
        EnrollmentFactory(course=course, student=UserFactory())
    enrolled = [e.student for e in course.enrollments.select_related("student")]
    for n in range(sessions):
        attendance = AttendanceFactory(teacher=teacher, course=course, starts_at=timezone.now() - timedelta(days=n + 1))
        for i, person in enumerate(enrolled):
            status = STATUSES[(n + i) % len(STATUSES)]
            reason = "No." if status == "rejected" else ""
            RecordFactory(attendance=attendance, student=person, status=status, fail_reason=reason)


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured)


PAGES = {
    "session_list": lambda course, sid: (reverse("attendance:session_list"), {}),
    "session_list_filtered": lambda course, sid: (
        reverse("attendance:session_list"),
        {"course": course.pk, "from": (timezone.now() - timedelta(days=30)).date().isoformat()},
    ),
    "session_detail": lambda course, sid: (reverse("attendance:session_detail", args=[sid]), {}),
    "course_report": lambda course, sid: (reverse("attendance:course_report", args=[course.pk]), {}),
    "course_csv": lambda course, sid: (reverse("attendance:course_export", args=[course.pk]), {"format": "csv"}),
    "course_xlsx": lambda course, sid: (reverse("attendance:course_export", args=[course.pk]), {"format": "xlsx"}),
    "session_csv": lambda course, sid: (reverse("attendance:session_export", args=[sid]), {"format": "csv"}),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_teachers_page_costs_the_same_queries_on_a_larger_history(page, teacher_client, teacher, course, student):
    grow(teacher, course, student, sessions=2, classmates=2)
    sid = course.sessions.first().pk
    few = queries(teacher_client, *PAGES[page](course, sid))
    grow(teacher, course, student, sessions=4, classmates=4)
    assert queries(teacher_client, *PAGES[page](course, sid)) == few


def test_my_attendance_costs_the_same_queries_on_a_larger_history(student_client, teacher, course, student):
    grow(teacher, course, student, sessions=2, classmates=1)
    few = queries(student_client, reverse("attendance:my_attendance"))
    grow(teacher, course, student, sessions=6, classmates=2)
    assert queries(student_client, reverse("attendance:my_attendance")) == few


CHANGELISTS = ["admin:accounts_user_changelist", "admin:attendance_attendancerecord_changelist"]


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_an_admin_search_costs_the_same_queries_on_a_larger_history(changelist, staff, teacher, course, student):
    staff.is_superuser = True
    staff.save()
    admin = login(Client(), staff)
    grow(teacher, course, student, sessions=2, classmates=2)
    few = queries(admin, reverse(changelist), {"q": student.school_number})
    grow(teacher, course, student, sessions=4, classmates=4)
    assert queries(admin, reverse(changelist), {"q": student.school_number}) == few


def test_the_session_page_forms_post_to_each_records_own_urls(teacher_client, teacher, course, student):
    grow(teacher, course, student, sessions=1, classmates=1)
    attendance = course.sessions.get()
    record = attendance.records.get(student=student)
    html = teacher_client.get(reverse("attendance:session_detail", args=[attendance.pk])).content.decode()
    for name in ("record_change", "record_remove"):
        assert f'action="{reverse(f"attendance:{name}", args=[attendance.pk, record.pk])}"' in html
    assert f'<option value="{record.status}" selected>' in html


def test_the_report_matrix_shows_each_mark(teacher_client, teacher, course, student):
    grow(teacher, course, student, sessions=2, classmates=0)
    html = teacher_client.get(reverse("attendance:course_report", args=[course.pk])).content.decode()
    marks = list(course.sessions.order_by("starts_at").values_list("records__status", flat=True))
    cells = "".join(f'<td class="m {m}">{m[0].upper()}</td>' for m in marks)
    assert cells in html


def test_my_attendance_shows_the_latest_records_and_all_on_request(student_client, teacher, course, student):
    from attendance.history.views import MY_RECENT_RECORDS

    grow(teacher, course, student, sessions=MY_RECENT_RECORDS + 2, classmates=0)
    url = reverse("attendance:my_attendance")
    recent = student_client.get(url).content.decode()
    everything = student_client.get(url, {"all": 1}).content.decode()
    assert recent.count('<span class="badge') == MY_RECENT_RECORDS
    assert f"The latest {MY_RECENT_RECORDS} of {MY_RECENT_RECORDS + 2} sessions." in recent
    assert everything.count('<span class="badge') == MY_RECENT_RECORDS + 2
    assert "Show all" not in everything


def test_admin_lists_name_the_student_and_session_of_a_record_without_a_query_each(
    staff, teacher, course, student, client
):
    from attendance.models import RecordChange

    staff.is_superuser = True
    staff.save()
    admin = login(client, staff)
    grow(teacher, course, student, sessions=1, classmates=3)
    attendance = course.sessions.get()

    def change_every_record():
        for record in attendance.records.filter(changes__isnull=True):
            RecordChange.objects.create(record=record, changed_by=teacher, new_status="excused", reason="A note")

    change_every_record()
    changes = reverse("admin:attendance_recordchange_changelist")
    session_page = reverse("admin:attendance_attendance_change", args=[attendance.pk])
    queries(admin, session_page)  # warm: the admin's first visit also reads the content types
    few = (queries(admin, changes), queries(admin, session_page))
    html = admin.get(changes).content.decode()
    assert f"{student.full_name} ({student.school_number}): " in html and attendance.lesson_name in html

    for _ in range(4):
        RecordFactory(attendance=attendance, student=UserFactory())
    change_every_record()
    assert (queries(admin, changes), queries(admin, session_page)) == few
