"""An expired login or cleared cookies (issue 27): a page that says what happened, and keeps what was typed."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login

HOME = reverse("attendance:student_home")


@pytest.mark.django_db
def test_a_code_posted_after_the_login_expired_is_typed_in_again_after_logging_in(client, student):
    response = client.post(HOME, {"code": "123456"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/checkin/%3Fcode%3D123456"
    assert "Your code is kept" in client.get(response.url).text
    login(client, student)
    page = client.get(HOME + "?code=123456").text
    assert 'value="123456"' in page


@pytest.mark.django_db
def test_a_form_without_its_csrf_cookie_gets_a_page_that_says_why_in_the_readers_language(student):
    browser = Client(enforce_csrf_checks=True)
    login(browser, student)
    response = browser.post(
        HOME, {"code": "123456"}, headers={"accept-language": "tr", "referer": "http://testserver/checkin/"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Form gönderilemedi" in page and "CSRF" not in page
    assert 'href="/checkin/?code=123456"' in page


@pytest.mark.django_db
def test_a_poll_after_the_login_expired_takes_the_whole_page_to_the_login(client):
    roster = reverse("attendance:live_roster", args=["00000000-0000-0000-0000-000000000000"])
    page = "http://testserver/teach/live/00000000-0000-0000-0000-000000000000/"
    response = client.get(roster, headers={"HX-Request": "true", "HX-Current-URL": page})
    assert response.status_code == 401 and response.content == b""
    assert response["HX-Redirect"] == reverse("accounts:login") + (
        "?next=%2Fteach%2Flive%2F00000000-0000-0000-0000-000000000000%2F"
    )
    assert client.get(roster).status_code == 302  # without htmx: the login page as before
