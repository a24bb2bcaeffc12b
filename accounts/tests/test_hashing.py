"""Passwords are hashed with Argon2id at OWASP's minimum cost, and older hashes move to it at the next login."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.urls import reverse

from accounts.hashers import OwaspArgon2PasswordHasher
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def real_hashers(settings):
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.OwaspArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


def parameters(encoded: str) -> dict:
    return OwaspArgon2PasswordHasher().decode(encoded)


def test_new_passwords_use_argon2id_at_owasps_minimum():
    encoded = make_password("correct horse")
    assert encoded.startswith("argon2$argon2id$")
    found = parameters(encoded)
    assert (found["memory_cost"], found["time_cost"], found["parallelism"]) == (19 * 1024, 2, 1)


def test_a_hash_with_djangos_default_cost_is_upgraded_at_the_next_login(client):
    old = Argon2PasswordHasher().encode("correct horse", Argon2PasswordHasher().salt())
    assert parameters(old)["memory_cost"] == 102400
    user = UserFactory(school_number="S8801", password="!")
    user.password = old
    user.save(update_fields=["password"])

    response = client.post(reverse("accounts:login"), {"username": "S8801", "password": "correct horse"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password != old and isinstance(identify_hasher(user.password), OwaspArgon2PasswordHasher)
    assert parameters(user.password)["memory_cost"] == 19 * 1024
    assert user.check_password("correct horse")
    upgraded = user.password
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "S8801", "password": "correct horse"})
    user.refresh_from_db()
    assert user.password == upgraded  # hashed once: no new hash at every login
