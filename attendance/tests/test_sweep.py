"""The unified sweep: finished sessions move from Redis to PostgreSQL, once, in order, safely."""

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import User
from attendance import live, sweep, tasks
from attendance.apps import SWEEP_SCHEDULE_NAME
from attendance.models import Attendance, AttendanceRecord, Source, Status, SweepRun
from attendance.services import live_sessions, persist
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import check_in_as, put_record
from .sweep_helpers import (
    corrupt_meta,
    corrupt_record,
    due_session,
    failures,
    is_live,
    live_record,
    raw_session,
    restore_session,
    snapshot,
)

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")

ROOT = Path(__file__).resolve().parents[2]


def start_live(teacher, course, *, minutes_left: float = 60) -> live.LiveSession:
    now = timezone.now()
    return live_sessions.session_start(
        teacher=teacher,
        course=course,
        lesson_name="Loops",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=minutes_left),
        late_threshold_minutes=10,
        require_code=False,
        network_mode="off",
        teacher_ip="10.0.0.1",
    ).session


def check_in(session, student) -> dict:
    return check_in_as(session, student, source=Source.TAP, ip="10.0.0.2").record


def record_of(sid, number: str) -> AttendanceRecord:
    return AttendanceRecord.objects.select_related("student").get(attendance_id=sid, student__school_number=number)


# --- the old race: records before their users --------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_creates_a_student_known_only_to_the_live_record(teacher, course):
    session = start_live(teacher, course)
    put_record(session=session, school_number="S7777", full_name="Nina Newcomer", status=Status.PRESENT)
    live_sessions.session_finish(session=session)
    assert not User.objects.filter(school_number="S7777").exists()

    result = sweep.run()

    assert (result.processed, result.failed, result.errors) == (1, 0, [])
    newcomer = User.objects.get(school_number="S7777")
    assert (newcomer.full_name, newcomer.role, newcomer.has_usable_password()) == ("Nina Newcomer", "student", False)
    assert record_of(session.id, "S7777").status == Status.PRESENT
    assert not is_live(session.id)


@pytest.mark.django_db(transaction=True)
def test_it_creates_the_teacher_too_if_missing():
    session = due_session(teacher_number="T8888", teacher_name="Nora Newteacher", records=[live_record("S8001")])

    result = sweep.run()

    assert (result.processed, result.failed) == (1, 0)
    attendance = Attendance.objects.select_related("teacher").get(pk=session.id)
    assert (attendance.teacher.school_number, attendance.teacher.full_name) == ("T8888", "Nora Newteacher")
    assert attendance.teacher.role == User.Role.TEACHER
    assert User.objects.get(school_number="S8001").role == User.Role.STUDENT


@pytest.mark.django_db(transaction=True)
def test_it_keeps_existing_users_as_they_are():
    known = UserFactory(school_number="S8100", full_name="Known Name")
    due_session(records=[live_record("S8100", "Name Typed By The Teacher")])

    sweep.run()

    known.refresh_from_db()
    assert known.full_name == "Known Name"
    assert known.has_usable_password()


# --- idempotence and crashes ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_same_rows_when_a_payload_is_swept_twice(teacher, course):
    EnrollmentFactory(course=course, student=UserFactory(school_number="S2002"))
    session = due_session(
        course=course,
        teacher_number=teacher.school_number,
        records=[
            live_record("S1001", status=Status.LATE),
            live_record("S2001", status=Status.PENDING),
            live_record("S2003", status=Status.REJECTED, reason="Wrong network."),
        ],
    )
    saved = raw_session(session.id)

    first = sweep.run()
    rows = snapshot()
    restore_session(session.id, *saved)
    second = sweep.run()

    assert (first.processed, first.records, first.failed) == (1, 4, 0)
    assert (second.processed, second.records, second.failed) == (1, 0, 0)
    assert snapshot() == rows
    assert len(rows["records"]) == 4
    assert not is_live(session.id)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_keys_when_cleanup_crashes_after_the_commit(monkeypatch):
    session = due_session(records=[live_record("S3001"), live_record("S3002", status=Status.EXCUSED)])
    real_delete = live.delete_session
    crashes = []

    def delete_crashing_once(sid):
        if not crashes:
            crashes.append(sid)
            raise ConnectionError("Redis went away after the commit")
        real_delete(sid)

    monkeypatch.setattr(live, "delete_session", delete_crashing_once)

    first = sweep.run()

    assert crashes == [session.id]
    assert (first.processed, first.failed) == (0, 1)
    assert is_live(session.id)
    assert failures(session.id) == 1
    rows = snapshot()
    assert len(rows["sessions"]) == 1 and len(rows["records"]) == 2

    second = sweep.run()

    assert (second.processed, second.records, second.failed) == (1, 0, 0)
    assert snapshot() == rows
    assert not is_live(session.id)
    assert not any(live.client().exists(key) for key in live.session_keys(session.id).all)


