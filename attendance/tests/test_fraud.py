"""Check-in fraud: a forwarded link, a reused link and a student outside the course, on every path."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.devices import LINK_COOKIE
from attendance.services import check_in
from conftest import login
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

from .live_helpers import code, messages_of, start

HOME = reverse("attendance:student_home")
pytestmark = pytest.mark.django_db


def qr_url(session, typed):
    return reverse("attendance:qr_link", args=[session.id, typed])


def open_qr(client, session, now) -> str:
    """Open the projector's QR link in this browser; return the confirmation link it leads to."""
    response = client.get(qr_url(session, code(session, now)))
    assert response.status_code == 302
    return response.url


def confirm(client, url):
    return client.post(url, {"latitude": "", "longitude": ""})


@pytest.fixture
def friend(course):
    """A classmate who is not in the room."""
    friend = UserFactory(school_number="S2002", full_name="Fay Friend")
    EnrollmentFactory(course=course, student=friend)
    return friend


def test_a_forwarded_go_link_is_refused_in_another_browser(student_client, friend, session, clock):
    link = open_qr(student_client, session, clock.now)  # the student in the room, not yet checked in
    at_home = login(Client(), friend)

    page = at_home.get(link)
    assert page.status_code == 302 and page.url == HOME
    assert check_in.LINK_ELSEWHERE in messages_of(page)
    response = confirm(at_home, link)
    assert response.status_code == 302 and response.url == HOME
    assert live.get_record(session.id, friend.school_number) is None


def test_a_forwarded_go_link_is_refused_even_with_a_made_up_cookie(friend, session, clock):
    link = open_qr(Client(), session, clock.now)
    at_home = login(Client(), friend)
    at_home.cookies[LINK_COOKIE] = "guessed-nonce-value-000000"
    assert confirm(at_home, link).url == HOME
    assert live.get_record(session.id, friend.school_number) is None


def test_a_link_opened_before_the_login_checks_in_in_that_browser(client, student, session, clock):
    link = open_qr(client, session, clock.now)
    login(client, student)
    response = confirm(client, link)
    assert response.status_code == 302 and response.url.endswith("/result/")
    assert live.get_record(session.id, student.school_number)["source"] == "qr"


def test_a_link_serves_one_student_only(client, student, friend, session, clock):
    link = open_qr(client, session, clock.now)  # one phone passed around
    login(client, student)
    assert confirm(client, link).url.endswith("/result/")

    client.post(reverse("accounts:logout"))  # the app's logout keeps the browser's other cookies
    login(client, friend)
    response = confirm(client, link)
    assert response.status_code == 302 and response.url == HOME
    assert check_in.LINK_TAKEN in messages_of(response)
    assert live.get_record(session.id, friend.school_number) is None


def test_a_link_older_than_its_window_is_refused(client, student, session, clock, settings):
    link = open_qr(client, session, clock.now)
    login(client, student)
    clock.now += settings.CHECKIN_LINK_MAX_AGE + 1
    assert check_in.LINK_EXPIRED in messages_of(confirm(client, link))
    assert live.get_record(session.id, student.school_number) is None


@pytest.mark.parametrize("path", ["typed code", "QR link", "tap"])
def test_a_student_outside_the_course_cannot_check_in(client, teacher, course, session, clock, path):
    outsider = UserFactory(school_number="S9009", full_name="Otto Outsider")
    CourseFactory(code="OTHER1", teachers=[teacher])
    target = session
    if path == "tap":
        live.delete_session(session.id)
        live.client().delete(live.teacher_key(teacher.school_number))
        target = start(teacher, course, now=clock.now, require_code=False)
    if path == "QR link":
        link = open_qr(client, target, clock.now)
        login(client, outsider)
        assert client.get(link).status_code == 404
        assert confirm(client, link).status_code == 404
    elif path == "tap":
        login(client, outsider)
        assert client.get(reverse("attendance:tap", args=[target.id])).status_code == 404
    else:
        login(client, outsider)
        assert client.post(HOME, {"code": code(target, clock.now)}).status_code == 400
    assert live.get_record(target.id, outsider.school_number) is None
