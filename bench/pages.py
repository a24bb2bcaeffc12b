"""Pages benchmark: the pages people open every day, on five years of history.

Run with `make bench-pages` (BENCH_ARGS="--scale 0.1" for a tenth of the data).  It
expects DATABASE_URL and REDIS_URL (scripts/devstack.py exec sets them) and owns the
database: it truncates the tables it fills.

The fill, with COPY (its time is printed): at scale 1, 40,000 students, 300 teachers,
1,500 courses of 35 students with 200 sessions each over five years (300,000 sessions,
10.5 million records), and one large course of 500 students with 60 sessions (its
report is 500 × 60).  Then the app starts as `make run` starts it, and the same kind
of client as bench-checkin (one new connection per request, CONCURRENCY at a time)
asks each page REQUESTS times: a teacher's history (first page, and filtered by course
and dates), a session's page, the large course's report and its CSV and XLSX exports,
a student's "my attendance", and the admin changelists of users and of records with a
search.  The floor is /accounts/me/ in the same run.  The last line printed is one
JSON object; each page's p95 over the floor's p95 is under ``<page>_ratio``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkin import (  # noqa: E402
    PASSWORD,
    Http,
    fire,
    free_port,
    login,
    percentile,
    setup_django,
    start_server,
    stop_server,
)

STATUSES = ["present"] * 15 + ["late"] * 3 + ["absent"] * 3 + ["excused"]
YEARS = 5


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE attendance_recordchange, attendance_attendancerecord, attendance_attendance,"
            " attendance_enrollment, attendance_course_teachers, attendance_course, accounts_user"
            " RESTART IDENTITY CASCADE"
        )


def copy(cursor, table: str, columns: str, rows) -> int:
    count = 0
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


def fill(scale: float) -> dict:
    """Fill five years of history with COPY; return the sizes and the ids the pages need."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.collation import name_key

    rng = random.Random(2026)
    students, teachers, courses = int(40_000 * scale), max(10, int(300 * scale)), max(10, int(1_500 * scale))
    per_course, sessions_per_course = 35, 200
    hashed = make_password(PASSWORD)
    now = datetime.now(UTC).replace(microsecond=0)
    first_day = now - timedelta(days=365 * YEARS)
    sizes = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Users: ids 1..teachers are teachers, then the admin, then the students.
        def users():
            for t in range(teachers):
                name = f"Teacher {t}"
                yield (hashed, False, f"T{t:05d}", name, name_key(name), "", "teacher", True, False, first_day)
            yield (hashed, True, "ADMIN", "Bench Admin", name_key("Bench Admin"), "", "admin", True, True, first_day)
            for s in range(students):
                name = f"Student {s} {rng.choice('ABCÇDEFGĞHIİOÖSŞUÜZ')}"
                yield (hashed, False, f"S{s:06d}", name, name_key(name), "", "student", True, False, first_day)

        sizes["users"] = copy(
            cursor,
            "accounts_user",
            "password, is_superuser, school_number, full_name, name_key, email, role, is_active, is_staff, date_joined",
            users(),
        )
        first_student = teachers + 2
        # Courses: the last one is the large course of 500 students.
        course_rows = [(f"C{c:05d}", f"Course {c}", [], 10, "to_date", None, True) for c in range(courses + 1)]
        sizes["courses"] = copy(
            cursor,
            "attendance_course",
            "code, title, allowed_networks, late_threshold_minutes, rate_policy, planned_sessions,"
            " excused_counts_as_present",
            course_rows,
        )
        large = courses + 1  # its id
        teacher_of = {c + 1: 1 + c % teachers for c in range(courses)}
        teacher_of[large] = 1  # teacher T00000 also teaches the large course
        copy(cursor, "attendance_course_teachers", "course_id, user_id", teacher_of.items())
        rosters = {c: rng.sample(range(first_student, first_student + students), per_course) for c in teacher_of}
        rosters[large] = rng.sample(range(first_student, first_student + students), min(500, students))
        sizes["enrollments"] = copy(
            cursor,
            "attendance_enrollment",
            "course_id, student_id, enrolled_at",
            ((c, s, first_day) for c, roster in rosters.items() for s in roster),
        )
        plan = dict.fromkeys(teacher_of, sessions_per_course)
        plan[large] = 60
        sessions = []

        def attendances():
            for c, count in plan.items():
                span = (now - first_day).total_seconds() if c != large else 120 * 86400
                begin = first_day if c != large else now - timedelta(days=120)
                for n in range(count):
                    starts = begin + timedelta(seconds=span * n / count)
                    sid = f"{c:08x}-{n:04x}-4000-8000-{rng.getrandbits(48):012x}"
                    sessions.append((sid, c))
                    yield (
                        sid,
                        False,
                        "",
                        c,
                        f"Lesson {n + 1}",
                        teacher_of[c],
                        starts,
                        starts + timedelta(minutes=90),
                        10,
                        True,
                        "off",
                        True,
                        starts + timedelta(minutes=91),
                    )

        sizes["sessions"] = copy(
            cursor,
            "attendance_attendance",
            "id, is_deleted, deleted_reason, course_id, lesson_name, teacher_id, starts_at, ends_at,"
            " late_threshold_minutes, require_code, network_mode, one_device_per_student, persisted_at",
            attendances(),
        )

        def records():
            for sid, c in sessions:
                for s in rosters[c]:
                    status = STATUSES[rng.randrange(len(STATUSES))]
                    yield (False, "", sid, s, status, None, "", "code" if status != "absent" else "sweep", [])

        sizes["records"] = copy(
            cursor,
            "attendance_attendancerecord",
            "is_deleted, deleted_reason, attendance_id, student_id, status, checked_in_at, fail_reason, source, flags",
            records(),
        )
    fill_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    large_sessions = [sid for sid, c in sessions if c == large]
    return {
        "sizes": sizes,
        "fill_s": round(fill_s, 1),
        "analyze_s": round(time.perf_counter() - started, 1),
        "large_course": large,
        "large_session": large_sessions[-1],
        "student": f"S{rosters[large][0] - first_student:06d}",
        "search_student": f"S{rosters[large][1] - first_student:06d}",
    }