@pytest.mark.django_db(transaction=True)
def test_a_session_the_database_refuses_leaves_nothing_behind():
    refused = due_session(
        teacher_number="T3100", records=[live_record("S3101"), live_record("S3102", source="carrier pigeon")]
    )
    fine = due_session(records=[live_record("S3103")])

    result = sweep.run()

    assert (result.processed, result.failed) == (1, 1)
    assert "IntegrityError" in result.errors[0] and result.errors[0].startswith(refused.id)
    assert list(Attendance.objects.values_list("id", flat=True)) == [uuid.UUID(fine.id)]
    assert not User.objects.filter(school_number__in=["T3100", "S3101", "S3102"]).exists()
    assert is_live(refused.id) and failures(refused.id) == 1


# --- PostgreSQL down ------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def postgres_down():
    """Point the connection at a port nobody listens on; call the fixture's value to bring it back."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}

    def recover():
        connection.settings_dict.update(saved)
        connection.close()

    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    connection.close()
    try:
        yield recover
    finally:
        recover()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_everything_in_redis_while_postgresql_is_unreachable(settings, postgres_down):
    settings.SWEEP_MAX_FAILURES = 2
    sessions = [due_session(records=[live_record(f"S40{i}{j}") for j in range(3)]) for i in range(3)]

    down_runs = [sweep.run() for _ in range(settings.SWEEP_MAX_FAILURES + 1)]

    for result in down_runs:
        assert result.processed == 0 and result.failed >= 1
        assert any("OperationalError" in error for error in result.errors)
    assert all(is_live(s.id) and failures(s.id) == 0 for s in sessions)
    assert live.dead_letters() == {}
    assert any("failed" in m.subject for m in mail.outbox)

    postgres_down()
    recovered = sweep.run()

    assert (recovered.processed, recovered.records, recovered.failed) == (3, 9, 0)
    assert Attendance.objects.count() == 3 and AttendanceRecord.objects.count() == 9
    assert not any(is_live(s.id) for s in sessions)
    assert list(SweepRun.objects.values_list("sessions_processed", flat=True)) == [3]


# --- a corrupted session among good ones ---------------------------------------


@pytest.mark.parametrize("corrupt", ["meta", "record"])
@pytest.mark.django_db(transaction=True)
def test_it_sets_one_corrupted_session_aside_and_persists_the_rest(settings, corrupt):
    settings.SWEEP_MAX_FAILURES = 3
    sessions = [due_session(records=[live_record(f"S5{i}01"), live_record(f"S5{i}02")]) for i in range(10)]
    bad = sessions[4]
    if corrupt == "meta":
        corrupt_meta(bad.id)
    else:
        corrupt_record(bad.id, "S5999")
    kept_meta, kept_records = raw_session(bad.id)

    first = sweep.run()

    assert (first.processed, first.records, first.failed) == (9, 18, 1)
    assert len(first.errors) == 1 and first.errors[0].startswith(bad.id)
    assert set(Attendance.objects.values_list("id", flat=True)) == {uuid.UUID(s.id) for s in sessions if s is not bad}
    assert is_live(bad.id) and failures(bad.id) == 1
    assert not any(is_live(s.id) for s in sessions if s is not bad)
    assert not any("dead letters" in m.subject for m in mail.outbox)

    for _ in range(settings.SWEEP_MAX_FAILURES - 1):
        again = sweep.run()
        assert (again.processed, again.failed) == (0, 1)

    dead = live.dead_letters()
    assert list(dead) == [bad.id]
    assert dead[bad.id]["records"] == {k.decode(): v.decode() for k, v in kept_records.items()}
    if corrupt == "meta":  # unreadable: kept exactly as it was, for a person to look at
        assert dead[bad.id]["meta"]["data"] == kept_meta[b"data"].decode()
    else:  # the requeue needs neither the code secret nor where the teacher was: they are not kept
        kept, original = json.loads(dead[bad.id]["meta"]["data"]), json.loads(kept_meta[b"data"])
        dropped = ("secret", "teacher_ip", "latitude", "longitude")
        assert kept == {k: v for k, v in original.items() if k not in dropped}
    assert live.client().ttl(live.dead_key()) == -1
    assert not is_live(bad.id) and not any(live.client().exists(key) for key in live.session_keys(bad.id).all)
    assert [m for m in mail.outbox if "dead letters" in m.subject and bad.id in m.body]
    assert not Attendance.objects.filter(pk=bad.id).exists()
    assert sweep.run().failed == 0


# --- concurrent sweepers ---------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{auth}@{host}/{quote(db['NAME'], safe='')}"


@contextmanager
def users_locked():
    """Hold back every insert into the users table until the block ends (another connection's lock)."""
    db = connection.settings_dict
    params = dict(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"])
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as gate:
        gate.execute(f"LOCK TABLE {User._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        yield gate
        gate.rollback()


def wait_for_lock_waiters(gate, count: int) -> None:
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass"
    for _ in range(600):
        if gate.execute(query, [User._meta.db_table]).fetchone()[0] >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} sweepers never reached their first insert")


@pytest.mark.django_db(transaction=True)
def test_four_sweeper_processes_persist_every_session_exactly_once():
    # Each run of four sessions shares twenty new students, and extra students of
    # their own give the sessions Redis hashes of different sizes, which hand the
    # shared ones over in different orders: concurrent sweepers' user upserts
    # collide on rows nobody has committed yet.
    extra = [0, 20, 50, 110]
    sids = []
    for i in range(200):
        shared = [live_record(f"S6{i // 4:03d}{n:02d}") for n in range(20)]
        own = [live_record(f"S7{i:03d}{n:03d}") for n in range(extra[i % 4])]
        sids.append(due_session(teacher_number="T6000", records=shared + own).id)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "attn_site.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "LIVE_REDIS_URL": settings.LIVE_REDIS_URL,
        "LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
    }
    command = [sys.executable, str(ROOT / "manage.py"), "sweep"]
    with users_locked() as gate:  # so that the four start their work together
        procs = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        wait_for_lock_waiters(gate, 4)
    outputs = [proc.communicate(timeout=600) for proc in procs]

    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
        assert b"0 failed" in out
    runs = SweepRun.objects.filter(trigger="command")
    assert runs.count() == 4
    assert sum(r.sessions_processed for r in runs) == 200
    assert sum(r.sessions_failed for r in runs) == 0
    assert set(Attendance.objects.values_list("id", flat=True)) == {uuid.UUID(sid) for sid in sids}
    assert AttendanceRecord.objects.count() == 200 * 20 + 50 * sum(extra)
    assert User.objects.filter(role=User.Role.STUDENT).count() == 50 * 20 + 50 * sum(extra)
    assert live.count_due(time.time()) == 0


@contextmanager
def slow_user_inserts(seconds: float):
    """Make every insert into the users table wait, so that concurrent inserts interleave row by row."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION attn_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER attn_test_slow BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION attn_test_slow_insert()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER attn_test_slow ON {table}")
            cursor.execute("DROP FUNCTION attn_test_slow_insert()")


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_sharing_new_students_in_opposite_orders_do_not_deadlock():
    numbers = ["S6901", "S6902", "S6903"]
    payloads = []
    for order in (numbers, numbers[::-1]):
        records = [live_record(number) for number in order]
        payloads.append((due_session(records=records), records))
    start, errors = threading.Barrier(2), []

    def write(session, records):
        try:
            start.wait()
            persist.session_persist(session=session, records=records)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with slow_user_inserts(0.2):
        threads = [threading.Thread(target=write, args=payload) for payload in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert User.objects.filter(school_number__in=numbers).count() == 3
    for session, _ in payloads:
        assert AttendanceRecord.objects.filter(attendance_id=session.id).count() == 3


# --- the due index: cost grows with due sessions only ---------------------------


def command_calls(conn) -> dict[str, int]:
    return {name: stats["calls"] for name, stats in conn.info("commandstats").items()}


@pytest.mark.django_db
def test_it_touches_none_of_ten_thousand_sessions_not_yet_due(redis_conn):
    ends = time.time() + 3600
    sids = [str(uuid.uuid4()) for _ in range(10_000)]
    with redis_conn.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.zadd(live.due_key(), {sid: ends})
            pipe.hset(live.session_keys(sid).meta, mapping={"data": "{}", "state": live.OPEN, "ends": repr(ends)})
        pipe.execute()
    before = command_calls(redis_conn)

    result = sweep.run()

    after = command_calls(redis_conn)
    used = {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}
    assert (result.processed, result.failed, result.skipped) == (0, 0, 0)
    assert not {"cmdstat_scan", "cmdstat_keys", "cmdstat_hgetall", "cmdstat_evalsha", "cmdstat_eval"} & set(used)
    assert sum(used.values()) < 20, used
    assert redis_conn.zcard(live.due_key()) == 10_000
    with redis_conn.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.hget(live.session_keys(sid).meta, "state")
        assert set(pipe.execute()) == {live.OPEN.encode()}


# --- what the records become ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_marks_enrolled_students_who_never_came_absent_and_pending_ones_rejected(teacher, course, student):
    never = EnrollmentFactory(course=course, student=UserFactory(school_number="S1002")).student
    waiting = EnrollmentFactory(course=course, student=UserFactory(school_number="S1003")).student
    outsider = UserFactory(school_number="S1999")
    session = start_live(teacher, course)
    check_in(session, student)
    put_record(session=session, school_number=waiting.school_number, full_name=waiting.full_name, status=Status.PENDING)
    live_sessions.session_finish(session=session)

    result = sweep.run()

    assert (result.processed, result.records) == (1, 3)
    assert record_of(session.id, student.school_number).status == Status.PRESENT
    absent = record_of(session.id, never.school_number)
    assert (absent.status, absent.source, absent.checked_in_at) == (Status.ABSENT, Source.SWEEP, None)
    pending = record_of(session.id, waiting.school_number)
    assert (pending.status, pending.fail_reason) == (Status.REJECTED, persist.PENDING_AT_CLOSE)
    assert not AttendanceRecord.objects.filter(student=outsider).exists()


@pytest.mark.django_db
def test_it_marks_every_enrolled_student_absent_when_nobody_came(teacher, course, student):
    session = due_session(course=course, teacher_number=teacher.school_number)

    result = sweep.run()

    assert (result.processed, result.records, result.failed) == (1, 1, 0)
    assert record_of(session.id, student.school_number).status == Status.ABSENT


@pytest.mark.django_db
def test_it_writes_each_record_as_it_was_live(course, teacher):
    checked_in = time.time() - 1234.5
    session = due_session(
        course=course,
        teacher_number=teacher.school_number,
        records=[
            live_record(
                "S1001", status=Status.LATE, checked_in_at=checked_in, source=Source.QR, flags=["network", 'a "b", {c}']
            ),
            live_record("S9001", status=Status.REJECTED, reason="", source=Source.CODE),
        ],
    )

    sweep.run()

    late = record_of(session.id, "S1001")
    assert (late.status, late.source, late.flags) == (Status.LATE, Source.QR, ["network", 'a "b", {c}'])
    assert late.checked_in_at.timestamp() == pytest.approx(checked_in)
    assert record_of(session.id, "S9001").fail_reason == "Rejected."
    attendance = Attendance.objects.get(pk=session.id)
    assert (attendance.course, attendance.teacher, attendance.lesson_name) == (course, teacher, session.lesson_name)
    assert attendance.starts_at.timestamp() == pytest.approx(session.starts_at)
    assert attendance.ends_at.timestamp() == pytest.approx(session.ends_at)
    assert (attendance.late_threshold_minutes, attendance.network_mode, attendance.require_code) == (10, "off", True)


# --- the run's summary and alerts ------------------------------------------------


@pytest.mark.django_db
def test_every_run_leaves_a_summary_row_and_log_line(caplog):
    due_session(records=[live_record("S1101"), live_record("S1102")])
    due_session(records=[live_record("S1103")])
    caplog.set_level(logging.INFO, logger="attendance.sweep")

    sweep.run(trigger="test")
    sweep.run(trigger="test")

    rows = list(SweepRun.objects.order_by("started_at").values_list("sessions_processed", "records_saved", "trigger"))
    assert rows == [(2, 3, "test"), (0, 0, "test")]
    infos = [r.getMessage() for r in caplog.records if r.name == "attendance.sweep" and r.levelno == logging.INFO]
    assert infos == [
        "Processed 2 sessions, saved 3 records, 0 failed",
        "Processed 0 sessions, saved 0 records, 0 failed",
    ]
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_alerts_admins_about_sessions_overdue_beyond_the_limit(settings):
    settings.SWEEP_OVERDUE_MINUTES = 10
    stuck = due_session(records=[live_record("S1201")], ended_minutes_ago=20)
    assert live.claim(stuck.id, "a sweeper that hangs")

    result = sweep.run()

    assert (result.processed, result.skipped, result.failed) == (0, 1, 0)
    assert is_live(stuck.id)
    assert [m.subject for m in mail.outbox] == ["[Django] ATTN sweep: overdue sessions"]
    assert mail.outbox[0].to == [address for _, address in settings.ADMINS]


@pytest.mark.django_db
def test_it_does_not_alert_about_sessions_due_for_less_than_the_limit(settings):
    settings.SWEEP_OVERDUE_MINUTES = 10
    waiting = due_session(records=[live_record("S1202")], ended_minutes_ago=5)
    assert live.claim(waiting.id, "another sweeper")

    assert sweep.run().skipped == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_leaves_a_session_claimed_by_another_sweeper_alone():
    session = due_session(records=[live_record("S1301")])
    assert live.claim(session.id, "other")

    result = sweep.run()

    assert (result.processed, result.skipped) == (0, 1)
    assert is_live(session.id) and live.client().get(live.session_keys(session.id).claim) == b"other"
    assert not Attendance.objects.exists()


# --- one session at a time (the "Finish now" task) ------------------------------


@pytest.mark.django_db
def test_sweep_session_sweeps_only_that_session():
    wanted, other = due_session(records=[live_record("S1401")]), due_session(records=[live_record("S1402")])

    summary = tasks.sweep_session(wanted.id)

    assert summary == "Processed 1 sessions, saved 1 records, 0 failed"
    assert list(Attendance.objects.values_list("id", flat=True)) == [uuid.UUID(wanted.id)]
    assert is_live(other.id)
    assert SweepRun.objects.get().trigger == "finish"


@pytest.mark.django_db
def test_sweep_session_refuses_a_session_still_open(teacher, course, student):
    session = start_live(teacher, course)
    check_in(session, student)

    summary = tasks.sweep_session(session.id)

    assert summary.startswith("Processed 0 sessions")
    assert not Attendance.objects.exists()
    assert is_live(session.id) and live.get_session(session.id).state == live.OPEN
    assert check_in(session, UserFactory())["status"] == Status.PRESENT


@pytest.mark.django_db
def test_sweep_session_takes_a_session_that_ended_by_the_clock(teacher, course):
    session = start_live(teacher, course, minutes_left=60)
    live.change_end(session, time.time() - 1)

    assert tasks.sweep_session(session.id).startswith("Processed 1 sessions")
    assert Attendance.objects.filter(pk=session.id).exists()


@pytest.mark.django_db
def test_sweep_due_runs_on_the_schedule_made_by_migrate():
    due_session(records=[live_record("S1501")])

    schedule = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)

    assert (schedule.func, schedule.schedule_type, schedule.repeats) == ("attendance.tasks.sweep_due", "I", -1)
    assert tasks.sweep_due() == "Processed 1 sessions, saved 1 records, 0 failed"
    assert SweepRun.objects.get().trigger == "schedule"


# --- the sweep side of live.py --------------------------------------------------


@pytest.mark.django_db
def test_taking_a_session_closes_it_to_teacher_corrections(teacher, course):
    session = start_live(teacher, course)
    live.change_end(session, time.time() - 1)  # ended by the clock, still "open"

    live.close_and_read(session.id)

    assert not live.set_record(session, live_record("S1601"))
    assert live.get_records(session.id) == {}


@pytest.mark.django_db
def test_counting_a_failure_never_brings_back_a_deleted_session():
    session = due_session()
    live.delete_session(session.id)

    assert live.count_failure(session.id) == 0
    assert live.client().exists(live.session_keys(session.id).meta) == 0


@pytest.mark.django_db
def test_an_expired_session_is_dropped_from_the_index():
    session = due_session(records=[live_record("S1701")])
    live.client().delete(live.session_keys(session.id).meta, live.session_keys(session.id).records)

    result = sweep.run()

    assert (result.processed, result.skipped, result.failed) == (0, 1, 0)
    assert live.count_due(time.time()) == 0
    assert not Attendance.objects.exists()


# --- threads inside one run ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_threads_persist_every_session_exactly_once(settings):
    settings.SWEEP_THREADS = 3
    sessions = [due_session(records=[live_record(f"S7{i:02d}{j}") for j in range(4)]) for i in range(30)]
    seen = []
    result = sweep.run(progress=seen.append)
    assert (result.processed, result.records, result.failed, result.skipped) == (30, 120, 0, 0)
    assert len(seen) == 30
    assert Attendance.objects.count() == 30 and AttendanceRecord.objects.count() == 120
    assert not any(is_live(s.id) for s in sessions)
    assert SweepRun.objects.get().sessions_processed == 30


@pytest.mark.django_db(transaction=True)
def test_threads_stop_and_keep_everything_while_postgresql_is_unreachable(settings, postgres_down):
    settings.SWEEP_THREADS = 3
    sessions = [due_session(records=[live_record(f"S8{i:02d}")]) for i in range(6)]
    result = sweep.run()
    assert result.processed == 0 and result.failed >= 1
    assert all(is_live(s.id) and failures(s.id) == 0 for s in sessions)
    postgres_down()
    assert sweep.run().processed == 6
