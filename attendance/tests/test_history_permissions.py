"""Who may open each history, report and export URL: anonymous, student, other teacher, staff."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(teacher, course, student):
    attendance = AttendanceFactory(teacher=teacher, course=course)
    record = RecordFactory(attendance=attendance, student=student)
    return attendance, record, course


def urls(attendance, record, course):
    sid, rid, cid = attendance.pk, record.pk, course.pk
    return [
        ("get", reverse("attendance:session_list"), "list"),
        ("get", reverse("attendance:session_detail", args=[sid]), "session"),
        ("get", reverse("attendance:session_export", args=[sid]), "session"),
        ("post", reverse("attendance:record_add", args=[sid]), "session"),
        ("post", reverse("attendance:session_remove", args=[sid]), "session"),
        ("post", reverse("attendance:record_change", args=[sid, rid]), "session"),
        ("post", reverse("attendance:record_remove", args=[sid, rid]), "session"),
        ("get", reverse("attendance:course_list"), "list"),
        ("get", reverse("attendance:course_report", args=[cid]), "course"),
        ("post", reverse("attendance:course_policy", args=[cid]), "course"),
        ("get", reverse("attendance:course_export", args=[cid]), "course"),
    ]


def test_anonymous_users_are_sent_to_login(client, objects):
    for method, url, _ in urls(*objects) + [("get", reverse("attendance:my_attendance"), "me")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_students_get_403_on_teacher_pages(student_client, objects):
    for method, url, _ in urls(*objects):
        assert getattr(student_client, method)(url).status_code == 403, url


def test_teachers_get_403_on_my_attendance(teacher_client):
    assert teacher_client.get(reverse("attendance:my_attendance")).status_code == 403


def test_another_teacher_gets_404_on_someone_elses_session_and_course(client, other_teacher, objects):
    login(client, other_teacher)
    for method, url, kind in urls(*objects):
        status = getattr(client, method)(url).status_code
        assert status == (200 if kind == "list" else 404), url
    attendance = objects[0]
    attendance.refresh_from_db()
    assert not attendance.is_deleted


def test_staff_may_open_every_page(client, staff, objects):
    login(client, staff)
    for method, url, _ in urls(*objects):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_unknown_ids_are_404(teacher_client):
    for url in (
        reverse("attendance:session_detail", args=[uuid.uuid4()]),
        reverse("attendance:session_export", args=[uuid.uuid4()]),
        reverse("attendance:course_report", args=[999999]),
        "/teach/sessions/not-a-uuid/",
    ):
        assert teacher_client.get(url).status_code == 404, url


def test_posts_need_a_csrf_token(teacher, objects):
    client = Client(enforce_csrf_checks=True)
    login(client, teacher)
    attendance, record, _ = objects
    response = client.post(
        reverse("attendance:record_change", args=[attendance.pk, record.pk]), {"status": "absent", "reason": "x"}
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.status == "present"


def test_typed_text_is_escaped(teacher_client, objects):
    attendance, record, _ = objects
    teacher_client.post(
        reverse("attendance:record_change", args=[attendance.pk, record.pk]),
        {"status": "late", "reason": "<script>x</script>"},
    )
    page = teacher_client.get(reverse("attendance:session_detail", args=[attendance.pk]))
    assert b"<script>x</script>" not in page.content and b"&lt;script&gt;" in page.content
