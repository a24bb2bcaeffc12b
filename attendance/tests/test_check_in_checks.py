"""The checks a check-in goes through (network, location, device, timing), the result page, and its cost."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.checkin import service as check_in
from attendance.checkin.devices import DEVICE_COOKIE
from attendance.checkin.outcomes import not_started
from attendance.models import Status
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, TeacherFactory, UserFactory

from .checkin_helpers import (
    HOME,
    check_in_service,
    confirm_url_for,
    post_confirm,
    qr_url,
    record_of,
    result_url,
    type_code,
    wrong_code_page,
)
from .live_helpers import TEACHER_IP, check_in_as, code, messages_of, start

# --- network ----------------------------------------------------------------


def tap_in(client, session, **extra):
    return post_confirm(client, confirm_url_for(client, session), **extra)


@pytest.mark.parametrize(
    "mode, address, accepted",
    [
        ("off", "203.0.113.9", True),
        ("same", TEACHER_IP, True),
        ("same", "10.0.0.2", False),
        ("same", "not-an-address", False),
        ("cidr", "10.20.3.4", True),
        ("cidr", "10.21.3.4", False),
    ],
)
def test_it_checks_the_network(student_client, teacher, course, clock, mode, address, accepted):
    course.allowed_networks = ["10.20.0.0/16", "192.0.2.0/24"]
    course.save()
    session = start(teacher, course, now=clock.now, require_code=False, network_mode=mode)
    assert tap_in(student_client, session, REMOTE_ADDR=address).status_code == 302

    record = record_of(session)
    if accepted:
        assert record.status == Status.PRESENT and record.flags == []
    else:
        assert record.status == Status.REJECTED
        assert record.flags == ["network"]
        assert "network" in record.reason or "address" in record.reason


def test_a_rejected_student_sees_why(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, require_code=False, network_mode="same")
    tap_in(student_client, session, REMOTE_ADDR="10.9.9.9")
    page = student_client.get(result_url(session))
    assert page.status_code == 200
    assert b"You are not on the classroom network" in page.content
    assert b'id="result-status">rejected<' in page.content


# --- location ---------------------------------------------------------------

CLASSROOM = (52.52, 13.405)


@pytest.fixture
def located(teacher, course, clock):
    return start(teacher, course, now=clock.now, location=CLASSROOM, location_radius_m=100)


def test_it_accepts_a_position_inside_the_radius(student_client, located, clock):
    response = type_code(student_client, code(located, clock.now), latitude="52.5203", longitude="13.4052")
    assert response.url == result_url(located)
    assert record_of(located).status == Status.PRESENT


def test_it_rejects_a_position_outside_the_radius(student_client, located, clock):
    type_code(student_client, code(located, clock.now), latitude="52.53", longitude="13.405")
    record = record_of(located)
    assert record.status == Status.REJECTED
    assert record.flags == ["location"]
    assert "m from the classroom (allowed: 100 m)" in record.reason


def test_a_check_in_after_a_rejection_keeps_the_rejected_attempt_for_the_teacher(
    student_client, student, teacher, located, clock
):
    """Rejected 1.1 km away (a second rejection changes nothing), then present from the room's coordinates."""
    type_code(student_client, code(located, clock.now), latitude="52.53", longitude="13.405")
    assert check_in_service(located, student, clock.now + 5).flags == ["location"]
    type_code(student_client, code(located, clock.now), latitude="52.5203", longitude="13.4052")
    record = record_of(located)
    assert record.status == Status.PRESENT and record.flags == ["retried"]
    assert [e["flags"] for e in record.earlier] == [["location"]]
    assert "m from the classroom (allowed: 100 m)" in record.earlier[0]["reason"]
    roster = login(Client(), teacher).get(reverse("attendance:live_roster", args=[located.id])).text
    assert "checked in again after a rejection" in roster
    assert roster.count("Rejected at ") == 1 and "too far from the room" in roster


def test_it_asks_for_the_position_then_rejects_a_check_in_without_it(student_client, located, clock):
    response = type_code(student_client, code(located, clock.now))
    assert response.status_code == 302 and "/go/" in response.url
    assert record_of(located) is None

    page = student_client.get(response.url)
    assert b'data-geo="required"' in page.content
    post_confirm(student_client, response.url)
    record = record_of(located)
    # Not "too far from the room": a flag of its own (issue 27).
    assert record.status == Status.REJECTED and record.flags == ["no_location"]
    assert record.reason == "Your location was not shared, and this session asks for it."


def test_it_combines_failed_checks_in_one_record(student, teacher, course, clock):
    session = start(teacher, course, now=clock.now, network_mode="same", location=CLASSROOM, location_radius_m=100)
    record = check_in_service(session, student, clock.now, ip="10.9.9.9", position=(0.0, 0.0))
    assert record.status == Status.REJECTED
    assert record.flags == ["network", "location"]


