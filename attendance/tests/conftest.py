"""Fixtures of the live attendance tests: cheap password hashing, a frozen clock, an open session."""

import socket

import pytest
from django.db import connection

from .live_helpers import FAST_HASHERS, freeze, start


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Argon2 costs most of a test's time when every test makes several users.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def clock():
    return freeze()


@pytest.fixture
def session(teacher, course, clock):
    return start(teacher, course, now=clock.now)


@pytest.fixture
def classmates(course):
    """Two more enrolled students: one who will be rejected, one who never comes."""
    from tests.factories import EnrollmentFactory, UserFactory

    rita = UserFactory(school_number="S1002", full_name="Rita Rejected")
    mia = UserFactory(school_number="S1003", full_name="Mia Missing")
    for person in (rita, mia):
        EnrollmentFactory(course=course, student=person)
    return rita, mia


@pytest.fixture
def filled(session, student, classmates, clock):
    """Sam checked in, Rita failed the network check, Mia has not come."""
    rita, _ = classmates
    from .live_helpers import check_in

    check_in(session, student, clock.now)
    session.network_mode = "same"
    check_in(session, rita, clock.now, ip="10.9.9.9")
    return session


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def postgres_down():
    """Point the connection at a port nobody listens on; call the fixture's value to bring it back."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}

    def recover():
        connection.settings_dict.update(saved)
        connection.close()

    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    connection.close()
    try:
        yield recover
    finally:
        recover()
