"""Sweepers side by side: claims, several processes, deadlock-free user inserts, threads inside one run."""

import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from accounts.models import User
from attendance import live, sweep
from attendance.models import Attendance, AttendanceRecord, SweepRun
from attendance.sweep import persist

from .sweep_helpers import (
    due_session,
    failures,
    is_live,
    live_record,
)

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")

ROOT = Path(__file__).resolve().parents[2]


# --- concurrent sweepers ---------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{auth}@{host}/{quote(db['NAME'], safe='')}"


@contextmanager
def users_locked():
    """Hold back every insert into the users table until the block ends (another connection's lock)."""
    db = connection.settings_dict
    params = dict(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"])
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as gate:
        gate.execute(f"LOCK TABLE {User._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        yield gate
        gate.rollback()


def wait_for_lock_waiters(gate, count: int) -> None:
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass"
    for _ in range(600):
        if gate.execute(query, [User._meta.db_table]).fetchone()[0] >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} sweepers never reached their first insert")


@pytest.mark.django_db(transaction=True)
def test_four_sweeper_processes_persist_every_session_exactly_once():
    # Each run of four sessions shares twenty new students, and extra students of
    # their own give the sessions Redis hashes of different sizes, which hand the
    # shared ones over in different orders: concurrent sweepers' user upserts
    # collide on rows nobody has committed yet.
    extra = [0, 20, 50, 110]
    sids = []
    for i in range(200):
        shared = [live_record(f"S6{i // 4:03d}{n:02d}") for n in range(20)]
        own = [live_record(f"S7{i:03d}{n:03d}") for n in range(extra[i % 4])]
        sids.append(due_session(teacher_number="T6000", records=shared + own).id)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "attn_site.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "LIVE_REDIS_URL": settings.LIVE_REDIS_URL,
        "LIVE_REDIS_CLUSTER_NODES": ",".join(settings.LIVE_REDIS_CLUSTER_NODES),
        "LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
    }
    command = [sys.executable, str(ROOT / "manage.py"), "sweep"]
    with users_locked() as gate:  # so that the four start their work together
        procs = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        wait_for_lock_waiters(gate, 4)
    outputs = [proc.communicate(timeout=600) for proc in procs]

    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
        assert b"0 failed" in out
    runs = SweepRun.objects.filter(trigger="command")
    assert runs.count() == 4
    assert sum(r.sessions_processed for r in runs) == 200
    assert sum(r.sessions_failed for r in runs) == 0
    assert set(Attendance.objects.values_list("id", flat=True)) == {uuid.UUID(sid) for sid in sids}
    assert AttendanceRecord.objects.count() == 200 * 20 + 50 * sum(extra)
    assert User.objects.filter(role=User.Role.STUDENT).count() == 50 * 20 + 50 * sum(extra)
    assert live.count_due(time.time()) == 0


@contextmanager
def slow_user_inserts(seconds: float):
    """Make every insert into the users table wait, so that concurrent inserts interleave row by row."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION attn_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER attn_test_slow BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION attn_test_slow_insert()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER attn_test_slow ON {table}")
            cursor.execute("DROP FUNCTION attn_test_slow_insert()")


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_sharing_new_students_in_opposite_orders_do_not_deadlock():
    numbers = ["S6901", "S6902", "S6903"]
    payloads = []
    for order in (numbers, numbers[::-1]):
        records = [live_record(number) for number in order]
        payloads.append((due_session(records=records), records))
    start, errors = threading.Barrier(2), []

    def write(session, records):
        try:
            start.wait()
            persist.session_persist(session=session, records=records)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with slow_user_inserts(0.2):
        threads = [threading.Thread(target=write, args=payload) for payload in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert User.objects.filter(school_number__in=numbers).count() == 3
    for session, _ in payloads:
        assert AttendanceRecord.objects.filter(attendance_id=session.id).count() == 3


# --- threads inside one run ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_threads_persist_every_session_exactly_once(settings):
    settings.SWEEP_THREADS = 3
    sessions = [due_session(records=[live_record(f"S7{i:02d}{j}") for j in range(4)]) for i in range(30)]
    seen = []
    result = sweep.run(progress=seen.append)
    assert (result.processed, result.records, result.failed, result.skipped) == (30, 120, 0, 0)
    assert len(seen) == 30
    assert Attendance.objects.count() == 30 and AttendanceRecord.objects.count() == 120
    assert not any(is_live(s.id) for s in sessions)
    assert SweepRun.objects.get().sessions_processed == 30


@pytest.mark.django_db(transaction=True)
def test_threads_stop_and_keep_everything_while_postgresql_is_unreachable(settings, postgres_down):
    settings.SWEEP_THREADS = 3
    sessions = [due_session(records=[live_record(f"S8{i:02d}")]) for i in range(6)]
    result = sweep.run()
    assert result.processed == 0 and result.failed >= 1
    assert all(is_live(s.id) and failures(s.id) == 0 for s in sessions)
    postgres_down()
    assert sweep.run().processed == 6