# --- device -----------------------------------------------------------------


def test_a_second_student_on_the_same_device_is_rejected(student_client, session, course, clock):
    type_code(student_client, code(session, clock.now))
    device = student_client.cookies[DEVICE_COOKIE].value

    friend = UserFactory(school_number="S2002", full_name="Fay Friend")
    EnrollmentFactory(course=course, student=friend)
    other = login(Client(), friend)
    other.cookies[DEVICE_COOKIE] = device
    assert type_code(other, code(session, clock.now)).url == result_url(session)

    record = record_of(session, "S2002")
    assert record.status == Status.REJECTED
    assert record.flags == ["shared_device"]
    assert record.reason == "This phone was already used to check in another student."
    assert record_of(session).status == Status.PRESENT


def test_a_rejected_student_may_retry_from_their_own_phone(student, course, session, clock):
    friend = UserFactory(school_number="S2002")
    check_in_service(session, student, clock.now, device="phone-of-sam-000001")
    first = check_in_service(session, friend, clock.now, device="phone-of-sam-000001")
    second = check_in_service(session, friend, clock.now + 5, device="phone-of-fay-000002")
    assert first.status == Status.REJECTED
    # The rejected attempt is kept on the record the teacher sees (issue 26): never silently replaced.
    assert second.status == Status.PRESENT and second.flags == ["retried"]
    assert [(e["reason"], e["flags"]) for e in second.earlier] == [(first.reason, ["shared_device"])]


def test_a_device_may_serve_several_students_when_the_rule_is_off(student, teacher, course, clock):
    session = start(teacher, course, now=clock.now, one_device_per_student=False)
    friend = UserFactory(school_number="S2002")
    for person in (student, friend):
        assert check_in_service(session, person, clock.now, device="shared-phone-000001").status == "present"


def test_a_double_tap_keeps_the_first_record(student, session, clock):
    first = check_in_service(session, student, clock.now)
    again = check_in_service(session, student, clock.now + 30)
    assert again == first
    assert live.count_records(session.id) == 1


# --- timing -----------------------------------------------------------------


@pytest.mark.parametrize("offset, status", [(-1, Status.PRESENT), (0, Status.PRESENT), (1, Status.LATE)])
def test_it_marks_late_after_the_threshold(student, teacher, course, clock, offset, status):
    session = start(teacher, course, now=clock.now, started=0, late_threshold_minutes=10)
    now = session.starts_at + 10 * 60 + offset
    assert check_in_service(session, student, now).status == status
    assert record_of(session).status == status


def test_a_late_check_in_through_the_page_says_so(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, started=11 * 60, late_threshold_minutes=10)
    type_code(student_client, code(session, clock.now))
    assert b"You are checked in as late." in student_client.get(result_url(session)).content


def test_a_session_that_has_not_started_refuses_check_ins(student, student_client, teacher, course, clock):
    later = start(teacher, course, now=clock.now, started=-3600, require_code=False)
    assert check_in_as(later, student, now=clock.now).error == not_started(later)
    assert reverse("attendance:tap", args=[later.id]).encode() not in student_client.get(HOME).content

    confirm = confirm_url_for(student_client, later)
    response = post_confirm(student_client, confirm)
    assert response.url == HOME
    assert not_started(later) in messages_of(response)
    assert record_of(later) is None


def test_a_finished_session_refuses_check_ins(student, student_client, session, clock):
    confirm = student_client.get(qr_url(session, code(session, clock.now))).url
    live_sessions.session_finish(session=session, now=clock.now)

    assert check_in_as(session, student, now=clock.now + 1).error == "This session is closed."
    assert "taking codes right now" in wrong_code_page(student_client, code(session, clock.now))
    assert post_confirm(student_client, confirm).status_code == 404
    assert student_client.get(qr_url(session, code(session, clock.now))).status_code == 404
    assert record_of(session) is None


def test_a_session_past_its_end_refuses_check_ins(student, session):
    assert check_in_as(session, student, now=session.ends_at).error == "This session is closed."
    outcome, stored = live.check_in(
        session, check_in.new_record(student, status="present", source="code", now=0), "", session.ends_at
    )
    assert (outcome, stored) == ("closed", None)
    assert record_of(session) is None


# --- result page ------------------------------------------------------------


