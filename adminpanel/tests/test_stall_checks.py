"""Health that means work is being done: the last successful scheduled sweep and a draining task queue, in
/healthz/sweep and `check_cluster`; the watchdog's verdicts and its one alert per stall.
(tests/test_cluster_stall.py stalls a real cluster and watches the watchdog heal it.)"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_q.tasks import async_task

from adminpanel import health
from adminpanel.watchdog import Watchdog
from attendance import clock
from attendance.models import SweepRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    """The app clock, held: tests move it with ``now.set(...)``."""

    class Held:
        at = clock.now_datetime()

        def set(self, moment):
            self.at = moment
            clock.use(lambda: self.at.timestamp())

    held = Held()
    held.set(held.at)
    return held


def sweep_run(finished, *, trigger="schedule", failed=0, errors=""):
    return SweepRun.objects.create(
        started_at=finished - timedelta(seconds=1),
        finished_at=finished,
        trigger=trigger,
        sessions_failed=failed,
        errors=errors,
    )


def body() -> dict:
    return Client().get("/healthz/sweep").json()


def test_the_probe_fails_when_no_scheduled_sweep_has_succeeded_lately(now, settings):
    settings.SWEEP_STALL_SECONDS = 150
    sweep_run(now.at - timedelta(minutes=10))
    sweep_run(now.at - timedelta(minutes=1), failed=1, errors="s: boom")  # ran, but did not succeed
    sweep_run(now.at - timedelta(seconds=30), trigger="manual")  # not the schedule
    probe = body()["sweep"]
    assert probe["ok"] is False and "600 seconds" in probe["detail"]

    sweep_run(now.at - timedelta(seconds=20))
    assert body()["sweep"]["ok"] is True


def test_the_probe_fails_when_the_queue_does_not_drain(now, settings, task_queue):
    settings.QUEUE_STALL_SECONDS = 60
    assert body()["queue"] == {"ok": True, "detail": "", "queued": 0, "oldest_seconds": 0}
    async_task("attendance.tasks.sweep_due")
    async_task("attendance.tasks.sweep_due")
    assert body()["queue"]["ok"] is True  # just queued

    now.set(now.at + timedelta(seconds=90))  # no cluster took them
    probe = body()["queue"]
    assert probe["ok"] is False and probe["detail"].startswith("RuntimeError: 2 tasks queued, the oldest waiting for 9")


def test_the_container_health_check_fails_while_the_cluster_does_no_work(task_queue):
    with pytest.raises(CommandError, match="cluster: RuntimeError: no django-q2 cluster is running"):
        call_command("check_cluster")


# --- the watchdog (its verdicts and alerts, without a cluster: tests/test_cluster_stall.py runs one) ---


def watchdog(started_ago: timedelta, now) -> Watchdog:
    dog = Watchdog(["true"])
    dog.child_started = dog.watching_since = now.at - started_ago
    return dog


def test_the_watchdog_calls_a_cluster_stalled_when_no_scheduled_sweep_finishes(now, settings):
    settings.SWEEP_STALL_SECONDS = 150
    assert watchdog(timedelta(seconds=100), now).sweeps_stopped(now.at) == ""  # a new cluster's grace
    assert watchdog(timedelta(minutes=5), now).sweeps_stopped(now.at) == "no scheduled sweep has finished for 300 s"
    sweep_run(now.at - timedelta(seconds=60), failed=1, errors="s: boom")  # it works, though a session fails
    assert watchdog(timedelta(minutes=5), now).sweeps_stopped(now.at) == ""


def test_the_watchdog_counts_a_queue_from_its_clusters_start(now, settings, task_queue):
    settings.QUEUE_STALL_SECONDS = 60
    async_task("attendance.tasks.sweep_due")
    now.set(now.at + timedelta(seconds=90))
    assert watchdog(timedelta(minutes=5), now).queue_stuck(now.at).startswith("1 tasks queued, the oldest waiting")
    assert watchdog(timedelta(seconds=10), now).queue_stuck(now.at) == ""  # a restarted cluster catches up first


def test_the_watchdog_gives_no_verdict_while_postgresql_is_down(now, settings):
    settings.SWEEP_STALL_SECONDS = 150
    dog = watchdog(timedelta(minutes=5), now)
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    connection.close()
    try:
        assert dog.stall() == ""  # restarting the cluster would not bring the database back
    finally:
        connection.settings_dict.update(saved)
        connection.close()


def test_the_watchdog_alerts_once_per_stall(now, settings):
    settings.SWEEP_STALL_SECONDS = 150
    sweep_run(now.at - timedelta(minutes=10))
    dog, other = watchdog(timedelta(hours=1), now), watchdog(timedelta(hours=1), now)

    assert dog.alert_if_no_sweep() is True
    assert dog.alert_if_no_sweep() is False  # the same stall
    assert other.alert_if_no_sweep() is False  # another worker machine's watchdog: one mail is enough
    assert [m.subject for m in mail.outbox] == ["[Django] ATTN watchdog: no sweep has succeeded for 10 minutes"]
    assert "Finished sessions wait in Redis" in mail.outbox[0].body

    sweep_run(now.at - timedelta(seconds=10))  # it works again
    assert dog.alert_if_no_sweep() is False
    now.set(now.at + timedelta(minutes=5))  # and stalls again: a new alert
    assert dog.alert_if_no_sweep() is True
    assert len(mail.outbox) == 2


def test_a_fresh_watchdog_waits_before_it_alerts(now, settings):
    settings.SWEEP_STALL_SECONDS = 150
    sweep_run(now.at - timedelta(days=3))  # the weekend: nothing ran, nothing was wrong
    assert watchdog(timedelta(seconds=30), now).alert_if_no_sweep() is False
    assert mail.outbox == []


def test_the_sweep_probe_fails_with_no_sweep_and_no_cluster(now):
    assert health.sweep_progress(now.at, 150).detail == "RuntimeError: no scheduled sweep has succeeded yet"


def test_the_photo_clusters_watchdog_watches_the_photo_queue_and_leaves_the_sweep_alone(
    now, settings, task_queue, photo_queue
):
    settings.QUEUE_STALL_SECONDS, settings.SWEEP_STALL_SECONDS = 60, 150
    dog = Watchdog(["true"], cluster=settings.PHOTO_CLUSTER)
    dog.child_started = dog.watching_since = now.at - timedelta(minutes=5)
    async_task("attendance.tasks.sweep_due")  # the main queue's: not this cluster's business
    async_task("attendance.tasks.verify_photo", "sid", "S1001", "photo.jpg", cluster=settings.PHOTO_CLUSTER)
    async_task("attendance.tasks.verify_photo", "sid", "S1002", "photo.jpg", cluster=settings.PHOTO_CLUSTER)
    now.set(now.at + timedelta(seconds=90))

    assert dog.queue_stuck(now.at).startswith("2 tasks queued, the oldest waiting for 9")
    # No sweep has run for 6 minutes: the main cluster's watchdog would say so first; not this one's check.
    assert dog.stall().startswith("2 tasks queued")
    photo_queue.purge_queue()
    assert dog.queue_stuck(now.at) == ""
