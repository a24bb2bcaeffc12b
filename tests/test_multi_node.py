"""Several machines' worth of ATTN on this one: three web nodes and two django-q2 clusters sharing one
PostgreSQL and one Redis (`make run` with WEB_NODES=3 WORKER_NODES=2). A teacher's double click lands on
two nodes, a class checks in through all three (each student twice, on two nodes at once), the session
is finished on a third: one live session, each record once, the session swept once."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
NODES, WORKERS = 3, 2
TEACHER, COURSE_CODE = "T002", "MA110"  # seed_demo: MA110 is taken by S0001, S0003, …
STUDENTS = [f"S{n:04d}" for n in range(1, 80, 2)][:30]


def free_ports(count: int) -> int:
    """A first port of `count` free consecutive ones on loopback."""
    for _attempt in range(50):
        base = random.randint(20000, 40000)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free ports")


@pytest.fixture(scope="module", params=["single", "cluster"])
def nodes(request, tmp_path_factory):
    # `make test` runs inside the dev stack: the nodes share its PostgreSQL (its main database, not the
    # tests' own) and its Redis, as machines share a campus's servers; with "cluster" the live state is on
    # a Redis Cluster of three primaries that the stack starts itself (LIVE_REDIS_CLUSTER=3).
    assert os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"), "run through `make test`"
    base = free_ports(NODES)
    data = tmp_path_factory.mktemp("stack")
    cluster = {"LIVE_REDIS_CLUSTER": "3"} if request.param == "cluster" else {}
    env = {
        **{k: v for k, v in os.environ.items() if k != "LIVE_REDIS_CLUSTER_NODES"},
        **cluster,
        "PORT": str(base),
        "WEB_NODES": str(NODES),
        "WORKER_NODES": str(WORKERS),
        "WEB_WORKERS": "2",
        "CODE_STEP_SECONDS": "30",
    }
    log = tmp_path_factory.mktemp("nodes") / "stack.log"
    with log.open("w") as out:
        stack = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "devstack.py"), "--data", str(data), "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    urls = [f"http://127.0.0.1:{base + n}" for n in range(NODES)]
    try:
        deadline = time.monotonic() + 120
        for url in urls:
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if stack.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the nodes did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield urls
        if cluster:  # the class's check-ins ran their scripts on the cluster's primaries
            ports = (data / "cluster" / "ports").read_text().split()
            stats = [redis.Redis(port=int(port)).info("commandstats") for port in ports]
            assert sum(stat.get("cmdstat_evalsha", {}).get("calls", 0) for stat in stats) >= len(STUDENTS)
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
    # Ctrl-C stopped everything it started, the cluster's servers included (they name themselves by port).
    ports = (data / "cluster" / "ports").read_text().split() if cluster else []
    left = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
    assert not [line for line in left if any(f"127.0.0.1:{port} " in line for port in ports)], left


def logged_in(url: str, number: str, password: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{url}/accounts/login/", timeout=10)
    response = browser.post(
        f"{url}/accounts/login/",
        data={"username": number, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def post(browser: requests.Session, url: str, data: dict) -> requests.Response:
    return browser.post(
        url, data={**data, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}, allow_redirects=False, timeout=20
    )


def database():
    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


def test_a_class_across_three_web_nodes_and_two_workers(nodes):
    with database() as db:
        course_id = db.execute("SELECT id FROM attendance_course WHERE code = %s", [COURSE_CODE]).fetchone()[0]
        started = db.execute("SELECT now()").fetchone()[0]
    teacher = logged_in(nodes[0], TEACHER, "teacher-demo")

    # The double click: one form, posted to two nodes at the same moment.
    form = {
        "course": course_id,
        "duration_minutes": 60,
        "network_mode": "off",
        "location_radius_m": 100,
        "require_code": "on",
        "one_device_per_student": "on",
    }
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda url: post(teacher, f"{url}/teach/", form), nodes[:2]))
    sids = {re.search(r"/teach/live/([0-9a-f-]{36})/", a.headers["Location"]).group(1) for a in answers}
    assert len(sids) == 1, [a.headers.get("Location") for a in answers]
    (sid,) = sids

    projector = teacher.get(f"{nodes[2]}/teach/live/{sid}/projector/code/", timeout=10).text
    code = re.search(r'data-code="(\d{6})"', projector).group(1)

    # Each student logs in on one node and sends the code twice, to two nodes at once.
    def check_in(index: int) -> list[int]:
        number = STUDENTS[index]
        home = nodes[index % NODES]
        student = logged_in(home, number, "student-demo")
        student.get(f"{home}/checkin/", timeout=10)  # the device cookie
        targets = [nodes[index % NODES], nodes[(index + 1) % NODES]]
        with ThreadPoolExecutor(2) as pair:
            sent = list(pair.map(lambda url: post(student, f"{url}/checkin/", {"code": code}), targets))
        return [r.status_code for r in sent]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(check_in, range(len(STUDENTS))))
    assert all(status in (200, 302) for pair in statuses for status in pair), statuses

    assert post(teacher, f"{nodes[2]}/teach/live/{sid}/finish/", {}).status_code == 302
    with database() as db:
        deadline = time.monotonic() + 90
        while not db.execute("SELECT 1 FROM attendance_attendance WHERE id = %s", [sid]).fetchone():
            assert time.monotonic() < deadline, "the session was not swept"
            time.sleep(0.5)
        time.sleep(3)  # both clusters' next runs, which must find nothing more to do
        rows = db.execute(
            """SELECT u.school_number, r.status, count(*) FROM attendance_attendancerecord r
               JOIN accounts_user u ON u.id = r.student_id WHERE r.attendance_id = %s
               GROUP BY u.school_number, r.status""",
            [sid],
        ).fetchall()
        enrolled = db.execute(
            "SELECT count(*) FROM attendance_enrollment WHERE course_id = %s", [course_id]
        ).fetchone()[0]
        swept = db.execute(
            "SELECT coalesce(sum(sessions_processed), 0) FROM attendance_sweeprun WHERE started_at >= %s", [started]
        ).fetchone()[0]
        live = db.execute(
            "SELECT count(*) FROM attendance_attendance WHERE teacher_id = "
            "(SELECT id FROM accounts_user WHERE school_number = %s) AND persisted_at >= %s",
            [TEACHER, started],
        ).fetchone()[0]
    assert all(count == 1 for _, _, count in rows), rows  # each student once
    present = {number for number, status, _ in rows if status in ("present", "late")}
    assert present == set(STUDENTS)
    assert len(rows) == enrolled  # the others saved absent
    assert swept == 1  # one sweep saved it, whichever cluster ran it
    assert live == 1  # the double click opened one session
