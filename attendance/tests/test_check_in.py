"""Student check-in: typed code, QR link, one tap, and the checks a check-in goes through."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.devices import DEVICE_COOKIE
from attendance.models import Status
from attendance.services import check_in, live_sessions
from attendance.services.check_in import LINK_SALT
from conftest import login
from tests.factories import PASSWORD, AttendanceFactory, EnrollmentFactory, RecordFactory, TeacherFactory, UserFactory

from .live_helpers import TEACHER_IP, check_in_as, code, messages_of, start, wrong_codes

HOME = reverse("attendance:student_home")


def result_url(session):
    return reverse("attendance:result", args=[session.id])


def qr_url(session, typed):
    return reverse("attendance:qr_link", args=[session.id, typed])


def record_of(session, number="S1001"):
    return live.get_record(session.id, number)


def type_code(client, typed, **extra):
    return client.post(HOME, {"code": typed, **extra})


def confirm_url_for(client, session):
    """Follow the session's tap or QR entry to its signed confirm link."""
    response = client.get(reverse("attendance:tap", args=[session.id]))
    assert response.status_code == 302, response
    return response.url


def post_confirm(client, url, **extra):
    """Post the confirm form as the browser does: with its hidden position fields."""
    return client.post(url, {"latitude": "", "longitude": ""}, **extra)


def check_in_service(session, student, now, **options):
    return check_in_as(session, student, now=now, **options).record


# --- typed code -------------------------------------------------------------


def test_it_checks_in_with_the_current_code(student_client, session, clock):
    response = type_code(student_client, code(session, clock.now))

    assert response.status_code == 302
    assert response.url == result_url(session)
    record = record_of(session)
    assert record.status == Status.PRESENT
    assert record.source == "code"
    assert record.school_number == "S1001" and record.full_name == "Sam Student"
    assert record.checked_in_at == pytest.approx(clock.now)
    assert record.flags == [] and record.reason == ""
    assert len(response.cookies[DEVICE_COOKIE].value) >= 16


def test_it_accepts_the_code_of_the_previous_step(student_client, session, clock):
    response = type_code(student_client, code(session, clock.now, steps_back=1))
    assert response.status_code == 302
    assert record_of(session).status == Status.PRESENT


