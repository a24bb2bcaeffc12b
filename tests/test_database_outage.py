"""PostgreSQL unreachable: every page answers 503 "try again" (as with Redis down), the administrators get
one mail for the outage rather than one per request, and nothing a student sent is lost or half-written."""

import logging
import socket

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from attendance import live
from attendance.tests.live_helpers import FAST_HASHERS, code, freeze, start
from attn_site.log_filters import OneMailPerError
from conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """The test's connection to PostgreSQL: ``down()`` points it at a port nobody listens on (as a stopped
    server), ``up()`` brings it back."""

    def __init__(self):
        self.saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}

    def down(self) -> None:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        connection.close()

    def up(self) -> None:
        connection.settings_dict.update(self.saved)
        connection.close()


@pytest.fixture
def postgres():
    server = Postgres()
    try:
        yield server
    finally:
        server.up()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def test_every_page_says_try_again_and_one_mail_tells_the_administrators(teacher, student, course, postgres):
    clock = freeze()
    session = start(teacher, course, now=clock.now)
    teachers, students, anonymous = Client(), Client(), Client()
    login(teachers, teacher)
    login(students, student)
    students.get(reverse("attendance:student_home"))  # the device cookie
    mail.outbox.clear()

    postgres.down()
    answers = [
        teachers.get(reverse("attendance:teacher_home")),
        teachers.get(reverse("attendance:session_list")),
        students.post(reverse("attendance:student_home"), {"code": code(session, clock.now)}),
        anonymous.post(reverse("accounts:login"), {"username": student.school_number, "password": "x"}),
        teachers.get(reverse("attendance:teacher_home")),
    ]

    assert [a.status_code for a in answers] == [503] * len(answers)
    assert all(b"Please try again in a few seconds." in a.content for a in answers)
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    assert live.count_records(session.id) == 0  # nothing half-written

    postgres.up()  # the server is back: the same check-in goes through
    retry = students.post(reverse("attendance:student_home"), {"code": code(session, clock.now)})
    assert retry.status_code == 302
    assert live.count_records(session.id) == 1


def test_a_bad_query_is_still_a_500_and_not_taken_for_an_outage(teacher):
    from django.db import ProgrammingError

    from attn_site.middleware import ServiceUnavailableMiddleware

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM accounts_user")
    except ProgrammingError as exc:
        assert not ServiceUnavailableMiddleware.is_down(exc)
    assert connection.is_usable()


def record(message: str, exc: BaseException | None = None, path: str = "/a/") -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("django.request", logging.ERROR, __file__, 1, message, (path,), exc_info)


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_one_mail_per_distinct_error_in_the_window(settings):
    settings.ERROR_MAIL_MINUTES = 10
    once = OneMailPerError()
    outage = [record("Service Unavailable: %s", path=f"/page/{n}/") for n in range(5)]
    assert [once.filter(r) for r in outage] == [True, False, False, False, False]
    boom, other = raised(KeyError("x")), raised(ValueError("y"))
    assert once.filter(record("Internal Server Error: %s", boom)) is True
    assert once.filter(record("Internal Server Error: %s", boom, path="/b/")) is False
    assert once.filter(record("Internal Server Error: %s", other)) is True  # another error: its own mail


def test_with_the_cache_down_too_each_process_still_mails_once(settings, tmp_path):
    dead = f"unix://{tmp_path}/nothing-here.sock"
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": dead}}
    once = OneMailPerError()
    assert [once.filter(record("Service Unavailable: %s")) for _ in range(3)] == [True, False, False]
