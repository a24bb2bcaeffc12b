"""A stalled task cluster heals itself, and the health probe says so while it is stalled.

django-q2's workers share one multiprocessing queue. The idle worker that holds the queue's read lock
waits in a read on the queue's pipe, the others wait for the lock; SIGKILL that worker and the lock dies
with it: the sentinel starts a new worker, and every worker then waits for ever. By hand (`make run`,
then `kill -9` on the worker whose /proc/PID/wchan is the pipe read): finished sessions were never
swept, tasks piled up in Redis, the cluster ignored SIGTERM, and /healthz/sweep said 200.

Here the cluster runs as `make run` and the worker container run it, under `manage.py qcluster_watchdog`,
on the tests' database and Redis, with short bounds. The lock holder is killed, a finished session and
the schedule's next sweeps wait in the queue, /healthz/sweep answers 503 (the cluster still reports
itself alive), and the watchdog kills the stalled cluster's process group and starts a new one, which
sweeps the session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
from django.db import connection
from django.test import Client
from django_q.status import Stat
from django_q.tasks import async_task

from attendance.models import Attendance
from attendance.teaching import service as live_sessions
from attendance.tests.live_helpers import start

ROOT = Path(__file__).resolve().parent.parent
WATCHDOG_QUEUE_BOUND = 6  # seconds a task may wait before the watchdog calls the cluster stalled
PROBE_QUEUE_BOUND = 2  # the same bound for /healthz/sweep, lower: the probe sees the stall first

pytestmark = pytest.mark.django_db(transaction=True)


def until(condition, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"{what} within {timeout} s")


def database_url_for_tests() -> str:
    """DATABASE_URL with the tests' own database, so the cluster sees what the test wrote."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}"))


@pytest.fixture
def watchdog(settings, tmp_path, task_queue):
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,  # the test's own live keys
        "Q_WORKERS": "2",
        "WATCHDOG_CHECK_SECONDS": "1",
        "QUEUE_STALL_SECONDS": str(WATCHDOG_QUEUE_BOUND),
    }
    log = tmp_path / "watchdog.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster_watchdog"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.log = log
    try:
        yield proc
    finally:
        tree = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.terminate()  # as `make run`'s Ctrl-C and `docker stop` do: the watchdog stops its cluster
        try:
            assert proc.wait(20) == 0, log.read_text()[-3000:]
            assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        finally:
            for p in [proc.pid, *(p.pid for p in tree)]:
                try:
                    os.killpg(p, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def cluster_of(watchdog) -> Stat | None:
    """The django-q2 cluster the watchdog runs now, once its workers wait for tasks."""
    children = {p.pid for p in psutil.Process(watchdog.pid).children()}
    found = [s for s in Stat.get_all() if s.pid in children and len(s.workers) == 2]
    return found[0] if found else None


def lock_holder(stat: Stat) -> int | None:
    """The idle worker that holds the task queue's read lock: it waits in a read on the queue's pipe
    (the others wait for the lock itself, on a futex)."""
    reading = [pid for pid in stat.workers if "pipe_read" in Path(f"/proc/{pid}/wchan").read_text()]
    return reading[0] if len(reading) == 1 else None


def healthz_sweep() -> tuple[int, dict]:
    response = Client().get("/healthz/sweep")
    return response.status_code, response.json()


def test_a_worker_killed_holding_the_queue_lock_stalls_the_cluster_and_the_watchdog_heals_it(
    watchdog, teacher, course, settings
):
    settings.QUEUE_STALL_SECONDS = PROBE_QUEUE_BOUND
    session = start(teacher, course)
    stat = until(lambda: cluster_of(watchdog), 60, "the watchdog's cluster did not start")
    holder = until(lambda: lock_holder(stat), 10, "no single worker was found reading the task queue")
    stalled = {p.pid for p in psutil.Process(stat.pid).children(recursive=True)} | {stat.pid}

    os.kill(holder, signal.SIGKILL)
    until(lambda: (s := cluster_of(watchdog)) and s.reincarnations >= 1, 10, "the sentinel did not replace it")
    # "Finish now", and the schedule's next sweeps (a minute apart; enqueued here at once): the stalled
    # cluster takes a few into its own queue and the rest wait in Redis.
    live_sessions.session_finish(session=session)
    for _ in range(6):
        async_task("attendance.tasks.sweep_due")

    status, body = until(lambda: (r := healthz_sweep())[0] == 503 and r, 10, "/healthz/sweep did not see the stall")
    assert body["queue"]["ok"] is False and "tasks queued" in body["queue"]["detail"]
    assert body["cluster"]["ok"] is True  # what the probe said before: the stalled cluster reports itself alive
    assert not Attendance.objects.filter(id=session.id).exists()

    until(lambda: Attendance.objects.filter(id=session.id).exists(), 45, "the session was not swept after the stall")
    assert not [pid for pid in stalled if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert "stalled" in watchdog.log.read_text()
    status, body = until(lambda: (r := healthz_sweep())[0] == 200 and r, 15, "/healthz/sweep did not recover")
    assert body["queue"]["queued"] == 0 and body["sweep"]["ok"] is True