def test_it_refuses_an_older_code_with_a_message_and_no_record(student_client, session, clock, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 5
    response = type_code(student_client, code(session, clock.now, steps_back=2))

    assert response.status_code == 400
    assert b"That code is wrong or has expired. 4 tries left." in response.content
    assert record_of(session) is None
    assert live.count_records(session.id) == 0
    assert wrong_codes(session, "S1001") == 1


def test_it_locks_a_student_out_after_too_many_wrong_codes(student_client, session, clock, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 3
    good = code(session, clock.now)
    wrong = "000000" if good != "000000" else "111111"
    texts = [type_code(student_client, wrong).content for _ in range(3)]

    assert b"2 tries left" in texts[0] and b"1 try left" in texts[1]
    assert b"Too many wrong codes for this session" in texts[2]
    response = student_client.post(HOME, {"code": good}, follow=True)
    assert b"Too many wrong codes for this session" in response.content
    assert record_of(session) is None
    assert wrong_codes(session, "S1001") == 3


def test_a_wrong_code_counts_against_the_students_courses_not_every_ad_hoc_session(student_client, session, clock):
    adhoc = start(TeacherFactory(school_number="T7777"), now=clock.now)
    good = {code(session, clock.now), code(adhoc, clock.now)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in good)
    assert type_code(student_client, wrong).status_code == 400
    assert wrong_codes(session, "S1001") == 1
    assert wrong_codes(adhoc, "S1001") == 0


def test_it_refuses_a_code_that_is_not_six_digits_without_counting_it(student_client, session):
    response = type_code(student_client, "12ab56")
    assert response.status_code == 400
    assert b"The code has 6 digits." in response.content
    assert wrong_codes(session, "S1001") == 0


def test_it_refuses_digits_of_another_script_without_crashing(student_client, session):
    response = type_code(student_client, "١٢٣٤٥٦")
    assert response.status_code == 400
    assert record_of(session) is None


def test_it_refuses_the_code_of_a_course_the_student_is_not_in(client, session, clock):
    login(client, UserFactory(school_number="S2002"))
    response = type_code(client, code(session, clock.now))
    assert response.status_code == 400
    assert b"None of your courses has a session taking codes right now." in response.content
    assert live.count_records(session.id) == 0


def test_any_student_may_type_the_code_of_an_ad_hoc_session(client, teacher, clock):
    adhoc = start(teacher, now=clock.now, lesson_name="Guest lecture")
    login(client, UserFactory(school_number="S2002", full_name="Gus Guest"))
    assert type_code(client, code(adhoc, clock.now)).status_code == 302
    assert record_of(adhoc, "S2002").full_name == "Gus Guest"


def test_it_lists_the_open_sessions_of_the_students_courses(student_client, session):
    response = student_client.get(HOME)
    assert response.status_code == 200
    assert b"CS101 \xc2\xb7 Loops and lists" in response.content
    assert b"type the code on the screen" in response.content


def test_the_code_page_refuses_the_wrong_method_and_outsiders(client, student_client, teacher, session):
    assert student_client.delete(HOME).status_code == 405
    assert login(Client(), teacher).get(HOME).status_code == 403
    client.logout()
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert live.count_records(session.id) == 0


# --- QR link ----------------------------------------------------------------


def test_a_qr_link_survives_the_login_and_checks_in_without_retyping(client, session, clock):
    response = client.get(qr_url(session, code(session, clock.now)))
    assert response.status_code == 302
    confirm = response.url
    assert confirm.startswith(f"/checkin/{session.id}/go/")

    response = client.get(confirm)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={confirm.replace(':', '%3A')}"

    response = client.post(response.url, {"username": "S1001", "password": PASSWORD})
    assert response.status_code == 302 and response.url == confirm
    page = client.get(confirm)
    assert page.status_code == 200
    assert b'id="confirm-form"' in page.content
    assert record_of(session) is None

    clock.now += 100  # the code rotated long ago (steps of 15 s); the link holds for CHECKIN_LINK_MAX_AGE
    response = post_confirm(client, confirm)
    assert response.status_code == 302 and response.url == result_url(session)
    assert record_of(session).source == "qr"


def test_a_logged_in_student_goes_straight_to_the_confirm_page(student_client, session, clock):
    confirm = student_client.get(qr_url(session, code(session, clock.now, steps_back=1))).url
    assert student_client.get(confirm).status_code == 200
    assert post_confirm(student_client, confirm).status_code == 302
    assert record_of(session).status == Status.PRESENT


@pytest.mark.parametrize("typed", ["expired", "١٢٣٤٥٦", "0" * 200])
def test_an_expired_or_bad_qr_code_gives_the_expired_page(client, session, clock, typed):
    typed = code(session, clock.now, steps_back=2) if typed == "expired" else typed
    response = client.get(qr_url(session, typed))
    assert response.status_code == 400
    assert b"This QR code has expired" in response.content
    assert record_of(session) is None


def test_it_refuses_a_tampered_check_in_link(student_client, session, clock):
    confirm = student_client.get(qr_url(session, code(session, clock.now))).url
    response = post_confirm(student_client, confirm[:-2] + "xx/")
    assert response.status_code == 302 and response.url == HOME
    assert "This check-in link has expired. Type the code shown on the screen." in messages_of(response)
    assert record_of(session) is None


def test_it_refuses_an_expired_check_in_link(student_client, session, clock, settings):
    confirm = student_client.get(qr_url(session, code(session, clock.now))).url
    clock.now += settings.CHECKIN_LINK_MAX_AGE + 60
    response = post_confirm(student_client, confirm)
    assert response.status_code == 302 and response.url == HOME
    assert "This check-in link has expired. Type the code shown on the screen." in messages_of(response)
    assert record_of(session) is None


def test_it_refuses_a_link_signed_for_another_session(student_client, teacher, other_teacher, session, clock):
    other = start(other_teacher, now=clock.now)
    token = signing.dumps({"sid": other.id, "src": "qr", "at": int(clock.now)}, salt=LINK_SALT, compress=True)
    response = post_confirm(student_client, reverse("attendance:confirm", args=[session.id, token]))
    assert response.status_code == 404
    assert record_of(session) is None and record_of(other) is None


# --- one tap (no code) ------------------------------------------------------


def test_an_enrolled_student_checks_in_with_one_tap(student_client, teacher, course, clock):
    tapped = start(teacher, course, now=clock.now, require_code=False)
    home = student_client.get(HOME)
    assert reverse("attendance:tap", args=[tapped.id]).encode() in home.content

    confirm = confirm_url_for(student_client, tapped)
    assert post_confirm(student_client, confirm).url == result_url(tapped)
    assert record_of(tapped).source == "tap"


def test_one_tap_is_for_enrolled_students_only(client, student_client, teacher, course, clock):
    tapped = start(teacher, course, now=clock.now, require_code=False)
    confirm = confirm_url_for(student_client, tapped)

    login(client, UserFactory(school_number="S2002"))
    assert client.get(reverse("attendance:tap", args=[tapped.id])).status_code == 404
    assert reverse("attendance:tap", args=[tapped.id]).encode() not in client.get(HOME).content
    response = post_confirm(client, confirm)  # a link made for another student
    assert response.status_code == 302 and response.url == HOME
    assert check_in.LINK_ELSEWHERE in messages_of(response)
    assert live.count_records(tapped.id) == 0


def test_one_tap_is_refused_when_the_session_needs_a_code(student_client, session):
    assert student_client.get(reverse("attendance:tap", args=[session.id])).status_code == 404


def test_an_ad_hoc_session_is_found_by_search_and_tapped(client, teacher, clock):
    adhoc = start(teacher, now=clock.now, require_code=False, lesson_name="Chess club")
    login(client, UserFactory(school_number="S2002"))
    tap_url = reverse("attendance:tap", args=[adhoc.id]).encode()

    assert tap_url not in client.get(HOME).content
    assert tap_url in client.get(HOME, {"q": "chess"}).content
    assert tap_url in client.get(HOME, {"q": "tess"}).content
    assert b"No open ad-hoc session matches" in client.get(HOME, {"q": "poker"}).content
    assert post_confirm(client, confirm_url_for(client, adhoc)).status_code == 302
    assert record_of(adhoc, "S2002").status == Status.PRESENT


def test_the_tap_and_confirm_pages_refuse_the_wrong_method(student_client, teacher, course, clock):
    tapped = start(teacher, course, now=clock.now, require_code=False)
    assert student_client.post(reverse("attendance:tap", args=[tapped.id])).status_code == 405
    assert student_client.put(confirm_url_for(student_client, tapped)).status_code == 405
    assert live.count_records(tapped.id) == 0


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


def test_it_asks_for_the_position_then_rejects_a_check_in_without_it(student_client, located, clock):
    response = type_code(student_client, code(located, clock.now))
    assert response.status_code == 302 and "/go/" in response.url
    assert record_of(located) is None

    page = student_client.get(response.url)
    assert b'data-geo="required"' in page.content
    post_confirm(student_client, response.url)
    record = record_of(located)
    assert record.status == Status.REJECTED and record.flags == ["location"]
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
    assert second.status == Status.PRESENT and second.flags == []


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
    assert check_in_as(later, student, now=clock.now).error == "This session has not started yet."
    assert reverse("attendance:tap", args=[later.id]).encode() not in student_client.get(HOME).content

    confirm = confirm_url_for(student_client, later)
    response = post_confirm(student_client, confirm)
    assert response.url == HOME
    assert "This session has not started yet." in messages_of(response)
    assert record_of(later) is None


def test_a_finished_session_refuses_check_ins(student, student_client, session, clock):
    confirm = student_client.get(qr_url(session, code(session, clock.now))).url
    live_sessions.session_finish(session=session, now=clock.now)

    assert check_in_as(session, student, now=clock.now + 1).error == "This session is closed."
    assert type_code(student_client, code(session, clock.now)).status_code == 400
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
    assert partial.status_code == 200
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


def test_a_typed_code_check_in_costs_one_query_and_one_redis_round_trip(
    student_client, session, clock, settings, classmates, monkeypatch, live_redis
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
    with CaptureQueriesContext(connection) as queries:
        response = type_code(student_client, code(session, clock.now))
    monkeypatch.undo()

    assert response.status_code == 302 and record_of(session).status == Status.PRESENT
    assert len(queries) == 1  # the logged-in user; the roster snapshot in Redis answers the rest
    commands = [b"".join(c) if isinstance(c, list) else c for c in sent]
    if live_redis == "single":
        # The login session's GET, then one EVALSHA: the floor's cost and one round trip.
        assert len(commands) == 2, commands
        assert b"GET" in commands[0] and b"EVALSHA" in commands[1]
    else:
        # On a cluster: the GET, one pipeline of reads (one request to each primary holding a key it reads:
        # the student's lock-out, the session's roster and every open session's devices), then the
        # session's own EVALSHA.
        reads = commands[1:-1]
        assert b"GET" in commands[0] and b"EVALSHA" in commands[-1], commands
        assert 1 <= len(reads) <= len(settings.LIVE_REDIS_CLUSTER_NODES), commands
        assert all(b"HGET" in read or b"HEXISTS" in read for read in reads), commands


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