def test_the_result_page_shows_the_live_record(student_client, session, clock):
    type_code(student_client, code(session, clock.now))
    page = student_client.get(result_url(session))
    assert page.status_code == 200
    assert b"You are checked in. Thank you!" in page.content
    assert b"CS101 \xc2\xb7 Loops and lists" in page.content

    partial = student_client.get(result_url(session), HTTP_HX_REQUEST="true")
    assert partial.status_code == 286  # nothing pending: htmx stops polling
    assert b"<html" not in partial.content and b'id="result-status">present<' in partial.content


def test_the_result_page_shows_the_persisted_record(student, student_client, teacher, course):
    attendance = AttendanceFactory(course=course, teacher=teacher, lesson_name="Recursion")
    RecordFactory(attendance=attendance, student=student, status=Status.LATE)
    page = student_client.get(reverse("attendance:result", args=[attendance.id]))
    assert page.status_code == 200
    assert b"Recursion" in page.content and b"You are checked in as late." in page.content


def test_the_result_page_is_only_for_the_students_own_record(client, student_client, session, clock):
    assert student_client.get(result_url(session)).status_code == 404
    type_code(student_client, code(session, clock.now))
    login(client, UserFactory(school_number="S2002"))
    assert client.get(result_url(session)).status_code == 404
    assert client.post(result_url(session)).status_code == 405


@pytest.mark.parametrize("in_place", [False, True], ids=["no-js", "htmx"])
def test_a_typed_code_check_in_costs_one_query_and_one_redis_round_trip(
    student_client, session, clock, settings, classmates, monkeypatch, live_redis, in_place
):
    import redis.connection
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CHECKIN_OPEN_SESSIONS_MAX_AGE = 3600  # the snapshot taken below stays fresh however slow the machine
    student_client.get(HOME)  # the device cookie, as the phone already has it
    classmate = Client()
    login(classmate, classmates[0])
    assert type_code(classmate, code(session, clock.now)).status_code == 302  # another phone before: the snapshot
    sent = []  # every request written to any Redis connection (a pipeline is one)
    real_send = redis.connection.AbstractConnection.send_packed_command

    def counting_send(self, command, *args, **kwargs):
        sent.append(command)
        return real_send(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting_send)
    decoded = []  # records read back from JSON: none, the script stores the record as sent and says so
    real_from_json = live.LiveRecord.from_json.__func__

    def counting_from_json(cls, raw):
        decoded.append(raw)
        return real_from_json(cls, raw)

    monkeypatch.setattr(live.LiveRecord, "from_json", classmethod(counting_from_json))
    headers = {"HTTP_HX_REQUEST": "true"} if in_place else {}  # with JavaScript: the answer itself, no more
    with CaptureQueriesContext(connection) as queries:
        response = student_client.post(HOME, {"code": code(session, clock.now)}, **headers)
    monkeypatch.undo()

    assert response.status_code == (200 if in_place else 302) and record_of(session).status == Status.PRESENT
    assert len(queries) == 1  # the logged-in user; the roster snapshot in Redis answers the rest
    assert decoded == []
    commands = [b"".join(c) if isinstance(c, list) else c for c in sent]
    if live_redis == "single":
        # The login session's GET, then one EVALSHA: the floor's cost and one round trip.
        assert len(commands) == 2, commands
        assert b"GET" in commands[0] and b"EVALSHA" in commands[1]
    else:
        # On a cluster: the GET, one pipeline of reads (one request to each primary holding a key it reads:
        # the student's lock-out and the device's index of its sessions, whatever the sessions open), the
        # session's own EVALSHA, then the device's index written in its own slot.
        reads = commands[1:-2]
        assert b"GET" in commands[0] and b"EVALSHA" in commands[-2] and b"EVALSHA" in commands[-1], commands
        assert 1 <= len(reads) <= 2, commands
        assert b"HGET" in b"".join(reads) and b"ZRANGEBYSCORE" in b"".join(reads), commands


def test_a_session_started_after_the_snapshot_is_found_by_the_full_path(
    student_client, student, session, clock, settings
):
    settings.CHECKIN_OPEN_SESSIONS_MAX_AGE = 3600
    assert live.open_sessions_snapshot(clock.now) != []  # taken now, before the second session
    other_teacher = TeacherFactory()
    course = EnrollmentFactory(student=student).course
    course.teachers.add(other_teacher)
    later = start(other_teacher, course, now=clock.now)

    response = type_code(student_client, code(later, clock.now))

    assert response.status_code == 302 and record_of(later).status == Status.PRESENT
    # The full path's fresh read is the process's snapshot from now on.
    assert {s.id for s in live.open_sessions_snapshot(clock.now)} == {session.id, later.id}


def test_the_device_cookie_is_secure_when_login_cookies_are(student_client, session, clock, settings):
    settings.SESSION_COOKIE_SECURE = True
    cookie = type_code(student_client, code(session, clock.now)).cookies[DEVICE_COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
