"""The check-in's answer in one request (htmx): the result itself, swapped in place, the result page's address
pushed; without JavaScript, post → redirect → result as before."""

import re

import pytest
from django.urls import reverse

from attendance.models import Status
from attendance.teaching import service as live_sessions

from .checkin_helpers import HOME, confirm_url_for, record_of, result_url, type_code
from .live_helpers import code, start
from .photo_helpers import astronaut_jpeg

HTMX = {"HTTP_HX_REQUEST": "true"}


def in_place(client, typed, **extra):
    """Type a code as the page does with JavaScript: one htmx request."""
    return client.post(HOME, {"code": typed}, **HTMX, **extra)


def result_card(html: str) -> str:
    """The result card's words, whatever page or answer holds them."""
    card = re.search(r'<div class="card result" id="result".*?</div>', html, re.S)
    assert card, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card.group(0))).strip()


def assert_answer_in_place(response, session):
    assert response.status_code == 200, response.content
    assert response["HX-Push-Url"] == result_url(session), "a reload shows the result page and sends nothing again"
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("main", "innerHTML")
    assert "<title>" in response.content.decode()


def test_the_typed_code_answers_with_the_result_itself(student_client, session, clock):
    response = in_place(student_client, code(session, clock.now))

    assert_answer_in_place(response, session)
    assert record_of(session).status == Status.PRESENT
    answer = result_card(response.content.decode())
    assert "You are checked in. Thank you!" in answer
    # The same words as the result page the pushed address shows on a reload.
    assert answer == result_card(student_client.get(result_url(session)).content.decode())


def test_a_late_check_in_answers_late(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, started=20 * 60)  # late after 10 minutes
    response = in_place(student_client, code(session, clock.now))
    assert_answer_in_place(response, session)
    assert "You are checked in as late." in result_card(response.content.decode())


def test_a_rejected_check_in_answers_with_its_reason(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, network_mode="same")
    response = in_place(student_client, code(session, clock.now), REMOTE_ADDR="203.0.113.7")
    assert_answer_in_place(response, session)
    answer = result_card(response.content.decode())
    assert record_of(session).status == Status.REJECTED
    assert "Your check-in was not accepted:" in answer and "network" in answer


def test_a_wrong_code_is_said_on_the_form_in_place_and_counted(student_client, session, clock):
    wrong = str((int(code(session, clock.now)) + 1) % 1_000_000).zfill(6)
    response = in_place(student_client, wrong)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="code-card"' in html and 'id="wrong-code"' in html and "<html" not in html
    assert "HX-Push-Url" not in response
    assert record_of(session) is None
    # Nothing kept for a reload: the page comes back clean (no post/redirect/get needed in place).
    assert 'id="wrong-code"' not in student_client.get(HOME).content.decode()


def test_a_code_that_needs_the_confirmation_page_goes_there(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, location=(41.0, 29.0), location_radius_m=100)
    response = in_place(student_client, code(session, clock.now))
    assert response.status_code == 204 and "/go/" in response["HX-Redirect"]
    assert record_of(session) is None


def test_a_confirmed_link_answers_in_place(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, require_code=False)
    link = confirm_url_for(student_client, session)
    response = student_client.post(link, {"latitude": "", "longitude": ""}, **HTMX)
    assert_answer_in_place(response, session)
    assert "You are checked in. Thank you!" in result_card(response.content.decode())


def test_a_refused_link_answers_in_place_with_its_status(student_client, teacher, course, clock):
    session = start(teacher, course, now=clock.now, require_code=False)
    link = confirm_url_for(student_client, session)
    live_sessions.session_finish(session=session)  # ended before the student confirms
    response = student_client.post(link, {"latitude": "", "longitude": ""}, **HTMX)
    assert response.status_code == 404 and "This session has ended" in response.content.decode()
    assert response["HX-Retarget"] == "main" and "<html" not in response.content.decode()


@pytest.mark.usefixtures("photo_queue")
def test_a_photo_check_in_answers_pending_and_polls(student_client, teacher, course, clock):
    from django.core.files.uploadedfile import SimpleUploadedFile

    session = start(teacher, course, now=clock.now, photo_check=True)
    link = type_code(student_client, code(session, clock.now))["Location"]
    photo = SimpleUploadedFile("selfie.jpg", astronaut_jpeg(), content_type="image/jpeg")
    response = student_client.post(link, {"photo": photo}, **HTMX)

    assert_answer_in_place(response, session)
    html = response.content.decode()
    assert record_of(session).photo_result == "checking"
    assert "Checking your photo" in result_card(html)
    assert f'hx-get="{reverse("attendance:result", args=[session.id])}"' in html  # it goes on asking by itself


def test_without_javascript_it_posts_redirects_and_shows_the_result(student_client, session, clock):
    response = type_code(student_client, code(session, clock.now))
    assert (response.status_code, response.url) == (302, result_url(session))
    assert "You are checked in. Thank you!" in result_card(student_client.get(response.url).content.decode())


@pytest.mark.parametrize(
    "post",
    [
        {"code": "123456"},
        {"code": " 123456 "},
        {"code": "12345"},
        {"code": "1234567"},
        {"code": "12a456"},
        {"code": ""},
        {},
        {"code": "123456", "latitude": "41.0", "longitude": "29.0"},
        {"code": "123456", "latitude": "", "longitude": ""},
        {"code": "123456\n"},
    ],
)
def test_the_code_shortcut_reads_a_post_as_the_form_does(post):
    """The hot path reads the common post without building the form: the same code, or the form decides."""
    from attendance.checkin.forms import CodeForm

    typed = CodeForm.typed(post)
    form = CodeForm(post)
    if typed is not None:
        assert form.is_valid() and form.cleaned_data["code"] == typed and form.position() is None
    else:
        assert not form.is_valid() or form.position() is not None


def test_answers_in_the_same_second_differ_by_language(client, session, clock, classmates):
    """The answer card is memoised by what it shows: a class in the same second, in two languages, each
    gets its own words."""
    from django.test import Client

    from conftest import login

    rita, mia = classmates
    rita.language = "tr"
    rita.save()
    answers = {}
    for person, extra in ((rita, {}), (mia, {}), (mia, {})):
        phone = Client()
        login(phone, person)
        answers.setdefault(person.school_number, []).append(
            result_card(in_place(phone, code(session, clock.now), **extra).content.decode())
        )
    turkish, english = answers["S1002"][0], answers["S1003"][0]
    assert "You are checked in" in english and "You are checked in" not in turkish
    assert answers["S1003"][1] == english  # her second try: the same record, the same card
