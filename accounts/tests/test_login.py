import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, AdminFactory, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def session_ttl(client) -> int:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cache.ttl(f"django.contrib.sessions.cache{key}")


def test_it_shows_the_login_page(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b"School number" in response.content


def test_it_logs_in_by_school_number_and_redirects_by_role(client):
    UserFactory(school_number="S42")
    response = client.post(LOGIN, {"username": "S42", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("attendance:student_home")


def test_it_refuses_a_wrong_password_with_a_message(client):
    UserFactory(school_number="S42")
    response = client.post(LOGIN, {"username": "S42", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert settings.SESSION_COOKIE_NAME not in client.cookies or not client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.parametrize(
    ("factory", "ttl_setting"),
    [
        (UserFactory, "STUDENT_SESSION_TTL"),
        (TeacherFactory, "TEACHER_SESSION_TTL"),
        (AdminFactory, "ADMIN_SESSION_TTL"),
    ],
)
def test_it_keeps_the_login_session_in_redis_with_the_ttl_of_the_role(client, factory, ttl_setting):
    user = factory()
    client.post(LOGIN, {"username": user.school_number, "password": PASSWORD})
    ttl = session_ttl(client)
    expected = getattr(settings, ttl_setting)
    assert expected - 10 <= ttl <= expected


def test_logout_removes_the_session_key_at_once(client):
    user = UserFactory()
    client.post(LOGIN, {"username": user.school_number, "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert cache.get(f"django.contrib.sessions.cache{key}") is not None
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert cache.get(f"django.contrib.sessions.cache{key}") is None


def test_logout_refuses_get(client):
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_it_slows_password_guessing(client, settings):
    UserFactory(school_number="S42")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post(LOGIN, {"username": "S42", "password": "guess"}).status_code == 200
    response = client.post(LOGIN, {"username": "S42", "password": "guess"})
    assert response.status_code == 429
    assert b"Too many wrong passwords" in response.content
    # Even the right password is not checked while paused, in a browser that never logged in to the account.
    assert client.post(LOGIN, {"username": "S42", "password": PASSWORD}).status_code == 429


def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert user.password.startswith("argon2")


def test_admins_are_staff_and_others_are_not():
    assert AdminFactory().is_staff
    assert not TeacherFactory().is_staff
    assert not UserFactory().is_staff


def test_whoami_tells_the_logged_in_user_and_needs_a_login(client):
    from conftest import login

    assert client.get(reverse("accounts:whoami")).status_code == 302
    user = UserFactory(school_number="S77", full_name="Wu Who")
    login(client, user)
    response = client.get(reverse("accounts:whoami"))
    assert response.json() == {"school_number": "S77", "full_name": "Wu Who", "role": "student"}
    assert client.post(reverse("accounts:whoami")).status_code == 405
