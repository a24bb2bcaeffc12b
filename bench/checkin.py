"""Check-in benchmark: students check in at once, against the real stack, in four scenarios.

Run with `make bench-checkin` (BENCH_ARGS="--students 500 --concurrency 32").  It
expects DATABASE_URL and REDIS_URL (scripts/devstack.py exec sets them), starts
the app as `make run` does (migrate, demo data, gunicorn, django-q2 cluster) on
a free port, and runs each scenario with students of its own:

- checkin: N students (500) of one course, 32 at a time, type the session's code;
- lecture_hall: 2,000 students, one session, 64 at a time;
- campus_morning: 40 sessions of 50 students each at once, each student typing
  their own session's code (40 teachers, 40 courses), 64 at a time;
- campus_peak: a 09:00 peak of 1,000 open sessions of 30 students each, the
  students of 100 of them (3,000) checking in at once, 64 at a time: what a
  check-in costs must not grow with the sessions open elsewhere.

Each scenario logs its students in, starts its sessions and, after a warm-up,
fires the typed-code check-ins concurrently in three ways, each a round of its own
on the same sessions (emptied in between) between two rounds of the floor, the
whole repeated ``--repeats`` times (5; each round's ratio taken against the mean
of the two floor rounds on its sides, which cancels the machine's drift; the
median reported): the POST alone (answered by a redirect, as earlier rounds
measured: ``checkin_rps``, ``ratio``), the check-in as a student without
JavaScript waits for it (the POST and the result page: ``visible_*``) and as a
student with JavaScript waits for it (one htmx POST answered by the result:
``in_place_*``).  It counts the records in Redis; the floor is a minimal
authenticated view (/accounts/me/) asked by the same clients at the same concurrency (the
framework floor).  The last line printed is one JSON object: the checkin
scenario's figures under the top-level keys, and one object per other scenario
with the same keys (``*_ratios``: every round's ratio, for the spread).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")
PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reply(NamedTuple):
    status: int
    body: str
    ms: float
    location: str


class Http:
    """A tiny cookie-keeping client: one new connection per request (gunicorn sync workers close them)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, extra: dict | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": "127.0.0.1"}
        headers.update(extra or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            ms = (time.perf_counter() - started) * 1000
            return Reply(response.status, text, ms, response.getheader("Location", ""))
        finally:
            conn.close()

    def form(self, path: str, fields: dict[str, str], extra: dict | None = None) -> Reply:
        from urllib.parse import urlencode

        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        return self.request("POST", path, urlencode(fields), extra)


# The three ways a check-in is counted (each a round of its own, on the same sessions emptied in between):
# - post: the POST alone, answered by a redirect (without JavaScript), as earlier rounds measured;
# - visible: what the student waits for without JavaScript, the POST and the result page's GET;
# - in_place: what the student waits for with JavaScript, one htmx POST answered by the result itself.
WAYS = ("post", "visible", "in_place")
WARM_UP = 100  # check-ins of each answer before the rounds, not counted


def check_in_once(client: Http, code: str, way: str) -> tuple[bool, float]:
    """One student's typed-code check-in, the ``way`` the phone makes it; (answered as expected, ms)."""
    if way == "in_place":
        reply = client.form("/checkin/", {"code": code}, {"HX-Request": "true"})
        return reply.status == 200 and 'id="result-status"' in reply.body, reply.ms
    reply = client.form("/checkin/", {"code": code})
    ok = reply.status == 302 and reply.location.endswith("/result/")
    if way == "post" or not ok:
        return ok, reply.ms
    page = client.request("GET", reply.location)
    return page.status == 200 and 'id="result-status"' in page.body, reply.ms + page.ms


def empty_sessions(sessions) -> None:
    """Take every record (and device) out of the sessions, so that the next round checks the same students in."""
    from attendance import live

    for session in sessions:
        keys = live.session_keys(session.id)
        live.client().delete(keys.records, keys.devices)


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(prefix: str, sessions: int, per_session: int):
    """Create a teacher and a course per session, and their students (one password hash for all), in bulk."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from attendance.models import Course, Enrollment

    hashed = make_password(PASSWORD)
    teacher_numbers = [f"{prefix}T{s:04d}" for s in range(sessions)]
    codes = [f"{prefix}{s:04d}" for s in range(sessions)]
    numbers = [[f"{prefix}{s:04d}-{i:05d}" for i in range(per_session)] for s in range(sessions)]
    teachers = [
        User(school_number=n, full_name=f"Bench Teacher {n}", role="teacher", password=hashed) for n in teacher_numbers
    ]
    students = [User(school_number=n, full_name=f"Bench Student {n}", password=hashed) for ns in numbers for n in ns]
    User.objects.bulk_create(teachers + students, ignore_conflicts=True, batch_size=5000)
    Course.objects.bulk_create([Course(code=c, title=f"Bench course {c}") for c in codes], ignore_conflicts=True)
    users = dict(User.objects.filter(school_number__startswith=prefix).values_list("school_number", "id"))
    courses = Course.objects.in_bulk(codes, field_name="code")
    Course.teachers.through.objects.bulk_create(
        [Course.teachers.through(course_id=courses[c].pk, user_id=users[t]) for c, t in zip(codes, teacher_numbers)],
        ignore_conflicts=True,
    )
    Enrollment.objects.bulk_create(
        [Enrollment(course=courses[c], student_id=users[n]) for c, ns in zip(codes, numbers) for n in ns],
        ignore_conflicts=True,
        batch_size=5000,
    )
    by_number = User.objects.in_bulk(teacher_numbers, field_name="school_number")
    return [(by_number[t], courses[c], ns) for t, c, ns in zip(teacher_numbers, codes, numbers)]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/devstack.py"), "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if Http(port).request("GET", "/healthz").status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the server exited while starting")
        time.sleep(0.5)
    raise RuntimeError("the server did not answer /healthz within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def login(port: int, number: str, first_page: str | None = "/checkin/") -> Http:
    """A client logged in as ``number``, having opened ``first_page`` (the check-in page, as a phone does)."""
    client = Http(port)
    client.request("GET", "/accounts/login/")
    reply = client.form("/accounts/login/", {"username": number, "password": PASSWORD})
    if reply.status != 302:
        raise RuntimeError(f"login of {number} answered {reply.status}")
    if first_page:
        client.request("GET", first_page)
    return client


def fire(clients: list[Http], concurrency: int, one) -> tuple[float, list[float], int]:
    """Run one request per client concurrently; return (seconds, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def task(client):
        nonlocal errors
        ok, ms = one(client)
        with lock:
            latencies.append(ms)
            errors += 0 if ok else 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(task, clients))
    return time.perf_counter() - started, latencies, errors


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def start_sessions(groups):
    import logging

    from django.utils import timezone

    from attendance import live
    from attendance.teaching import service as live_sessions

    logging.getLogger("attendance.teaching.service").setLevel(logging.WARNING)  # a line per session: 1,000
    now = timezone.now()
    sessions = []
    for teacher, course, _ in groups:
        result = live_sessions.session_start(
            teacher=teacher,
            course=course,
            lesson_name="Benchmark",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            late_threshold_minutes=10,
            require_code=True,
            network_mode="same",
            teacher_ip="127.0.0.1",
        )
        sessions.append(result.session or live.get_session(result.other_open_id))
    return sessions


class Plan(NamedTuple):
    sessions: int  # open at once
    per_session: int  # students of each
    concurrency: int
    firing: int | None = None  # the sessions whose students check in (None: all)


PREFIXES = {"checkin": "BC", "lecture_hall": "BL", "campus_morning": "BM", "campus_peak": "BP"}


def scenario(port: int, name: str, plan: Plan, floor_rounds: int, repeats: int) -> dict:
    """Log the scenario's students in, start its sessions, fire the check-ins, then the floor."""
    from attendance import live
    from attendance.checkin import proofs as verification
    from attendance.teaching import service as live_sessions

    sessions, concurrency = plan.sessions, plan.concurrency
    started = time.perf_counter()
    groups = prepare(PREFIXES[name], sessions, plan.per_session)
    print(f"{name}: {sessions} sessions of {plan.per_session} prepared in {time.perf_counter() - started:.1f} s")
    # Every plan.sessions // firing-th session's students check in, the others' sessions are open beside them.
    firing = range(0, sessions, sessions // plan.firing) if plan.firing else range(sessions)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        clients = [(s, client) for s in firing for client in pool.map(lambda n: login(port, n), groups[s][2])]
    print(f"{name}: logged in {len(clients)} students in {time.perf_counter() - started:.1f} s", flush=True)
    live_sessions_started = start_sessions(groups)
    # Interleaved, so that every session's students arrive at once, not one class after another.
    clients.sort(key=lambda pair: (hash(pair[1]) % 7919, pair[0]))

    # A warm-up first (not counted): each web worker's first check-in reads the open sessions, loads the
    # scripts and templates.  Then ``repeats`` rounds of every way, each between two rounds of the floor.
    empty_sessions(live_sessions_started)

    @functools.lru_cache(maxsize=4096)
    def code_on_screen(s: int, step: int) -> str:
        """The code the session's projector shows (a student reads it, the load client need not work it out
        per request: that would be the client's cost counted against the check-in)."""
        return verification.code_for(live_sessions_started[s].secret, step)

    def check_in(pair, way):
        s, client = pair
        return check_in_once(client, code_on_screen(s, verification.current_step(time.time())), way)

    fire(clients[:WARM_UP], concurrency, lambda pair: check_in(pair, "in_place"))
    fire(clients[WARM_UP : 2 * WARM_UP], concurrency, lambda pair: check_in(pair, "post"))

    def floor(pair):
        reply = pair[1].request("GET", "/accounts/me/")
        return reply.status == 200, reply.ms

    def floor_round() -> tuple[float, list[float], int]:
        seconds, latencies, errors = fire(clients * floor_rounds, concurrency, floor)
        print(f"{name}: floor {len(latencies)} in {seconds:.2f} s, {len(latencies) / seconds:.0f}/s", flush=True)
        return len(latencies) / seconds, latencies, errors

    # Each way's round sits between two floor rounds and is taken against their mean: the machine's pace
    # drifts over seconds (two cores shared by the client, the workers, Redis and PostgreSQL), and a floor
    # on both sides cancels a drift rather than measuring it.
    rounds: dict[str, list] = {way: [] for way in (*WAYS, "floor")}
    beside: dict[str, list[float]] = {way: [] for way in WAYS}
    rounds["floor"].append(floor_round())
    for _ in range(repeats):
        for way in WAYS:
            empty_sessions(live_sessions_started)
            seconds, latencies, errors = fire(clients, concurrency, lambda pair, way=way: check_in(pair, way))
            records = sum(live.count_records(session.id) for session in live_sessions_started)
            rounds[way].append((len(clients) / seconds, latencies, errors + (len(clients) - records)))
            print(f"{name} {way}: {len(clients)} in {seconds:.2f} s, {len(clients) / seconds:.0f}/s, {errors} errors")
            before = rounds["floor"][-1][0]
            rounds["floor"].append(floor_round())
            beside[way].append((before + rounds["floor"][-1][0]) / 2)
    records = sum(live.count_records(session.id) for session in live_sessions_started)
    for session in live_sessions_started:
        live_sessions.session_finish(session=session)

    def summary(way: str, prefix: str) -> dict:
        """A way's median rate, its latencies, its errors and (a check-in way) its ratios to the floor beside it."""
        rates = [rps for rps, _, _ in rounds[way]]
        latencies = [ms for _, lat, _ in rounds[way] for ms in lat]
        figures = {
            f"{prefix}rps": round(statistics.median(rates), 1),
            f"{prefix}p50_ms": round(statistics.median(latencies), 1),
            f"{prefix}p99_ms": round(percentile(latencies, 99), 1),
            f"{prefix}errors": sum(errors for _, _, errors in rounds[way]),
        }
        if way in beside:
            ratios = [rps / floor_rps for rps, floor_rps in zip(rates, beside[way])]
            figures[f"{prefix}ratios"] = [round(r, 3) for r in ratios]
            figures[f"{prefix}ratio"] = round(statistics.median(ratios), 3)
        return figures

    post, floor_figures = summary("post", "checkin_"), summary("floor", "floor_")
    figures = {
        "students": len(clients),
        "sessions": sessions,
        "sessions_checking_in": len(firing),
        "records": records,
        "errors": post.pop("checkin_errors"),
        "ratio": post.pop("checkin_ratio"),
        "ratios": post.pop("checkin_ratios"),
        **post,
        **floor_figures,
        "concurrency": concurrency,
        "repeats": repeats,
    }
    for way in WAYS[1:]:  # the student-visible check-in: its rate against the floor, its latency, its errors
        figures.update(summary(way, f"{way}_"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500, help="checkin scenario: students")
    parser.add_argument("--concurrency", type=int, default=32, help="checkin scenario: requests at a time")
    parser.add_argument("--hall-students", type=int, default=2000)
    parser.add_argument("--hall-concurrency", type=int, default=64)
    parser.add_argument("--campus-sessions", type=int, default=40)
    parser.add_argument("--campus-students", type=int, default=50, help="campus_morning: students per session")
    parser.add_argument("--campus-concurrency", type=int, default=64)
    parser.add_argument("--peak-sessions", type=int, default=1000, help="campus_peak: sessions open")
    parser.add_argument("--peak-students", type=int, default=30, help="campus_peak: students per session")
    parser.add_argument("--peak-firing", type=int, default=100, help="campus_peak: sessions whose students check in")
    parser.add_argument("--peak-concurrency", type=int, default=64)
    parser.add_argument("--floor-rounds", type=int, default=1, help="floor requests per student in a floor round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of every way, each between two floor rounds")
    parser.add_argument("--scenarios", default="checkin,lecture_hall,campus_morning,campus_peak")
    args = parser.parse_args()
    plans = {
        "checkin": Plan(1, args.students, args.concurrency),
        "lecture_hall": Plan(1, args.hall_students, args.hall_concurrency),
        "campus_morning": Plan(args.campus_sessions, args.campus_students, args.campus_concurrency),
        "campus_peak": Plan(args.peak_sessions, args.peak_students, args.peak_concurrency, args.peak_firing),
    }
    chosen = args.scenarios.split(",")
    setup_django()
    port = free_port()
    print(f"starting the app on 127.0.0.1:{port} …", flush=True)
    server = start_server(port)
    try:
        results = {name: scenario(port, name, plans[name], args.floor_rounds, args.repeats) for name in chosen}
    finally:
        stop_server(server)
    first = results[chosen[0]]
    summary = {
        **first,
        **{name: result for name, result in results.items() if name != chosen[0]},
        "web_workers": int(os.environ.get("WEB_WORKERS", "3")),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
