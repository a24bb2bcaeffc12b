"""Sweep benchmark: Redis → PostgreSQL for 10k, 100k and 1M records, against PostgreSQL's COPY.

Run with `make bench-sweep` (BENCH_ARGS="--sizes 10000,100000 --per-session 50").  It
expects DATABASE_URL and REDIS_URL (scripts/devstack.py exec sets them) and owns both
servers: it truncates the tables it fills and flushes Redis.

For each size N it fills Redis with N / R finished, due sessions of R records each (every record a student
PostgreSQL does not know yet, so the sweep creates them), runs the sweep in a fresh child
process (its peak RSS is read from that child's own /proc status, so it is the sweep's
and nothing else's) and checks what landed; then it truncates and times COPY of the same
rows (users, sessions, records) into the same tables: the ingestion limit.  The last line
printed is one JSON object: the figures at the largest size (``ratio`` = sweep / COPY,
``records``, ``peak_rss_mb``), the peak RSS at every size (``peak_rss_mb_by_size``) and
every size's row (``sizes``).  The sweep writes through bulk_create only (the SQL
writer it was compared with is gone; bench/RESULTS.md keeps its last figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")

TABLES = ["attendance_attendancerecord", "attendance_attendance", "attendance_sweeprun", "accounts_user"]
STATUSES = ["present"] * 14 + ["late"] * 4 + ["excused", "pending", "rejected"]
BATCH = 200  # sessions per Redis pipeline while filling


def setup_django() -> None:
    import django

    django.setup()


# --- the data set: the same rows for Redis and for COPY -------------------------


def session_ids(sessions: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(sessions)]


def teacher_number(s: int) -> str:
    return f"BT{s % 100:03d}"


def teacher_name(s: int) -> str:
    return f"Teacher {s % 100}"


def student_number(s: int, r: int) -> str:
    return f"B{s:06d}-{r:04d}"


def live_record(s: int, r: int, starts: float) -> dict:
    status = STATUSES[(s + r) % len(STATUSES)]
    return {
        "school_number": student_number(s, r),
        "full_name": f"Student {s} {r}",
        "status": status,
        "checked_in_at": starts + 30 + r,
        "source": "code",
        "reason": "Wrong network." if status == "rejected" else "",
        "flags": ["network"] if status == "rejected" else [],
    }


def session_meta(sid: str, s: int, starts: float, ends: float) -> dict:
    return {
        "id": sid,
        "lesson_name": f"Bench lesson {s}",
        "teacher_number": teacher_number(s),
        "teacher_name": teacher_name(s),
        "starts_at": starts,
        "ends_at": ends,
        "late_threshold_minutes": 10,
        "secret": "0" * 32,
    }


def fill_redis(sessions: int, per_session: int, now: float) -> None:
    from attendance import live

    conn = live.client()
    conn.flushdb()
    sids = session_ids(sessions)
    starts, ends = now - 7200, now - 3600
    expire_at = live.expire_at(ends)
    for first in range(0, sessions, BATCH):
        with conn.pipeline(transaction=False) as pipe:
            for s in range(first, min(first + BATCH, sessions)):
                sid = sids[s]
                meta = session_meta(sid, s, starts, ends)
                records = {student_number(s, r): json.dumps(live_record(s, r, starts)) for r in range(per_session)}
                pipe.hset(
                    live.session_keys(sid).meta,
                    mapping={"data": json.dumps(meta), "state": live.FINISHED, "ends": repr(ends)},
                )
                keys = live.session_keys(sid)
                pipe.hset(keys.records, mapping=records)
                pipe.expireat(keys.meta, expire_at)
                pipe.expireat(keys.records, expire_at)
                pipe.zadd(live.session_keys(sid).due, {sid: ends})
            pipe.execute()


def copy_rows(sessions: int, per_session: int, now: float):
    """Return the rows the sweep writes, as COPY would take them: users, sessions, records."""
    from attendance.sweep.persist import PENDING_AT_CLOSE

    stamp = datetime.fromtimestamp(now, tz=UTC)
    starts, ends = now - 7200, now - 3600
    starts_dt, ends_dt = datetime.fromtimestamp(starts, tz=UTC), datetime.fromtimestamp(ends, tz=UTC)
    teachers = {teacher_number(s): teacher_name(s) for s in range(sessions)}
    teacher_ids = {number: n + 1 for n, number in enumerate(teachers)}
    users = [("!", False, number, name, "", "teacher", True, False, stamp) for number, name in teachers.items()]
    attendances, records = [], []
    sids = session_ids(sessions)
    for s in range(sessions):
        attendances.append(
            (
                sids[s],
                False,
                "",
                f"Bench lesson {s}",
                teacher_ids[teacher_number(s)],
                starts_dt,
                ends_dt,
                10,
                True,
                "off",
                True,
                stamp,
            )
        )
        for r in range(per_session):
            record = live_record(s, r, starts)
            users.append(("!", False, record["school_number"], record["full_name"], "", "student", True, False, stamp))
            status, reason = record["status"], record["reason"]
            if status == "pending":
                status, reason = "rejected", PENDING_AT_CLOSE
            checked = datetime.fromtimestamp(record["checked_in_at"], tz=UTC)
            records.append(
                (False, "", sids[s], len(users), status, checked, reason, "code", json.dumps(record["flags"]))
            )
    users = [(n + 1, *row) for n, row in enumerate(users)]
    return users, attendances, records


COPIES = [
    (
        "accounts_user",
        "id, password, is_superuser, school_number, full_name, email, role, is_active, is_staff, date_joined",
    ),
    (
        "attendance_attendance",
        "id, is_deleted, deleted_reason, lesson_name, teacher_id, starts_at, ends_at, late_threshold_minutes,"
        " require_code, network_mode, one_device_per_student, persisted_at",
    ),
    (
        "attendance_attendancerecord",
        "is_deleted, deleted_reason, attendance_id, student_id, status, checked_in_at, fail_reason, source, flags",
    ),
]


# --- measuring -------------------------------------------------------------------


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


def server_versions() -> dict:
    from django.db import connection

    from attendance import live

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    return {"postgresql": postgresql, "redis": live.client().info("server")["redis_version"]}


def counts() -> tuple[int, int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM accounts_user), (SELECT count(*) FROM attendance_attendance),"
            " (SELECT count(*) FROM attendance_attendancerecord)"
        )
        return cursor.fetchone()


def sweep_in_child() -> tuple[dict, float, float]:
    """Run the sweep in a fresh interpreter; return its report, its peak RSS in MiB and its CPU seconds."""
    proc = subprocess.Popen([sys.executable, __file__, "--child"], cwd=ROOT, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the sweep child failed with exit code {proc.returncode}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    report["ru_maxrss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return report, report["vm_hwm_mb"], usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Return this process's peak RSS since its exec (VmHWM).

    Not ru_maxrss: Linux carries the parent's high-water mark into a child across
    fork and exec, so a child of this (large) parent would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child() -> None:
    setup_django()
    from attendance import sweep

    started = time.perf_counter()
    result = sweep.run(trigger="bench")
    seconds = time.perf_counter() - started
    report = {"processed": result.processed, "records": result.records, "failed": result.failed, "s": seconds}
    print(json.dumps({**report, "vm_hwm_mb": peak_rss_mb()}))


def time_copy(rows) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for (table, columns), table_rows in zip(COPIES, rows):
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in table_rows:
                    copy.write_row(row)
    return time.perf_counter() - started


def sweep_once(sessions: int, per_session: int, now: float, expected: tuple) -> dict:
    """Fill Redis, sweep it in a child process, check every row landed."""
    truncate()
    started = time.perf_counter()
    fill_redis(sessions, per_session, now)
    fill_s = time.perf_counter() - started
    report, rss, cpu = sweep_in_child()
    if (report["processed"], report["failed"]) != (sessions, 0) or counts() != expected:
        raise SystemExit(f"the sweep did not persist everything: {report}, rows {counts()} != {expected}")
    return {"fill_s": fill_s, "s": report["s"], "cpu_s": cpu, "rss": rss, "ru_maxrss_mb": report["ru_maxrss_mb"]}


def measure(records: int, per_session: int) -> dict:
    sessions = max(1, records // per_session)
    records = sessions * per_session
    teachers = min(sessions, 100)
    now = time.time()
    expected = (records + teachers, sessions, records)
    main = sweep_once(sessions, per_session, now, expected)
    rows = copy_rows(sessions, per_session, now)
    truncate()
    copy_s = time_copy(rows)
    if counts() != expected:
        raise SystemExit(f"COPY did not load everything: rows {counts()} != {expected}")
    row = {
        "records": records,
        "sessions": sessions,
        "writer": "bulk_create",
        "fill_s": round(main["fill_s"], 2),
        "sweep_s": round(main["s"], 2),
        "sweep_cpu_s": round(main["cpu_s"], 2),
        "copy_s": round(copy_s, 2),
        "ratio": round(main["s"] / copy_s, 2),
        "records_per_s": round(records / main["s"]),
        "peak_rss_mb": round(main["rss"], 1),
        "ru_maxrss_mb": round(main["ru_maxrss_mb"], 1),
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="records per run, comma-separated")
    parser.add_argument("--per-session", type=int, default=100, help="records per session (R)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("Set DATABASE_URL and REDIS_URL (run it through `make bench-sweep`).")
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    truncate()
    from attendance import live

    live.client().flushdb()
    _, baseline, _ = sweep_in_child()
    print(f"baseline: an empty sweep in a fresh process peaks at {baseline:.1f} MiB", flush=True)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure(size, args.per_session)
        results.append(row)
        print(
            f"{row['records']:>9,} records in {row['sessions']:>6,} sessions:"
            f" sweep {row['sweep_s']:7.2f} s"
            f" ({row['records_per_s']:,} records/s, {row['sweep_cpu_s']:.1f} s CPU,"
            f" peak RSS {row['peak_rss_mb']:.1f} MiB)"
            f"  COPY {row['copy_s']:6.2f} s  ratio {row['ratio']:.2f}",
            flush=True,
        )
    largest, smallest = results[-1], results[0]
    summary = {
        **largest,
        "per_session": args.per_session,
        "peak_rss_mb_smallest": smallest["peak_rss_mb"],
        "peak_rss_mb_by_size": {str(row["records"]): row["peak_rss_mb"] for row in results},
        "peak_rss_mb_baseline": round(baseline, 1),
        "sizes": results,
        "python": platform.python_version(),
        **server_versions(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
