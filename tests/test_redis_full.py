"""Redis out of memory (noeviction refuses writes): a clear 503, never a 500, and nothing half-written."""

import pytest
from django.urls import reverse

from attendance import live
from attendance.tests.live_helpers import code, freeze, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_redis():
    """Make the test Redis refuse every write, as a full noeviction server does."""
    conn = live.client()
    saved = conn.config_get("maxmemory")["maxmemory"], conn.config_get("maxmemory-policy")["maxmemory-policy"]
    conn.config_set("maxmemory-policy", "noeviction")
    conn.config_set("maxmemory", 1)
    yield
    conn.config_set("maxmemory", saved[0])
    conn.config_set("maxmemory-policy", saved[1])


def test_a_check_in_while_redis_is_full_gets_a_503_page(client, student, teacher, course):
    clock = freeze()
    session = start(teacher, course, now=clock.now)
    client.force_login(student)  # the login session is written before Redis fills up
    conn = live.client()
    saved = conn.config_get("maxmemory")["maxmemory"]
    conn.config_set("maxmemory", 1)
    try:
        response = client.post(reverse("attendance:student_home"), {"code": code(session, clock.now)})
    finally:
        conn.config_set("maxmemory", saved)
    assert response.status_code == 503
    assert b"try again" in response.content.lower()
    assert live.get_record(session.id, student.school_number) is None


def test_a_login_while_redis_is_full_gets_a_503_page(client, student, full_redis):
    from tests.factories import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": student.school_number, "password": PASSWORD})
    assert response.status_code == 503


def test_live_state_has_its_own_connection_pool_through_the_live_alias(settings):
    from django_redis import get_redis_connection

    live_pool, cache_pool = live.client().connection_pool, get_redis_connection("default").connection_pool
    assert live_pool is not cache_pool  # a flood of cache keys cannot take the check-ins' connections
    assert settings.CACHES["live"]["LOCATION"].startswith(settings.LIVE_REDIS_URL)
    names = {entry.get("name") for entry in live.client().client_list()}
    assert "attn-live" in names
