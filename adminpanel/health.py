"""Probes of the parts ATTN depends on, each timed and never raising."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from attendance import clock, live
from attendance.models import SweepRun


@dataclass
class Probe:
    ok: bool
    latency_ms: float | None = None
    detail: str = ""
    info: dict = field(default_factory=dict)


def _timed(fn) -> Probe:
    started = time.perf_counter()
    try:
        info = fn() or {}
    except Exception as exc:  # any failure means "down"; the message says why
        return Probe(ok=False, detail=f"{type(exc).__name__}: {exc}")
    return Probe(ok=True, latency_ms=round((time.perf_counter() - started) * 1000, 2), info=info)


def postgres() -> Probe:
    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(query)


def redis(alias: str = "live") -> Probe:
    """Reach every server behind a Redis alias (``live``, or ``default``: login sessions, cache, task broker);
    fail when one is down or full (a noeviction server at maxmemory refuses every write)."""

    def ping():
        full = [memory for memory in live.server_memory(alias) if is_full(memory)]
        if full:
            used, limit = full[0]["used_memory"], full[0]["maxmemory"]
            raise RuntimeError(
                _("Redis is full (%(used)s of %(limit)s bytes, noeviction): it refuses every write")
                % {"used": used, "limit": limit}
            )

    return _timed(ping)


def is_full(memory: dict) -> bool:
    """A server that refuses writes for memory: noeviction, and maxmemory set and reached."""
    limit = int(memory.get("maxmemory") or 0)
    policy = memory.get("maxmemory_policy", "noeviction")
    return limit > 0 and policy == "noeviction" and int(memory.get("used_memory") or 0) >= limit


def redis_config() -> Probe:
    """Read maxmemory-policy, persistence and memory; warn unless noeviction and AOF."""

    def one(conn, **target):
        policy = conn.config_get("maxmemory-policy", **target).get("maxmemory-policy")
        aof = conn.config_get("appendonly", **target).get("appendonly") == "yes"
        rdb = bool(conn.config_get("save", **target).get("save"))
        memory = conn.info("memory", **target)
        used, limit = memory.get("used_memory", 0), memory.get("maxmemory", 0)
        return policy, aof, rdb, used, limit

    def read():
        # On a Redis Cluster every primary holds live state: each is read, and the worst one shown.
        where = live.topology()
        servers = where.each_server(one)
        policies = {policy for policy, *_ in servers}
        shares = [round(100 * used / limit, 1) for _, _, _, used, limit in servers if limit]
        info = {
            "policy": "noeviction" if policies == {"noeviction"} else ", ".join(sorted(policies - {"noeviction"})),
            "aof": all(aof for _, aof, *_ in servers),
            "rdb": any(rdb for _, _, rdb, *_ in servers),
            "used_mb": round(sum(used for *_, used, _ in servers) / 2**20, 1),
            "max_mb": round(sum(limit for *_, limit in servers) / 2**20, 1),
            "used_percent": max(shares) if len(shares) == len(servers) else None,
        }
        return info if where.spans_groups else {**info, "servers": len(servers)}

    probe = _timed(read)
    if probe.ok:
        problems = []
        if probe.info["policy"] != "noeviction":
            problems.append(
                _("maxmemory-policy is %(policy)s: live check-ins may be evicted") % {"policy": probe.info["policy"]}
            )
        if not probe.info["aof"]:
            # RDB snapshots lose every check-in since the last one; AOF loses at most a second.
            problems.append(_("AOF is off (appendonly no): a restart loses live check-ins since the last snapshot"))
        if probe.info["used_percent"] is not None and probe.info["used_percent"] >= 80:
            problems.append(
                _("memory %(percent)s %% of maxmemory: check-ins fail when it is full")
                % {"percent": probe.info["used_percent"]}
            )
        probe.detail = "; ".join(problems)
    return probe


def sweep_backlog(now: float, overdue_minutes: int) -> Probe:
    """Fail when the oldest due session ended more than overdue_minutes ago (the sweep is not keeping up)."""

    def oldest():
        end = live.oldest_due_end()
        minutes = round((now - end) / 60, 1) if end is not None and end <= now else 0
        if minutes > overdue_minutes:
            raise RuntimeError(_("the oldest due session ended %(minutes)s minutes ago") % {"minutes": minutes})
        return {"oldest_due_minutes": minutes}

    return _timed(oldest)


def cluster() -> Probe:
    """Report whether a django-q2 cluster has checked in recently."""

    def stat():
        from django_q.status import Stat

        clusters = Stat.get_all()
        if not clusters:
            raise RuntimeError(_("no django-q2 cluster is running"))
        return {"clusters": len(clusters), "workers": sum(len(c.workers) for c in clusters)}

    return _timed(stat)


def cluster_starts() -> list[datetime]:
    """When each django-q2 cluster that reports now was started."""
    from django_q.status import Stat

    return [stat.tob for stat in Stat.get_all() if stat.tob]


def last_scheduled_sweep(*, successful: bool) -> datetime | None:
    """When the last scheduled sweep finished (the last one without a failed session or error, if successful)."""
    runs = SweepRun.objects.filter(trigger="schedule", finished_at__isnull=False)
    if successful:
        runs = runs.filter(sessions_failed=0, errors="")
    return runs.order_by("-started_at").values_list("finished_at", flat=True).first()


def sweep_progress(now: datetime, bound: int) -> Probe:
    """Fail when no scheduled sweep has succeeded for ``bound`` seconds: a cluster can report itself
    alive and do no work.  Counted from the newest cluster's start when that is later (its first run
    is still to come)."""

    def last():
        succeeded = last_scheduled_sweep(successful=True)
        since = max([t for t in [succeeded, *cluster_starts()] if t], default=None)
        if since is None:
            raise RuntimeError(_("no scheduled sweep has succeeded yet"))
        seconds = round((now - since).total_seconds())
        if seconds > bound:
            raise RuntimeError(_("no scheduled sweep has succeeded for %(seconds)s seconds") % {"seconds": seconds})
        return {"last_success": succeeded.isoformat() if succeeded else None}

    return _timed(last)


def queued_tasks(cluster: str | None = None) -> tuple[int, datetime | None]:
    """How many tasks wait in the broker for a cluster (the main one unless named), and when the oldest of
    them was enqueued."""
    from django_q.brokers import get_broker
    from django_q.signing import BadSignature, SignedPackage

    broker = get_broker(cluster)
    count = broker.queue_size()
    head = broker.connection.lindex(broker.list_key, 0) if count else None  # the Redis broker's oldest
    try:
        return count, SignedPackage.loads(head).get("started") if head else None
    except BadSignature:  # another SECRET_KEY's task: no age to read
        return count, None


def task_queue(now: datetime, bound: int) -> Probe:
    """Fail when the oldest task has waited for a worker over ``bound`` seconds: the queue is not draining.

    Counted from the newest cluster's start when that is later (it has the queue to catch up on)."""

    def oldest():
        count, enqueued = queued_tasks()
        since = max([enqueued, *cluster_starts()]) if enqueued else None
        seconds = max(0, round((now - since).total_seconds())) if since else 0
        if seconds > bound:
            raise RuntimeError(
                _("%(count)s tasks queued, the oldest waiting for %(seconds)s seconds")
                % {"count": count, "seconds": seconds}
            )
        return {"queued": count, "oldest_seconds": seconds}

    return _timed(oldest)


def photo_queue(now: datetime) -> Probe:
    """How many photo tasks wait for the photo cluster, and how long the oldest has (shown, never alarming:
    a lecture hall's burst is a queue that drains, and the sweep does not wait behind it)."""

    def waiting():
        count, enqueued = queued_tasks(settings.PHOTO_CLUSTER)
        return {"queued": count, "oldest_seconds": max(0, round((now - enqueued).total_seconds())) if enqueued else 0}

    return _timed(waiting)


def work() -> dict[str, Probe]:
    """Whether the task cluster does its work: it reports, the scheduled sweep succeeds, the queue drains."""
    now = clock.now_datetime()
    return {
        "cluster": cluster(),
        "sweep": sweep_progress(now, settings.SWEEP_STALL_SECONDS),
        "queue": task_queue(now, settings.QUEUE_STALL_SECONDS),
    }
