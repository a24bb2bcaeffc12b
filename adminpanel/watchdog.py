"""The task cluster's watchdog (``manage.py qcluster_watchdog``): it runs ``manage.py qcluster`` in a
process group of its own, restarts it when it stops doing work, and mails the administrators when no
scheduled sweep has succeeded in time.

Why from outside the cluster: django-q2's workers share one multiprocessing queue, and a worker killed
while it holds the queue's read lock (SIGKILL, the OOM killer) takes the lock with it. The sentinel
starts a new worker, and then every worker waits for ever; the cluster still reports itself alive,
sends no mail of its own, and ignores SIGTERM (its sentinel waits for the stuck workers), so its
whole process group is killed.

Stalled means (each bound a setting): no scheduled sweep has finished for SWEEP_STALL_SECONDS since
the cluster started; or the oldest task in the broker's queue has waited QUEUE_STALL_SECONDS since
then; or tasks have sat in this cluster's own queue that long (a stalled cluster among healthy ones
keeps the few tasks it took). A check that cannot read PostgreSQL or Redis counts as no verdict:
restarting the cluster would not bring them back.

The photo cluster (``qcluster_watchdog --photos``) is watched the same way on its own queue, without
the sweep's check and alert: the main cluster's watchdog has those.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins
from django.db import close_old_connections

from attendance import clock

from . import health

logger = logging.getLogger(__name__)

RESTART_PAUSE = 5  # seconds between a cluster's exit and its start again: a crash loop must not spin
ALERT_REPEAT = 24 * 3600  # one alert per stall, and a reminder a day while it lasts


class Watchdog:
    def __init__(self, command: list[str], *, cluster: str | None = None, nice: int = 0):
        """``cluster``: the django-q2 cluster's name when it is not the main one (the photo cluster): it is
        started with Q_CLUSTER_NAME set, its own queue is watched, and the sweep is not its business."""
        self.command = command
        self.cluster = cluster
        self.nice = nice
        self.child: subprocess.Popen | None = None
        self.child_started = self.watching_since = clock.now_datetime()
        self.own_queue_held_since: float | None = None  # monotonic
        self.last_success: datetime | None = None
        self.alerted: str | None = None  # the stall an alert went out for
        self.restarts = 0

    def run(self, stopping: threading.Event) -> None:
        """Start the cluster and watch it until ``stopping`` is set; then stop it."""
        self.start()
        try:
            while not stopping.wait(settings.WATCHDOG_CHECK_SECONDS):
                close_old_connections()  # a PostgreSQL restart must not leave this process on a dead connection
                self.check_once(stopping)
        finally:
            self.stop()

    def check_once(self, stopping: threading.Event | None = None) -> None:
        if self.child.poll() is not None:
            logger.error("The task cluster exited with %s; starting it again", self.child.returncode)
            if stopping is None or not stopping.wait(RESTART_PAUSE):
                self.start()
            return
        reason = self.stall()
        if reason:
            self.restart(reason)
        if self.cluster is None:
            self.alert_if_no_sweep()

    # --- the cluster's processes ---------------------------------------------------

    def start(self) -> None:
        # A session (and process group) of its own: a Ctrl-C in the terminal reaches only the watchdog,
        # which stops the cluster in order, and a stalled cluster is killed without killing the watchdog.
        env = {**os.environ, "Q_CLUSTER_NAME": self.cluster} if self.cluster else None
        nice = self.nice
        self.child = subprocess.Popen(
            self.command, start_new_session=True, env=env, preexec_fn=(lambda: os.nice(nice)) if nice else None
        )
        self.child_started = clock.now_datetime()
        self.own_queue_held_since = None
        logger.info("Task cluster started (pid %s)", self.child.pid)

    def restart(self, reason: str) -> None:
        logger.error(
            "Task cluster (pid %s) stalled: %s. Killing its process group and starting it again", self.child.pid, reason
        )
        _kill_group(self.child)
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        """Stop the cluster as Docker stops a container: SIGTERM to its main process, then its group is killed."""
        if self.child is None:
            return
        if self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(settings.WATCHDOG_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                logger.warning("The task cluster did not stop within %s s: killed", settings.WATCHDOG_STOP_SECONDS)
        _kill_group(self.child)  # whatever of its tree outlived the stop

    # --- the checks ------------------------------------------------------------------

    def stall(self) -> str:
        """Why the cluster is stalled, or "" while it does its work (or no check could tell)."""
        now = clock.now_datetime()
        checks = (self.queue_stuck, self.own_queue_stuck)
        for check in checks if self.cluster else (self.sweeps_stopped, *checks):
            try:
                reason = check(now)
            except Exception as exc:  # PostgreSQL or Redis down: no verdict
                logger.warning("The watchdog's %s check could not run: %r", check.__name__, exc)
                continue
            if reason:
                return reason
        return ""

    def sweeps_stopped(self, now: datetime) -> str:
        finished = health.last_scheduled_sweep(successful=False)
        since = max(t for t in (finished, self.child_started) if t)
        seconds = (now - since).total_seconds()
        if seconds > settings.SWEEP_STALL_SECONDS:
            return f"no scheduled sweep has finished for {seconds:.0f} s"
        return ""

    def queue_stuck(self, now: datetime) -> str:
        count, enqueued = health.queued_tasks(self.cluster)
        if not enqueued:
            return ""
        seconds = (now - max(enqueued, self.child_started)).total_seconds()
        if seconds > settings.QUEUE_STALL_SECONDS:
            return f"{count} tasks queued, the oldest waiting for {seconds:.0f} s"
        return ""

    def own_queue_stuck(self, now: datetime) -> str:
        from django_q.status import Stat

        host = socket.gethostname()
        held = sum(s.task_q_size for s in Stat.get_all() if s.pid == self.child.pid and s.host == host)
        if not held:
            self.own_queue_held_since = None
            return ""
        if self.own_queue_held_since is None:
            self.own_queue_held_since = time.monotonic()
        seconds = time.monotonic() - self.own_queue_held_since
        if seconds > settings.QUEUE_STALL_SECONDS:
            return f"{held} tasks have waited in the cluster's own queue for {seconds:.0f} s"
        return ""

    # --- the alert -------------------------------------------------------------------

    def alert_if_no_sweep(self) -> bool:
        """Mail the administrators once per stall when no scheduled sweep has succeeded in time; True if sent."""
        unread = ""
        try:
            self.last_success = health.last_scheduled_sweep(successful=True)
        except Exception as exc:  # PostgreSQL down: the last success read before stands
            unread = f"\n\nThe database could not be read: {exc!r}"
        since = max(t for t in (self.last_success, self.watching_since) if t)
        seconds = (clock.now_datetime() - since).total_seconds()
        if seconds <= settings.SWEEP_STALL_SECONDS:
            if self.alerted:
                logger.info("Scheduled sweeps succeed again")
            self.alerted = None
            return False
        stall = self.last_success.isoformat() if self.last_success else f"never since {self.watching_since:%c}"
        if self.alerted == stall or not _first_to_alert(stall):
            self.alerted = stall
            return False
        self.alerted = stall
        minutes = round(seconds / 60)
        logger.error("No scheduled sweep has succeeded for %s minutes", minutes)
        last = f"The last one succeeded at {self.last_success:%Y-%m-%d %H:%M:%S %Z}." if self.last_success else ""
        mail_admins(
            f"ATTN watchdog: no sweep has succeeded for {minutes} minutes",
            f"No scheduled sweep has succeeded for {minutes} minutes. {last}\n"
            f"Finished sessions wait in Redis; they are lost once their keys expire (LIVE_GRACE_DAYS).\n"
            f"The watchdog on {socket.gethostname()} has restarted its task cluster {self.restarts} times."
            f"{unread}\nSee /ops/ and /healthz/sweep.",
            fail_silently=True,  # mail may be down as well; the log line above is the fallback
        )
        return True


def _first_to_alert(stall: str) -> bool:
    """Whether this watchdog sends the stall's alert: several watch a cluster each, one mail is enough."""
    try:
        return cache.add(f"watchdog-alert:{stall}", 1, ALERT_REPEAT)
    except Exception:  # the cache is down as well: each watchdog alerts once
        return True


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is gone: nothing left of it
    proc.wait()
