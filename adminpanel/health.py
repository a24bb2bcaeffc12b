"""Probes of the parts ATTN depends on, each timed and never raising."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import connection

from attendance import live


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


def redis() -> Probe:
    def ping():
        live.client().ping()

    return _timed(ping)


def redis_config() -> Probe:
    """Read maxmemory-policy and persistence; warn unless noeviction and AOF or RDB."""

    def read():
        conn = live.client()
        policy = conn.config_get("maxmemory-policy").get("maxmemory-policy")
        aof = conn.config_get("appendonly").get("appendonly") == "yes"
        rdb = bool(conn.config_get("save").get("save"))
        return {"policy": policy, "aof": aof, "rdb": rdb}

    probe = _timed(read)
    if probe.ok:
        problems = []
        if probe.info["policy"] != "noeviction":
            problems.append(f"maxmemory-policy is {probe.info['policy']}: live check-ins may be evicted")
        if not (probe.info["aof"] or probe.info["rdb"]):
            problems.append("no persistence (neither AOF nor RDB): a restart loses live sessions")
        probe.detail = "; ".join(problems)
    return probe


def cluster() -> Probe:
    """Report whether a django-q2 cluster has checked in recently."""

    def stat():
        from django_q.status import Stat

        clusters = Stat.get_all()
        if not clusters:
            raise RuntimeError("no django-q2 cluster is running")
        return {"clusters": len(clusters), "workers": sum(len(c.workers) for c in clusters)}

    return _timed(stat)
