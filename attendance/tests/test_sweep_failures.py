"""A sweep that fails: crashes and reruns, PostgreSQL down, corrupted sessions, dead letters, alerts."""

import json
import logging
import uuid
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import User
from attendance import live, sweep
from attendance.models import Attendance, AttendanceRecord, Status, SweepRun
from tests.factories import EnrollmentFactory, UserFactory

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


@pytest.mark.django_db(transaction=True)
def test_it_releases_only_the_claims_that_did_not_go_with_the_session(monkeypatch):
    persisted = due_session(records=[live_record("S3201")])
    expired = due_session()
    live.client().delete(live.session_keys(expired.id).meta)  # gone by its TTL: only its due entry is left
    corrupted = due_session(records=[live_record("S3202")])
    corrupt_meta(corrupted.id)
    released, real_release = [], live.release

    def spying_release(sid, token):
        released.append(sid)
        real_release(sid, token)

    monkeypatch.setattr(live, "release", spying_release)

    sweep.run()

    assert released == [corrupted.id]  # the other two claims were deleted with their sessions' keys
    assert not any(live.client().exists(live.session_keys(s.id).claim) for s in (persisted, expired, corrupted))


# --- PostgreSQL down ------------------------------------------------------------


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
    assert live.client().ttl(live.session_keys(bad.id).dead) == -1
    assert not is_live(bad.id) and not any(live.client().exists(key) for key in live.session_keys(bad.id).all)
    assert [m for m in mail.outbox if "dead letters" in m.subject and bad.id in m.body]
    assert not Attendance.objects.filter(pk=bad.id).exists()
    assert sweep.run().failed == 0


# --- the run's summary and alerts ------------------------------------------------


@pytest.mark.django_db
def test_every_run_leaves_a_summary_row_and_log_line(caplog):
    due_session(records=[live_record("S1101"), live_record("S1102")])
    due_session(records=[live_record("S1103")])
    caplog.set_level(logging.DEBUG, logger="attendance.sweep")

    sweep.run(trigger="test")
    sweep.run(trigger="test")

    rows = list(SweepRun.objects.order_by("started_at").values_list("sessions_processed", "records_saved", "trigger"))
    assert rows == [(2, 3, "test"), (0, 0, "test")]
    infos = [r.getMessage() for r in caplog.records if r.name == "attendance.sweep" and r.levelno == logging.INFO]
    assert infos == ["Processed 2 sessions, saved 3 records, 0 failed"]  # the idle run: at debug only
    debug = [r.getMessage() for r in caplog.records if r.name == "attendance.sweep" and r.levelno == logging.DEBUG]
    assert debug == ["Processed 0 sessions, saved 0 records, 0 failed"]
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
