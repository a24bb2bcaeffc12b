"""Fixtures of the live attendance tests: cheap password hashing, a frozen clock, an open session."""

import pytest

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
