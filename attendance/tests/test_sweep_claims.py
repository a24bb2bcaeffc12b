"""A sweeper's claim lives SWEEP_CLAIM_TTL seconds and its heartbeat renews it while the sweeper works:
a sweeper killed mid-session frees the session within the TTL, not after the whole run's bound."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attendance import live, sweep
from attendance.sweep import claims

from .sweep_helpers import due_session, live_record

ROOT = Path(__file__).resolve().parents[2]
TTL = 3

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]

CLAIMER = """
import os, sys, time
import django
django.setup()
from attendance.sweep import claims
assert claims.take(sys.argv[1])
print("claimed", flush=True)
time.sleep(600)
"""


def claim_ttl(sid) -> int:
    return live.client().ttl(live.session_keys(sid).claim)


def test_the_heartbeat_keeps_a_held_claim_past_its_ttl_and_stops_when_forgotten(settings):
    settings.SWEEP_CLAIM_TTL = TTL
    session = due_session(records=[live_record("S1001")])
    assert claims.take(session.id)
    try:
        assert claims.take(session.id) is None  # held: a second sweeper is refused
        time.sleep(TTL * 2)
        assert claim_ttl(session.id) > 0
    finally:
        claims.forget(session.id)
    time.sleep(TTL + 1.5)
    assert claim_ttl(session.id) == -2  # gone: nobody renews it


def test_a_sweeper_killed_mid_session_frees_it_within_the_ttl(settings):
    settings.SWEEP_CLAIM_TTL = TTL
    session = due_session(records=[live_record("S1001"), live_record("S1002")])
    env = {**os.environ, "LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX, "SWEEP_CLAIM_TTL": str(TTL)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")
    if settings.LIVE_REDIS_CLUSTER_NODES:  # the test's cluster, as this process uses it
        env["LIVE_REDIS_CLUSTER_NODES"] = ",".join(settings.LIVE_REDIS_CLUSTER_NODES)
    sweeper = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, session.id], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert sweeper.stdout.readline().strip() == "claimed"
        time.sleep(TTL * 2)  # its heartbeat keeps the claim: no other sweeper may take the session
        assert claim_ttl(session.id) > 0
        assert sweep.run(session_id=session.id).skipped == 1
    finally:
        os.kill(sweeper.pid, signal.SIGKILL)
        sweeper.wait()
    killed = time.monotonic()
    while claim_ttl(session.id) != -2:
        assert time.monotonic() - killed < TTL + 1, "the dead sweeper's claim outlived its TTL"
        time.sleep(0.1)
    result = sweep.run(session_id=session.id)
    assert (result.processed, result.records) == (1, 2)
