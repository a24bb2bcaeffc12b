"""Check-in fraud: a forwarded link, a reused link and a student outside the course, on every path."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.checkin import service as check_in
from attendance.checkin.devices import LINK_COOKIE
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
    assert live.get_record(session.id, student.school_number).source == "qr"


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
        assert client.post(HOME, {"code": code(target, clock.now)}).url == HOME  # refused: back to the form
    assert live.get_record(target.id, outsider.school_number) is None


# --- guessing codes -------------------------------------------------------------


def wrong(session, now) -> str:
    right = {code(session, now), code(session, now, steps_back=1)}
    return next(c for c in ("000000", "111111", "222222") if c not in right)


def test_guessing_ad_hoc_sessions_locks_the_student_out_for_longer_each_time(
    student_client, other_teacher, clock, settings
):
    settings.CHECKIN_GUESS_LIMIT, settings.CHECKIN_MAX_WRONG_CODES = 4, 1000
    adhoc = start(other_teacher, now=clock.now)  # no course: its own lock-out never counted before
    for _ in range(4):
        assert student_client.post(HOME, {"code": wrong(adhoc, clock.now)}).url == HOME
    response = student_client.post(HOME, {"code": code(adhoc, clock.now)}, follow=True)  # even the right code now
    assert "Try again in 1 minute" in response.content.decode()
    assert live.get_record(adhoc.id, "S1001") is None

    clock.now += 61  # the first lock-out is over; the next one lasts twice as long
    adhoc = live.get_session(adhoc.id)
    for _ in range(4):
        student_client.post(HOME, {"code": wrong(adhoc, clock.now)})
    assert (
        "Try again in 2 minutes"
        in student_client.post(HOME, {"code": code(adhoc, clock.now)}, follow=True).content.decode()
    )

    clock.now += 121
    assert student_client.post(HOME, {"code": code(adhoc, clock.now)}).status_code == 302
    assert live.get_record(adhoc.id, "S1001").status == "present"


def test_the_guessing_bound_holds_for_a_whole_day_of_tries(student_client, other_teacher, clock, settings):
    # The bound SECURITY.md states: with the defaults, at most 10 wrong codes per lock-out period,
    # and the lock-outs double, so a day allows only a few dozen guesses.
    adhoc = start(other_teacher, now=clock.now, minutes=24 * 60)
    settings.CHECKIN_MAX_WRONG_CODES = 10**6
    tries, end = 0, clock.now + 86400
    while clock.now < end:
        adhoc = live.get_session(adhoc.id)
        response = student_client.post(HOME, {"code": wrong(adhoc, clock.now)}, follow=True)
        if "Try again in" in response.content.decode() and "tries left" not in response.content.decode():
            clock.now += 120
        else:
            tries += 1
    assert tries <= 10 * 12, tries  # 1 + 2 + 4 + … minutes: about 11 lock-outs fit in a day


# --- soft signals -----------------------------------------------------------------


def test_a_phone_already_checked_in_to_another_open_session_is_flagged_not_refused(
    student_client, friend, teacher, other_teacher, course, session, clock
):
    other_course = CourseFactory(code="MA110", teachers=[other_teacher])
    EnrollmentFactory(course=other_course, student=friend)
    elsewhere = start(other_teacher, other_course, now=clock.now)
    assert student_client.post(HOME, {"code": code(session, clock.now)}).status_code == 302

    student_client.force_login(friend)  # the same phone (device cookie), another student, another room
    assert student_client.post(HOME, {"code": code(elsewhere, clock.now)}).status_code == 302
    record = live.get_record(elsewhere.id, friend.school_number)
    assert record.status == "present" and "device_elsewhere" in record.flags
    assert check_in.ELSEWHERE in record.reason