def measure(clients: list[Http], path: str, requests: int, concurrency: int) -> dict:
    def one(client):
        reply = client.request("GET", path)
        return reply.status == 200, reply.ms

    seconds, latencies, errors = fire([clients[n % len(clients)] for n in range(requests)], concurrency, one)
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "errors": errors,
        "rps": round(requests / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1: 40,000 students, 10.5M records")
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="reuse the data of an earlier run of the same scale")
    args = parser.parse_args()
    setup_django()
    facts_file = ROOT / ".data" / f"bench-pages-{args.scale}.json"
    if args.keep and facts_file.exists():
        facts = json.loads(facts_file.read_text())
    else:
        truncate()
        facts = fill(args.scale)
        facts_file.write_text(json.dumps(facts))
    print(f"data: {facts['sizes']}, COPY {facts['fill_s']} s, VACUUM ANALYZE {facts['analyze_s']} s", flush=True)
    course, sid = facts["large_course"], facts["large_session"]
    since = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    until = (datetime.now(UTC) - timedelta(days=300)).date().isoformat()
    pages = {
        "floor": ("teacher", "/accounts/me/"),
        "history": ("teacher", "/teach/sessions/"),
        "history_filtered": ("teacher", "/teach/sessions/?" + urlencode({"course": 2, "from": since, "to": until})),
        "session": ("teacher", f"/teach/sessions/{sid}/"),
        "course_report": ("teacher", f"/teach/courses/{course}/"),
        "course_csv": ("teacher", f"/teach/courses/{course}/export/?format=csv"),
        "course_xlsx": ("teacher", f"/teach/courses/{course}/export/?format=xlsx"),
        "my_attendance": ("student", "/me/"),
        "admin_users_search": ("admin", "/admin/accounts/user/?" + urlencode({"q": facts["search_student"]})),
        "admin_records_search": (
            "admin",
            "/admin/attendance/attendancerecord/?" + urlencode({"q": facts["search_student"]}),
        ),
    }
    port = free_port()
    print(f"starting the app on 127.0.0.1:{port} …", flush=True)
    server = start_server(port)
    try:
        who = {"teacher": "T00000", "student": facts["student"], "admin": "ADMIN"}
        clients = {
            role: [login(port, number, first_page=None) for _ in range(args.concurrency)]
            for role, number in who.items()
        }
        for role, path in pages.values():  # one warm-up request each: the workers' first import of the page
            clients[role][0].request("GET", path)
        results = {}
        for name, (role, path) in pages.items():
            results[name] = measure(clients[role], path, args.requests, args.concurrency)
            row = results[name]
            print(
                f"{name:>22}: p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  errors {row['errors']}",
                flush=True,
            )
    finally:
        stop_server(server)
    floor = results["floor"]["p95_ms"]
    summary = {
        **{f"{name}_ratio": round(row["p95_ms"] / floor, 2) for name, row in results.items() if name != "floor"},
        "floor_p95_ms": floor,
        "errors": sum(row["errors"] for row in results.values()),
        "pages": results,
        "data": facts["sizes"],
        "fill_s": facts["fill_s"],
        "scale": args.scale,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
