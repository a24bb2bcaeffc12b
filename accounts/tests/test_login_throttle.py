"""Login throttling: a school number is locked from one client, a spray from one client is throttled,
and nobody else is locked out by either."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, TeacherFactory, UserFactory

LOGIN = reverse("accounts:login")
pytestmark = pytest.mark.django_db


def attempt(client, number, password="wrong-password", address="198.51.100.7"):
    return client.post(LOGIN, {"username": number, "password": password}, REMOTE_ADDR=address)


def test_bad_logins_from_one_client_do_not_lock_the_teacher_out_elsewhere(client, settings):
    teacher = TeacherFactory(school_number="T7001")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, teacher.school_number, address="203.0.113.66")  # a student before class
    assert attempt(client, teacher.school_number, PASSWORD, address="203.0.113.66").status_code == 429

    response = attempt(client, teacher.school_number, PASSWORD, address="10.20.0.5")  # the teacher's own PC
    assert response.status_code == 302


def test_a_spray_of_school_numbers_from_one_client_is_throttled(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "6/10m"
    victims = [UserFactory(school_number=f"S71{n:02d}") for n in range(8)]
    answers = [attempt(client, victim.school_number).status_code for victim in victims]
    assert answers[:6] == [200] * 6 and answers[6:] == [429, 429]  # one try each: axes alone never locks
    throttled = attempt(client, victims[0].school_number, PASSWORD)
    assert throttled.status_code == 429 and b"Too many failed logins from this network" in throttled.content


def test_the_throttle_does_not_stop_other_clients_nor_successful_logins(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/10m"
    student = UserFactory(school_number="S7201")
    for n in range(3):
        attempt(client, f"S99{n}", address="203.0.113.66")
    assert attempt(client, student.school_number, PASSWORD, address="203.0.113.66").status_code == 429
    assert attempt(client, student.school_number, PASSWORD, address="10.20.0.5").status_code == 302


def test_a_class_behind_one_address_logs_in(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/10m"
    students = [UserFactory(school_number=f"S73{n:02d}") for n in range(10)]
    for student in students:
        client.post(reverse("accounts:logout"))
        assert attempt(client, student.school_number, PASSWORD, address="10.20.0.1").status_code == 302


def test_the_spray_throttle_reads_the_address_through_the_trusted_proxy(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "2/10m"
    settings.TRUSTED_PROXIES = ["172.16.0.2"]
    student = UserFactory(school_number="S7401")
    for n in range(2):
        client.post(
            LOGIN,
            {"username": f"S98{n}", "password": "x"},
            REMOTE_ADDR="172.16.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    other = client.post(
        LOGIN,
        {"username": student.school_number, "password": PASSWORD},
        REMOTE_ADDR="172.16.0.2",
        HTTP_X_FORWARDED_FOR="10.20.0.9",
    )
    assert other.status_code == 302  # another client behind the same proxy is not throttled


@pytest.mark.django_db
def test_logging_out_says_so(client, student):
    from conftest import login

    login(client, student)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.status_code == 200
    assert "You are logged out." in response.content.decode()


def test_from_the_third_wrong_password_it_says_how_many_tries_are_left(client, settings):
    UserFactory(school_number="S7300")
    texts = [attempt(client, "S7300").content.decode() for _ in range(settings.AXES_FAILURE_LIMIT - 1)]
    assert "left:" not in texts[0] and "left:" not in texts[1]
    assert "2 tries left: then logging in from here pauses for 15 minutes." in texts[2]
    assert "1 try left:" in texts[3]


def test_the_lock_out_says_for_how_long_and_links_back(client, settings):
    UserFactory(school_number="S7301")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "S7301")
    page = attempt(client, "S7301")
    html = page.content.decode()
    assert page.status_code == 429 and "for 15 minutes" in html
    assert reverse("accounts:login") in html
