from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import Status
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db
URL = reverse("attendance:session_list")


def make_session(teacher, course, statuses, **kwargs):
    attendance = AttendanceFactory(teacher=teacher, course=course, **kwargs)
    for status in statuses:
        RecordFactory(attendance=attendance, status=status)
    return attendance


def test_it_lists_own_sessions_newest_first_with_counts_and_rate(teacher_client, teacher, course):
    old = make_session(teacher, course, ["present", "absent"], starts_at=timezone.now() - timedelta(days=3))
    new = make_session(teacher, course, ["present", "late", "absent", "excused"])
    response = teacher_client.get(URL)
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [a.pk for a in rows] == [new.pk, old.pk]
    assert (rows[0].n_present, rows[0].n_late, rows[0].n_absent, rows[0].n_excused) == (1, 1, 1, 1)
    assert rows[0].n_attended == 2 and rows[0].n_total == 4
    assert b"50 %" in response.content


def test_it_leaves_out_other_teachers_and_soft_deleted_sessions(teacher_client, teacher, other_teacher, course):
    mine = make_session(teacher, course, ["present"])
    make_session(other_teacher, course, ["present"])
    make_session(teacher, course, ["present"], is_deleted=True, deleted_at=timezone.now())
    assert [a.pk for a in teacher_client.get(URL).context["page"]] == [mine.pk]


def test_soft_deleted_records_are_not_counted(teacher_client, teacher, course):
    attendance = make_session(teacher, course, ["present"])
    RecordFactory(attendance=attendance, status="absent", is_deleted=True, deleted_at=timezone.now())
    row = teacher_client.get(URL).context["page"][0]
    assert row.n_total == 1 and row.n_absent == 0


def test_it_filters_by_course_and_date(teacher_client, teacher, course):
    from tests.factories import CourseFactory

    other_course = CourseFactory(teachers=[teacher])
    a = make_session(teacher, course, [], starts_at=timezone.now() - timedelta(days=10))
    b = make_session(teacher, other_course, [])
    assert [x.pk for x in teacher_client.get(URL, {"course": course.pk}).context["page"]] == [a.pk]
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert [x.pk for x in teacher_client.get(URL, {"from": since}).context["page"]] == [b.pk]
    assert teacher_client.get(URL, {"from": "not-a-date", "course": "x"}).status_code == 200


def test_it_paginates_with_a_constant_number_of_queries(teacher_client, teacher, course):
    for _ in range(30):
        make_session(teacher, course, ["present"])
    with CaptureQueriesContext(connection) as few:
        teacher_client.get(URL)
    for _ in range(10):
        make_session(teacher, course, ["present", "absent"])
    with CaptureQueriesContext(connection) as more:
        response = teacher_client.get(URL, {"page": 2})
    assert len(more) == len(few)
    assert len(response.context["page"]) == 15


def test_the_session_page_lists_records_with_reason_and_source(teacher_client, teacher, course):
    attendance = make_session(teacher, course, [])
    RecordFactory(
        attendance=attendance, status=Status.REJECTED, fail_reason="Wrong network", student__full_name="Rita R"
    )
    response = teacher_client.get(reverse("attendance:session_detail", args=[attendance.pk]))
    assert response.status_code == 200
    assert b"Rita R" in response.content and b"Wrong network" in response.content


def test_the_history_pages_refuse_post(teacher_client, teacher, course):
    attendance = make_session(teacher, course, [])
    assert teacher_client.post(URL).status_code == 405
    assert teacher_client.post(reverse("attendance:session_detail", args=[attendance.pk])).status_code == 405


@pytest.mark.parametrize("flags", [[], ["photo_mismatch"]])
def test_the_session_page_shows_the_photo_state_as_markup(teacher_client, teacher, course, flags):
    """The photo state is HTML of its own (a span and the photo's link), not text escaped into the cell."""
    attendance = make_session(teacher, course, [])
    record = RecordFactory(
        attendance=attendance,
        status=Status.REJECTED,
        fail_reason="Photo not verified in time.",
        photo_result="timeout",
        photo="checkins/x.jpg",
        flags=flags,
    )
    html = teacher_client.get(reverse("attendance:session_detail", args=[attendance.pk])).content.decode()
    photo = reverse("attendance:check_in_photo", args=[attendance.pk, record.student.school_number])
    assert '<span class="photo-state">photo not verified in time</span>' in html
    assert f'<a href="{photo}">see photo</a>' in html
    assert "&lt;span" not in html and "&lt;br&gt;" not in html
