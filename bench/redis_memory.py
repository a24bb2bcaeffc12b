"""Redis memory per live student: what a campus morning of live sessions costs in Redis.

Run with `make bench-redis` (BENCH_ARGS="--sessions 40 --students 50"). Opens ``--sessions`` sessions
through the service (each with its roster snapshot of ``--students`` enrolled students), then checks
every student in through the check-in script (a record, the device, the code index), and reads Redis's
``used_memory`` before, after the sessions and after the check-ins. The last line printed is one JSON
object: bytes per live session and per checked-in student, for docs/DEPLOYMENT.md's capacity table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--students", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from types import SimpleNamespace

    from django.utils import timezone

    from attendance import live
    from attendance.checkin.service import new_record

    redis = live.client()
    redis.flushdb()
    used = lambda: redis.info("memory")["used_memory"]  # noqa: E731
    before = used()
    now = timezone.now()
    sessions = []
    for n in range(args.sessions):
        teacher = SimpleNamespace(school_number=f"T{n:05d}", full_name=f"Teacher {n}")
        session = live.LiveSession(
            id=live.new_session_id(teacher.school_number),
            lesson_name=f"Lesson {n} — a realistic title of some length",
            teacher_number=teacher.school_number,
            teacher_name=teacher.full_name,
            starts_at=(now - timedelta(minutes=5)).timestamp(),
            ends_at=(now + timedelta(minutes=85)).timestamp(),
            late_threshold_minutes=10,
            secret="0" * 32,
            course_id=n + 1,
            course_code=f"C{n:03d}",
            course_title="A course title",
        )
        enrolled = {f"S{n:03d}{s:04d}": f"Student Name {s} Surname" for s in range(args.students)}
        assert live.create_session(session, enrolled) is None
        sessions.append((session, enrolled))
    after_sessions = used()
    started = time.perf_counter()
    for session, enrolled in sessions:
        for number, name in enrolled.items():
            student = SimpleNamespace(school_number=number, full_name=name)
            record = new_record(student, status="present", source="code", now=time.time())
            outcome, _stored = live.check_in(session, record, f"device-{number}", time.time())
            assert outcome == "ok", outcome
    seconds = time.perf_counter() - started
    after_check_ins = used()
    students = args.sessions * args.students
    result = {
        "sessions": args.sessions,
        "students": students,
        "bytes_per_session_with_roster": round((after_sessions - before) / args.sessions),
        "bytes_per_enrolled_student": round((after_sessions - before) / students),
        "bytes_per_check_in": round((after_check_ins - after_sessions) / students),
        "bytes_per_live_student": round((after_check_ins - before) / students),
        "check_in_script_per_s": round(students / seconds),
        "used_memory_mb": round(after_check_ins / 2**20, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(
        f"{args.sessions} sessions × {args.students}: {result['bytes_per_live_student']} bytes per live student "
        f"({result['bytes_per_enrolled_student']} roster + {result['bytes_per_check_in']} check-in)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
