"""`manage.py sweep [--session ID] [--dry-run]`."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from attendance import live
from attendance.models import Attendance, AttendanceRecord, SweepRun
from attendance.teaching import service as live_sessions

from .sweep_helpers import corrupt_meta, due_session, failures, is_live, live_record

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]


def sweep(*args) -> str:
    out = StringIO()
    call_command("sweep", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_persists_every_due_session_and_prints_the_summary():
    first = due_session(records=[live_record("S1001"), live_record("S1002")])
    second = due_session(records=[live_record("S1003")])

    output = sweep()

    assert output.strip() == "Processed 2 sessions, saved 3 records, 0 failed"
    assert set(Attendance.objects.values_list("id", flat=True)) == {uuid.UUID(first.id), uuid.UUID(second.id)}
    assert AttendanceRecord.objects.count() == 3
    assert SweepRun.objects.get().trigger == "command"
    assert not is_live(first.id) and not is_live(second.id)


def test_a_dry_run_lists_the_due_sessions_and_writes_nothing():
    first = due_session(records=[live_record("S1001"), live_record("S1002")])
    second = due_session(records=[live_record("S1003")])

    output = sweep("--dry-run")

    assert f"{first.id}      2 records  {first.title}" in output
    assert f"{second.id}      1 records  {second.title}" in output
    assert output.splitlines()[-1] == "2 sessions would be persisted (dry run, nothing written)"
    assert not Attendance.objects.exists() and not SweepRun.objects.exists()
    assert is_live(first.id) and is_live(second.id)
    assert live.get_session(first.id).state == live.FINISHED and failures(first.id) == 0


def test_a_failing_session_makes_it_exit_non_zero():
    good = due_session(records=[live_record("S1001")])
    bad = due_session(records=[live_record("S1002")])
    corrupt_meta(bad.id)
    errors = StringIO()

    with pytest.raises(CommandError, match="Processed 1 session, saved 1 record, 1 failed"):
        call_command("sweep", stdout=StringIO(), stderr=errors)

    assert bad.id in errors.getvalue()
    assert Attendance.objects.filter(pk=good.id).exists()
    assert is_live(bad.id) and failures(bad.id) == 1


def test_it_sweeps_only_the_session_asked_for():
    wanted = due_session(records=[live_record("S1001")])
    other = due_session(records=[live_record("S1002")])

    output = sweep("--session", wanted.id)

    assert output.strip() == "Processed 1 session, saved 1 record, 0 failed"
    assert list(Attendance.objects.values_list("id", flat=True)) == [uuid.UUID(wanted.id)]
    assert is_live(other.id)


def test_a_dry_run_of_one_session_lists_only_that_one():
    wanted = due_session(records=[live_record("S1001")])
    other = due_session()

    output = sweep("--dry-run", "--session", wanted.id)

    assert wanted.id in output and other.id not in output
    assert output.splitlines()[-1] == "1 sessions would be persisted (dry run, nothing written)"


def test_it_refuses_a_session_still_open(teacher):
    now = timezone.now()
    session = live_sessions.session_start(
        teacher=teacher,
        course=None,
        lesson_name="Still going",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=40),
        late_threshold_minutes=10,
        require_code=False,
        network_mode="off",
        teacher_ip="10.0.0.1",
    ).session

    with pytest.raises(CommandError, match="was not swept"):
        sweep("--session", session.id)

    assert is_live(session.id) and not Attendance.objects.exists()


@pytest.mark.parametrize("typed", [str(uuid.uuid4()), "no-such-session"])
def test_it_refuses_an_unknown_session(typed):
    with pytest.raises(CommandError, match="was not swept"):
        sweep("--session", typed)


def test_a_dry_run_shows_a_corrupted_session_instead_of_crashing():
    bad = due_session(records=[live_record("S1001")])
    corrupt_meta(bad.id)

    output = sweep("--dry-run")

    assert f"{bad.id}      1 records  (unreadable meta: JSONDecodeError(" in output
    assert output.splitlines()[-1] == "1 sessions would be persisted (dry run, nothing written)"
    assert is_live(bad.id) and failures(bad.id) == 0
