"""Hybrid sessions: a remote link shown only to the teacher; "present (remote)" without the network and
location checks, with the enrolment, device and photo checks; saved as such and weighed by the course."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance import clock, live, sweep
from attendance.checkin import proofs as verification
from attendance.history.reports import course_report
from attendance.models import Attendance, Course, Status
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import AttendanceFactory, CourseFactory, EnrollmentFactory, RecordFactory, UserFactory

from .live_helpers import wrong_codes
from .sweep_helpers import record_of


def start_hybrid(teacher, course, **options) -> live.LiveSession:
    now = timezone.now()
    defaults = {
        "lesson_name": "Hybrid lecture",
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(minutes=60),
        "late_threshold_minutes": 0,
        "require_code": True,
        "network_mode": "same",  # the room's network: a remote student is never on it
        "teacher_ip": "10.0.0.1",
        "location": (41.0, 29.0),
        "location_radius_m": 50,
        "admits_remote": True,
    }
    return live_sessions.session_start(teacher=teacher, course=course, **defaults | options).session


def remote_url(session) -> str:
    return reverse("attendance:remote", args=[session.id, verification.remote_token(session.secret)])


def screen_code(session) -> dict:
    """The code the teacher's shared screen shows now: what a remote student types on the link's page."""
    return {"code": verification.code_for(session.secret, verification.current_step(clock.now()))}


@pytest.mark.django_db
def test_the_teacher_starts_a_hybrid_session_and_only_their_page_shows_the_remote_link(teacher_client, course):
    response = teacher_client.post(
        reverse("attendance:teacher_home"),
        {
            "course": course.pk,
            "duration_minutes": 60,
            "network_mode": "off",
            "location_radius_m": 100,
            "require_code": "on",
            "admits_remote": "on",
        },
    )
    assert response.status_code == 302
    session = live.get_session(response.url.rstrip("/").split("/")[-1])
    assert session.admits_remote
    live_page = teacher_client.get(response.url).text
    assert remote_url(session) in live_page and "hybrid (remote students admitted)" in live_page
    projector = teacher_client.get(reverse("attendance:projector", args=[session.id])).text
    assert verification.remote_token(session.secret) not in projector


@pytest.mark.django_db
def test_a_remote_student_is_present_remote_without_the_room_checks(client, teacher, student, course):
    session = start_hybrid(teacher, course)
    login(client, student)
    page = client.get(remote_url(session))
    assert page.status_code == 200 and "present (remote)" in page.text
    response = client.post(remote_url(session), screen_code(session), REMOTE_ADDR="198.51.100.7")  # elsewhere
    assert response.status_code == 302 and response.url == reverse("attendance:result", args=[session.id])
    record = live.get_record(session.id, student.school_number)
    assert (record.status, record.source, record.flags) == ("remote", "remote", [])
    assert "present (remote)" in client.get(response.url).text


@pytest.mark.django_db
def test_a_wrong_token_an_ordinary_session_or_an_outsider_get_a_404(client, teacher, student, course):
    session = start_hybrid(teacher, course)
    login(client, student)
    wrong = reverse("attendance:remote", args=[session.id, "0" * 24])
    assert client.get(wrong).status_code == 404 and client.post(wrong).status_code == 404
    outsider = UserFactory(school_number="S6006")
    login(client, outsider)
    assert client.post(remote_url(session), screen_code(session)).status_code == 404
    assert live.get_record(session.id, outsider.school_number) is None
    other = CourseFactory(code="EE101", teachers=[UserFactory(school_number="T7007", role="teacher")])
    EnrollmentFactory(course=other, student=student)
    ordinary = start_hybrid(other.teachers.get(), other, admits_remote=False)
    login(client, student)
    assert client.get(remote_url(ordinary)).status_code == 404


@pytest.mark.django_db
def test_the_photo_check_still_applies_remotely(client, teacher, student, course):
    session = start_hybrid(teacher, course, photo_check=True)
    login(client, student)
    response = client.post(remote_url(session), screen_code(session))
    assert response.status_code == 400 and "Take a selfie" in response.text
    assert live.get_record(session.id, student.school_number) is None


@pytest.mark.django_db
def test_one_device_per_student_still_applies_remotely(client, teacher, student, course):
    friend = EnrollmentFactory(course=course, student=UserFactory(school_number="S8008")).student
    session = start_hybrid(teacher, course)
    login(client, student)
    client.post(remote_url(session), screen_code(session))
    login(client, friend)  # the same browser: the same device cookie
    client.post(remote_url(session), screen_code(session))
    assert "shared_device" in live.get_record(session.id, friend.school_number).flags


@pytest.mark.usefixtures("single_sweep_thread")
@pytest.mark.django_db(transaction=True)
def test_the_sweep_saves_the_hybrid_session_and_its_remote_records(client, teacher, student, course):
    session = start_hybrid(teacher, course)
    login(client, student)
    client.post(remote_url(session), screen_code(session))
    live_sessions.session_finish(session=session)
    sweep.run()
    assert Attendance.objects.get(pk=session.id).admits_remote is True
    saved = record_of(session.id, student.school_number)
    assert (saved.status, saved.source) == (Status.REMOTE, "remote")


@pytest.mark.django_db
def test_the_course_weighs_remote_attendance_and_the_report_shows_it(teacher_client, teacher, student, course):
    for status in (Status.PRESENT, Status.REMOTE):
        RecordFactory(attendance=AttendanceFactory(course=course, teacher=teacher), student=student, status=status)
    assert next(line.rate for line in course_report(course).lines) == 100.0
    Course.objects.filter(pk=course.pk).update(remote_weight=50)
    course.refresh_from_db()
    assert next(line.rate for line in course_report(course).lines) == 75.0
    page = teacher_client.get(reverse("attendance:course_report", args=[course.pk])).text
    assert '<td class="m remote">O</td>' in page and "counts as 50 % of a present" in page
    teacher_client.post(
        reverse("attendance:course_policy", args=[course.pk]),
        {"rate_policy": "to_date", "excused_counts_as_present": "on", "remote_weight": "0"},
    )
    course.refresh_from_db()
    assert course.remote_weight == 0


@pytest.mark.django_db
def test_the_remote_link_alone_checks_nobody_in(client, teacher, student, course):
    session = start_hybrid(teacher, course)
    login(client, student)
    page = client.get(remote_url(session))
    assert "Code on the shared screen" in page.text and "data-autosubmit" not in page.text

    response = client.post(remote_url(session))  # forwarded outside the call: no screen, no code

    assert response.status_code == 400 and "Type the 6-digit code shown on the screen." in response.text
    assert live.get_record(session.id, student.school_number) is None


@pytest.mark.django_db
def test_a_wrong_code_on_the_remote_link_counts_as_on_every_path(client, teacher, student, course, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 2
    session = start_hybrid(teacher, course)
    right = screen_code(session)["code"]
    wrong = next(c for c in ("000000", "111111", "222222") if c != right)
    login(client, student)

    first = client.post(remote_url(session), {"code": wrong})
    assert first.status_code == 400 and "That code is wrong or has expired. 1 try left." in first.text
    client.post(remote_url(session), {"code": wrong})
    locked = client.post(remote_url(session), {"code": right})

    assert wrong_codes(session, student.school_number) == 2
    assert locked.status_code == 302 and live.get_record(session.id, student.school_number) is None


@pytest.mark.django_db
def test_a_hybrid_session_without_codes_shows_remote_students_a_code(client, teacher, student, course):
    session = start_hybrid(teacher, course, require_code=False)
    projector = login(Client(), teacher).get(reverse("attendance:projector_code", args=[session.id])).text
    assert screen_code(session)["code"] in projector and "Students joining remotely" in projector

    login(client, student)
    assert client.post(remote_url(session)).status_code == 400
    assert client.post(remote_url(session), screen_code(session)).status_code == 302
    assert live.get_record(session.id, student.school_number).status == Status.REMOTE
