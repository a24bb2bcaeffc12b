"""Starting a live session: the form, one open session per teacher, the meta stored in Redis."""

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import live
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import CourseFactory

from .live_helpers import TEACHER_IP, at, due_ids, messages_of, start

URL = reverse("attendance:teacher_home")


def form(**changes):
    data = {
        "course": "",
        "lesson_name": "",
        "duration_minutes": "90",
        "require_code": "on",
        "network_mode": "off",
        "location_radius_m": "100",
        "one_device_per_student": "on",
        "late_threshold_minutes": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def started_id(response) -> str:
    assert response.status_code == 302
    assert response.url.startswith("/teach/live/")
    return response.url.split("/")[3]


def raw_meta(redis_conn, sid) -> dict:
    return json.loads(redis_conn.hget(live.session_keys(sid).meta, "data"))


def test_it_shows_the_start_form_with_the_teachers_courses(teacher_client, course, other_teacher):
    CourseFactory(code="OTHER9", teachers=[other_teacher])
    response = teacher_client.get(URL)
    assert response.status_code == 200
    assert b'id="start-form"' in response.content
    assert b"CS101" in response.content
    assert b"OTHER9" not in response.content


def test_it_starts_a_session_for_a_course_and_stores_a_self_contained_meta(teacher_client, course, redis_conn):
    before = time.time()
    response = teacher_client.post(URL, form(course=course.pk), REMOTE_ADDR="10.1.2.3")
    sid = started_id(response)

    data = raw_meta(redis_conn, sid)
    assert data["teacher_number"] == "T1001"
    assert data["teacher_name"] == "Tess Teacher"
    assert data["course_id"] == course.pk
    assert data["course_code"] == "CS101"
    assert data["course_title"] == "Programming"
    assert data["lesson_name"].startswith("Programming — ")
    assert data["late_threshold_minutes"] == course.late_threshold_minutes
    assert data["teacher_ip"] == "10.1.2.3"
    assert data["require_code"] is True and data["one_device_per_student"] is True
    assert len(data["secret"]) == 32
    assert before - 1 <= data["starts_at"] <= time.time()
    assert data["ends_at"] == pytest.approx(data["starts_at"] + 90 * 60)
    assert redis_conn.hget(live.session_keys(sid).meta, "state") == b"open"
    assert live.teacher_open_session_id("T1001") == sid


def test_it_starts_an_ad_hoc_lesson_with_the_default_late_threshold(teacher_client, settings, redis_conn):
    settings.LATE_THRESHOLD_MINUTES = 7
    response = teacher_client.post(URL, form(lesson_name="Guest lecture", require_code=None, duration_minutes="45"))
    sid = started_id(response)

    session = live.get_session(sid)
    assert session.course_id is None and session.course_code == ""
    assert session.lesson_name == "Guest lecture"
    assert session.title == "Guest lecture"
    assert session.late_threshold_minutes == 7
    assert session.require_code is False
    assert session.ends_at - session.starts_at == pytest.approx(45 * 60)


def test_it_takes_the_late_threshold_typed_over_the_courses(teacher_client, course):
    sid = started_id(teacher_client.post(URL, form(course=course.pk, late_threshold_minutes="3")))
    assert live.get_session(sid).late_threshold_minutes == 3


def test_it_starts_later_at_the_chosen_time(teacher_client, course):
    starts = (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0)
    data = form(course=course.pk, start_later="on", starts_at=starts.strftime("%Y-%m-%dT%H:%M"))
    sid = started_id(teacher_client.post(URL, data))

    session = live.get_session(sid)
    assert session.starts_at == starts.timestamp()
    assert not session.has_started(time.time())


def test_it_ends_at_the_chosen_end_time_over_the_duration(teacher_client, course):
    ends = (timezone.localtime() + timedelta(hours=2)).replace(second=0, microsecond=0)
    sid = started_id(teacher_client.post(URL, form(course=course.pk, ends_at=ends.strftime("%Y-%m-%dT%H:%M"))))
    assert live.get_session(sid).ends_at == ends.timestamp()


def test_it_refuses_an_end_time_before_the_start(teacher_client, redis_conn):
    ends = timezone.localtime() - timedelta(hours=1)
    response = teacher_client.post(URL, form(lesson_name="L", ends_at=ends.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400
    assert "between 5 minutes and 10 hours" in response.content.decode()
    assert not len(due_ids())


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({}, "lesson_name", "Name the lesson when it belongs to no course."),
        ({"lesson_name": "L", "start_later": "on"}, "starts_at", "Choose when the session starts."),
        ({"lesson_name": "L", "duration_minutes": "2"}, "duration_minutes", "greater than or equal to 5"),
        (
            {"lesson_name": "L", "duration_minutes": ""},
            "duration_minutes",
            "Give a duration, or the time the session ends.",
        ),
        ({"lesson_name": "L", "network_mode": "psychic"}, "network_mode", "Select a valid choice."),
        ({"lesson_name": "L", "late_threshold_minutes": "-1"}, "late_threshold_minutes", "greater than or equal"),
        ({"lesson_name": "L", "starts_at": "tomorrow", "start_later": "on"}, "starts_at", "Enter a valid date/time."),
    ],
)
def test_it_refuses_a_bad_form_with_a_message_and_starts_nothing(teacher_client, redis_conn, changes, field, message):
    response = teacher_client.post(URL, form(**changes))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert message.encode() in response.content
    assert len(due_ids()) == 0


def test_it_refuses_a_start_later_that_would_already_be_over(teacher_client, redis_conn):
    starts = timezone.localtime() - timedelta(hours=3)
    data = form(lesson_name="L", start_later="on", starts_at=starts.strftime("%Y-%m-%dT%H:%M"))
    response = teacher_client.post(URL, data)
    assert response.status_code == 400
    assert "starts_at" in response.context["form"].errors
    assert len(due_ids()) == 0


def test_it_asks_for_course_networks_before_a_cidr_check(teacher_client, course, redis_conn):
    response = teacher_client.post(URL, form(course=course.pk, network_mode="cidr"))
    assert response.status_code == 400
    assert "network_mode" in response.context["form"].errors  # none of the teacher's courses has networks
    assert len(due_ids()) == 0

    course.allowed_networks = ["10.20.0.0/16"]
    course.save()
    sid = started_id(teacher_client.post(URL, form(course=course.pk, network_mode="cidr")))
    session = live.get_session(sid)
    assert session.network_mode == "cidr"
    assert session.allowed_networks == ["10.20.0.0/16"]


def test_it_asks_for_a_position_before_a_location_check(teacher_client, redis_conn):
    response = teacher_client.post(URL, form(lesson_name="Lab", use_location="on"))
    assert response.status_code == 400
    assert b"did not share its location" in response.content
    assert len(due_ids()) == 0

    data = form(lesson_name="Lab", use_location="on", latitude="52.5", longitude="13.4", location_radius_m="50")
    session = live.get_session(started_id(teacher_client.post(URL, data)))
    assert (session.latitude, session.longitude, session.location_radius_m) == (52.5, 13.4, 50)


def test_it_stores_no_position_when_the_location_check_is_off(teacher_client):
    data = form(lesson_name="Lab", latitude="52.5", longitude="13.4")
    session = live.get_session(started_id(teacher_client.post(URL, data)))
    assert session.latitude is None and session.location_radius_m is None


def test_it_refuses_a_course_the_teacher_does_not_teach(client, other_teacher, course, redis_conn):
    login(client, other_teacher)
    response = client.post(URL, form(course=course.pk))
    assert response.status_code == 400
    assert "course" in response.context["form"].errors
    assert len(due_ids()) == 0


def test_staff_may_start_a_session_for_any_course(client, staff, course):
    login(client, staff)
    sid = started_id(client.post(URL, form(course=course.pk)))
    assert live.get_session(sid).teacher_number == "A1001"


def test_it_keeps_one_open_session_per_teacher(teacher_client, course, redis_conn):
    first = started_id(teacher_client.post(URL, form(course=course.pk)))
    response = teacher_client.post(URL, form(lesson_name="Another"))

    assert response.status_code == 302
    assert response.url == reverse("attendance:live", args=[first])
    assert "You already have an open session. Finish it before starting another." in messages_of(response)
    assert due_ids() == [first]
    assert b"Open now" in teacher_client.get(URL).content


def test_it_starts_again_once_the_open_session_is_finished(teacher_client, course, redis_conn):
    first = started_id(teacher_client.post(URL, form(course=course.pk)))
    live_sessions.session_finish(session=live.get_session(first))
    second = started_id(teacher_client.post(URL, form(lesson_name="Another")))
    assert second != first
    assert live.teacher_open_session_id("T1001") == second


def test_it_starts_again_once_the_open_session_has_ended_even_before_the_sweep(teacher, teacher_client):
    ended = start(teacher, started=2 * 3600, minutes=60)
    second = started_id(teacher_client.post(URL, form(lesson_name="Next class")))
    assert second != ended.id
    assert live.teacher_open_session_id("T1001") == second


def test_other_teachers_keep_their_own_open_sessions(client, teacher, other_teacher):
    mine = start(teacher)
    login(client, other_teacher)
    theirs = started_id(client.post(URL, form(lesson_name="Theirs")))
    assert theirs != mine.id
    assert live.teacher_open_session_id("T1001") == mine.id


def test_the_service_keeps_the_teacher_ip_given(teacher):
    now = time.time()
    result = live_sessions.session_start(
        teacher=teacher,
        course=None,
        lesson_name="L",
        starts_at=at(now),
        ends_at=at(now + 60),
        late_threshold_minutes=0,
        require_code=False,
        network_mode="same",
        teacher_ip=TEACHER_IP,
    )
    assert live.get_session(result.session.id).teacher_ip == TEACHER_IP


def test_it_refuses_the_wrong_method(teacher_client):
    assert teacher_client.put(URL).status_code == 405


def test_it_sends_outsiders_away(client, student_client):
    assert student_client.get(URL).status_code == 403
    assert student_client.post(URL, form(lesson_name="L")).status_code == 403
    client.logout()
    response = client.post(URL, form(lesson_name="L"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert len(due_ids()) == 0


def test_the_photo_check_follows_the_course_default_unless_chosen(teacher_client, course):
    course.photo_check_default = True
    course.save()
    sid = started_id(teacher_client.post(URL, form(course=course.pk)))
    assert live.get_session(sid).photo_check is True
    live.finish(live.get_session(sid), time.time())
    sid = started_id(teacher_client.post(URL, form(course=course.pk, photo_check="off")))
    assert live.get_session(sid).photo_check is False


def test_an_end_time_without_a_duration_is_enough(teacher_client, course):
    from django.utils import timezone

    ends = timezone.localtime() + timedelta(minutes=50)
    data = form(course=course.pk, duration_minutes="", ends_at=ends.strftime("%Y-%m-%dT%H:%M"))
    sid = started_id(teacher_client.post(URL, data))
    assert abs(live.get_session(sid).ends_at - ends.replace(second=0, microsecond=0).timestamp()) < 1


def test_the_form_says_the_time_zone_and_the_name_limit(teacher_client, settings):
    page = teacher_client.get(URL).content.decode()
    assert f"({settings.TIME_ZONE} time)" in page and "Up to 200 characters" in page
