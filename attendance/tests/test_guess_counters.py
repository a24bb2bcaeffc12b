"""Wrong-code counters never pile up in Redis: each subject's counter (a student, a QR link's address in a
session, the session) carries a TTL no longer than its lock-out can last, so the keys of every address ever
seen go by themselves."""

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from attendance import live

from .live_helpers import code

pytestmark = pytest.mark.django_db


def guess_keys() -> dict[str, int]:
    """Every wrong-guess counter of this test, with its TTL in seconds (-1: none)."""
    conn = live.client()
    pattern = f"{django_settings.LIVE_KEY_PREFIX}:guess:*"
    return {key.decode(): conn.ttl(key) for key in conn.scan_iter(match=pattern)}


def wrong(session, now) -> str:
    right = {code(session, now), code(session, now, steps_back=1)}
    return next(c for c in ("000000", "111111", "222222") if c not in right)


def scan_wrong(session, now, address):
    Client(REMOTE_ADDR=address).get(reverse("attendance:qr_link", args=[session.id, wrong(session, now)]))


def test_the_counters_of_a_hall_of_addresses_each_expire_within_their_memory(student_client, session, clock, settings):
    settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS = 2  # some addresses get locked out, which lengthens nothing
    for n in range(40):
        scan_wrong(session, clock.now, f"198.51.100.{n}")
        scan_wrong(session, clock.now, f"2001:db8:{n}::1")
    student_client.post(reverse("attendance:student_home"), {"code": wrong(session, clock.now)})

    counters = guess_keys()
    assert len(counters) == 80 + 1 + 1  # an address each (IPv4, IPv6 /64), the session, the student
    address_memory = settings.CHECKIN_GUESS_LOCK_MAX_SECONDS + settings.CHECKIN_GUESS_WINDOW
    session_memory = 2 * (session.expire_at - clock.now) + 5
    for key, ttl in counters.items():
        assert 0 < ttl <= (session_memory if key.endswith(f":{session.id}") else address_memory), (key, ttl)


def test_an_addresses_counter_is_gone_once_its_memory_has_passed(session, clock, settings):
    settings.CHECKIN_GUESS_WINDOW, settings.CHECKIN_GUESS_LOCK_SECONDS = 1, 1
    settings.CHECKIN_GUESS_LOCK_MAX_SECONDS = 1
    scan_wrong(session, clock.now, "198.51.100.7")
    address_keys = [key for key in guess_keys() if "198.51.100.7" in key]
    assert len(address_keys) == 1
    time.sleep(2.2)  # Redis's own clock: the window and the longest lock-out, one second each
    assert not live.client().exists(address_keys[0])
