"""Guessing codes through QR links: wrong codes count per (address, session), an IPv6 address by its /64, and
per session; a lock-out stops the link judging codes without an account, never a classmate's right code; and a
student locked out for typed guesses is refused on every link."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.checkin import proofs
from attendance.checkin.links import QR_WRONG
from conftest import login
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import code, messages_of, start, wrong_codes

HOME = reverse("attendance:student_home")
pytestmark = pytest.mark.django_db


def qr_url(session, typed):
    return reverse("attendance:qr_link", args=[session.id, typed])


def wrong(session, now) -> str:
    right = {code(session, now), code(session, now, steps_back=1)}
    return next(c for c in ("000000", "111111", "222222") if c not in right)


def scan(session, typed, address):
    """Open a QR link from a phone behind ``address``; return the phone (a test client) and the response."""
    phone = Client(REMOTE_ADDR=address)
    return phone, phone.get(qr_url(session, typed))


def confirm(client, url):
    return client.post(url, {"latitude": "", "longitude": ""})


@pytest.fixture
def classmate(course):
    mate = UserFactory(school_number="S2003", full_name="Cara Classmate")
    EnrollmentFactory(course=course, student=mate)
    return mate


def test_wrong_qr_codes_from_many_addresses_are_bounded_per_session(student, session, clock, settings):
    settings.CHECKIN_QR_GUESS_LIMIT_PER_SESSION, settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS = 5, 1000
    for n in range(5):  # five addresses, one wrong code each: judged and refused
        _phone, refused = scan(session, wrong(session, clock.now), f"198.51.100.{n}")
        assert refused.status_code == 400 and "This QR code has expired" in refused.content.decode()

    phone, deferred = scan(session, wrong(session, clock.now), "198.51.100.77")  # a sixth: no answer without a login
    assert deferred.status_code == 302
    login(phone, student)
    response = confirm(phone, deferred.url)
    assert response.url == HOME and str(QR_WRONG) in messages_of(response)
    assert wrong_codes(session, student.school_number) == 1  # judged against the student's own limits
    assert live.get_record(session.id, student.school_number) is None


def test_a_right_code_gets_through_once_the_session_is_locked(student, session, clock, settings):
    settings.CHECKIN_QR_GUESS_LIMIT_PER_SESSION = 2
    for n in range(2):
        scan(session, wrong(session, clock.now), f"198.51.100.{n}")
    phone, deferred = scan(session, code(session, clock.now), "198.51.100.9")
    assert deferred.status_code == 302
    login(phone, student)
    clock.now += 40  # a slow login: the code has changed twice since the scan, which is when it counts
    assert confirm(phone, deferred.url).url.endswith("/result/")
    assert live.get_record(session.id, student.school_number).source == "qr"


def test_ipv6_addresses_are_counted_by_their_64(session, clock, settings):
    settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS = 3
    for host in ("a", "b", "c"):  # one phone hopping between addresses of its /64
        assert scan(session, wrong(session, clock.now), f"2001:db8:1:2::{host}")[1].status_code == 400
    assert scan(session, wrong(session, clock.now), "2001:db8:1:2::d")[1].status_code == 302  # locked: not judged
    assert scan(session, wrong(session, clock.now), "2001:db8:1:3::1")[1].status_code == 400  # another /64
    assert proofs.address_group("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert proofs.address_group("::ffff:198.51.100.1") == "198.51.100.1"


def test_junk_from_one_address_locks_only_that_session_there_and_not_a_right_code(
    classmate, teacher, other_teacher, session, clock, settings
):
    settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS = 3
    hall = "203.0.113.10"  # the campus NAT
    for _ in range(3):
        scan(session, "junk", hall)
    phone, response = scan(session, code(session, clock.now), hall)  # a classmate scanning the real QR code
    assert response.status_code == 302
    login(phone, classmate)
    assert confirm(phone, response.url).url.endswith("/result/")
    assert live.get_record(session.id, classmate.school_number).status == "present"

    next_door = start(other_teacher, now=clock.now)  # another session: that address is not locked there
    refused = scan(next_door, wrong(next_door, clock.now), hall)[1]
    assert refused.status_code == 400 and "Try again in" not in refused.content.decode()
    assert scan(next_door, code(next_door, clock.now), hall)[1].status_code == 302


def _lock_out_by_typed_codes(client, session, clock, settings):
    settings.CHECKIN_GUESS_LIMIT, settings.CHECKIN_MAX_WRONG_CODES = 3, 1000
    for _ in range(3):
        assert client.post(HOME, {"code": wrong(session, clock.now)}).url == HOME


@pytest.mark.parametrize("path", ["QR link", "tap", "remote link"])
def test_a_student_locked_out_for_typed_guesses_is_refused_on_every_link(
    student_client, student, teacher, other_teacher, course, clock, settings, path
):
    if path == "tap":
        target = start(teacher, course, now=clock.now, require_code=False)
        _lock_out_by_typed_codes(student_client, start(other_teacher, now=clock.now), clock, settings)
        link = student_client.get(reverse("attendance:tap", args=[target.id])).url
        response = confirm(student_client, link)
    else:
        target = start(teacher, course, now=clock.now, admits_remote=True)
        _lock_out_by_typed_codes(student_client, target, clock, settings)
        if path == "QR link":
            response = confirm(student_client, student_client.get(qr_url(target, code(target, clock.now))).url)
        else:
            token = proofs.remote_token(target.secret)
            url = reverse("attendance:remote", args=[target.id, token])
            response = student_client.post(url, {"code": code(target, clock.now)})
    assert response.status_code == 302 and response.url == HOME
    assert any("Too many wrong codes. Try again in" in m for m in messages_of(response))
    assert live.get_record(target.id, student.school_number) is None
