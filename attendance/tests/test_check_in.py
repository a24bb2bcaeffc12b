"""Student check-in: typed code, QR link, one tap."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.checkin import service as check_in
from attendance.checkin.devices import DEVICE_COOKIE
from attendance.checkin.service import LINK_SALT
from attendance.models import Status
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import PASSWORD, TeacherFactory, UserFactory

from .checkin_helpers import (
    HOME,
    confirm_url_for,
    post_confirm,
    qr_url,
    record_of,
    result_url,
    type_code,
    wrong_code_page,
)
from .live_helpers import code, messages_of, start, wrong_codes

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
    page = wrong_code_page(student_client, code(session, clock.now, steps_back=2))

    assert "That code is wrong or has expired. 4 tries left." in page
    assert record_of(session) is None
    assert live.count_records(session.id) == 0
    assert wrong_codes(session, "S1001") == 1


def test_it_locks_a_student_out_after_too_many_wrong_codes(student_client, session, clock, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 3
    good = code(session, clock.now)
    wrong = "000000" if good != "000000" else "111111"
    texts = [wrong_code_page(student_client, wrong) for _ in range(3)]

    assert "2 tries left" in texts[0] and "1 try left" in texts[1]
    assert "Too many wrong codes for this session" in texts[2]
    assert "Too many wrong codes for this session" in wrong_code_page(student_client, good)
    assert record_of(session) is None
    assert wrong_codes(session, "S1001") == 3


def test_a_wrong_code_counts_against_the_students_courses_not_every_ad_hoc_session(student_client, session, clock):
    adhoc = start(TeacherFactory(school_number="T7777"), now=clock.now)
    good = {code(session, clock.now), code(adhoc, clock.now)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in good)
    wrong_code_page(student_client, wrong)
    assert wrong_codes(session, "S1001") == 1
    assert wrong_codes(adhoc, "S1001") == 0


def test_it_refuses_a_code_that_is_not_six_digits_without_counting_it(student_client, session):
    response = type_code(student_client, "12ab56")
    assert response.status_code == 400
    assert b"The code has 6 digits." in response.content
    assert wrong_codes(session, "S1001") == 0


@pytest.mark.parametrize("typed", ["12", "1234567", "12ab56"])
def test_a_code_of_the_wrong_shape_gets_one_message(student_client, session, typed):
    response = type_code(student_client, typed)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.count("The code has 6 digits.") == 1 and "Ensure this value" not in text
    assert wrong_codes(session, "S1001") == 0


def test_it_refuses_digits_of_another_script_without_crashing(student_client, session):
    assert "That code is wrong or has expired." in wrong_code_page(student_client, "١٢٣٤٥٦")
    assert record_of(session) is None


def test_it_refuses_the_code_of_a_course_the_student_is_not_in(client, session, clock):
    login(client, UserFactory(school_number="S2002"))
    page = wrong_code_page(client, code(session, clock.now))
    assert "None of your courses has a session taking codes right now." in page
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


def test_a_refused_link_says_why_in_a_sentence(client, student_client, teacher, course, session, clock):
    """Not the bare "Not found": outside the course, or after the end, the student reads why."""
    course_tap = start(TeacherFactory(), course, now=clock.now, require_code=False)
    login(client, UserFactory(school_number="S2002"))
    response = client.get(reverse("attendance:tap", args=[course_tap.id]))
    assert response.status_code == 404 and "You are not enrolled in this course." in response.text
    live_sessions.session_finish(session=session)
    for url in (qr_url(session, code(session, clock.now)), reverse("attendance:tap", args=[session.id])):
        response = student_client.get(url)
        assert response.status_code == 404 and "This session has ended" in response.text, url


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


def test_reloading_the_wrong_code_page_sends_nothing_again(student_client, session, clock, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 5
    wrong = "000000" if code(session, clock.now) != "000000" else "111111"
    response = type_code(student_client, wrong)
    assert (response.status_code, response.url) == (302, HOME)
    first = student_client.get(HOME).content.decode()
    assert "4 tries left" in first
    again = student_client.get(HOME)  # the browser's reload: a GET, no second try, and the message once
    assert again.status_code == 200 and "tries left" not in again.content.decode()
    assert wrong_codes(session, "S1001") == 1
