"""Password guessing is slowed per account, from any address: a correct password is never refused for what
others did from the same address, and a browser that logged in to the account before is not held up."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.throttle import KNOWN_COOKIE
from attendance import live
from attendance.tests.live_helpers import freeze
from tests.factories import PASSWORD, AdminFactory, TeacherFactory, UserFactory

LOGIN = reverse("accounts:login")
HALL = "203.0.113.66"  # a lecture hall's Wi-Fi behind one NAT address
pytestmark = pytest.mark.django_db


def attempt(client, number, password="wrong-password", address=HALL):
    return client.post(LOGIN, {"username": number, "password": password}, REMOTE_ADDR=address)


def logged_in_before(user, address=HALL) -> Client:
    """A browser the user logged in with (then logged out of): it keeps the known-browser cookie."""
    browser = Client()
    assert attempt(browser, user.school_number, PASSWORD, address).status_code == 302
    browser.post(reverse("accounts:logout"))
    assert KNOWN_COOKIE in browser.cookies
    return browser


def test_wrong_logins_from_one_address_never_refuse_a_correct_password(client):
    student, teacher, admin = UserFactory(school_number="S7201"), TeacherFactory(), AdminFactory()
    for n in range(30):  # a student trying numbers behind the hall's address
        attempt(Client(), f"S99{n:02d}")
    for user in (student, teacher, admin):
        assert attempt(Client(), user.school_number, PASSWORD).status_code == 302, user


def test_a_browser_that_logged_in_before_is_not_held_up_by_someone_elses_guesses(settings):
    teacher = TeacherFactory(school_number="T7001")
    own_pc = logged_in_before(teacher)
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):  # a student before class, same address
        attempt(Client(), teacher.school_number)
    assert attempt(Client(), teacher.school_number, PASSWORD).status_code == 429  # an unknown browser waits
    assert attempt(own_pc, teacher.school_number, PASSWORD).status_code == 302


def test_guessing_one_account_from_many_addresses_is_slowed_more_each_time(settings):
    clock = freeze()
    teacher = TeacherFactory(school_number="T7002")
    answers = [attempt(Client(), "T7002", address=f"198.51.100.{n}").status_code for n in range(30)]
    limit = settings.LOGIN_FAILURE_LIMIT
    assert answers[:limit] == [200] * limit and set(answers[limit:]) == {429}

    paused = attempt(Client(), teacher.school_number, PASSWORD, address="192.0.2.1")  # not even checked
    assert paused.status_code == 429 and 59 <= int(paused["Retry-After"]) <= 61
    assert "paused for 1 minute" in paused.content.decode()

    clock.now += 61  # the pause is over: the next wrong passwords earn one twice as long
    for n in range(limit):
        attempt(Client(), "T7002", address=f"198.51.101.{n}")
    assert "paused for 2 minutes" in attempt(Client(), "T7002", PASSWORD).content.decode()
    clock.now += 121
    assert attempt(Client(), "T7002", PASSWORD, address="192.0.2.1").status_code == 302


def test_a_known_browser_guessing_itself_is_paused_like_any_other(settings):
    teacher = TeacherFactory(school_number="T7003")
    shared_pc = logged_in_before(teacher)  # the classroom PC, where a student sits next
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(shared_pc, teacher.school_number)
    assert attempt(shared_pc, teacher.school_number, PASSWORD).status_code == 429


def test_the_known_browser_cookie_is_for_one_account_and_cannot_be_forged(settings):
    student, teacher = UserFactory(school_number="S7204"), TeacherFactory(school_number="T7004")
    browser = logged_in_before(student)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(Client(), teacher.school_number)
    assert attempt(browser, teacher.school_number, PASSWORD).status_code == 429  # the student's, not the teacher's
    forged = Client()
    forged.cookies[KNOWN_COOKIE] = '{"T7004": "x"}'
    assert attempt(forged, teacher.school_number, PASSWORD).status_code == 429


def test_the_admin_login_form_is_paused_too(settings):
    admin = AdminFactory(school_number="A7001")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(Client(), admin.school_number)
    browser = Client()
    browser.post(reverse("admin:login"), {"username": admin.school_number, "password": PASSWORD}, REMOTE_ADDR=HALL)
    assert browser.get(reverse("admin:index")).status_code == 302  # not logged in


def test_from_the_third_wrong_password_it_says_how_many_tries_are_left(client, settings):
    UserFactory(school_number="S7300")
    texts = [attempt(client, "S7300").content.decode() for _ in range(settings.LOGIN_FAILURE_LIMIT)]
    assert "left:" not in texts[0] and "left:" not in texts[1]
    assert "2 tries left: then logging in to this account pauses" in texts[2]
    assert "1 try left:" in texts[3]
    assert "logging in to it pauses for 1 minute." in texts[4]


def test_the_pause_says_for_how_long_claims_nothing_about_other_devices_and_links_back(client, settings):
    UserFactory(school_number="S7301")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, "S7301")
    page = attempt(client, "S7301")
    html = page.content.decode()
    assert page.status_code == 429 and "paused for 1 minute" in html and "from any network" in html
    assert "not affected" not in html
    assert reverse("accounts:login") in html


def test_logging_out_says_so(client, student):
    from conftest import login

    login(client, student)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.status_code == 200
    assert "You are logged out." in response.content.decode()


def test_the_counter_of_every_name_tried_expires_within_its_memory(settings):
    """Wrong passwords for names that exist or not leave one counter each, and each goes by itself."""
    TeacherFactory(school_number="T7009")
    for number in ["T7009", *(f"NOBODY{n}" for n in range(20))]:
        attempt(Client(), number, address="198.51.100.3")
    conn = live.client()
    counters = {key: conn.ttl(key) for key in conn.scan_iter(match=f"{settings.LIVE_KEY_PREFIX}:guess:login:*")}
    assert len(counters) == 21
    memory = settings.LOGIN_SLOWDOWN_MAX_SECONDS + settings.LOGIN_FAILURE_WINDOW
    assert all(0 < ttl <= memory for ttl in counters.values()), counters
