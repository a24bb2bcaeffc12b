"""Finding and taking due sessions: the due index, one session at a time, closing a session as it is read."""

import time
import uuid
from pathlib import Path

import pytest
from django_q.models import Schedule

from attendance import live, sweep, tasks
from attendance.apps import SWEEP_SCHEDULE_NAME
from attendance.models import Attendance, Status, SweepRun
from tests.factories import UserFactory

from .live_helpers import due_ids
from .sweep_helpers import (
    check_in,
    due_session,
    is_live,
    live_record,
    start_live,
)

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")

ROOT = Path(__file__).resolve().parents[2]


# --- the due index: cost grows with due sessions only ---------------------------


def command_calls(conn) -> dict[str, int]:
    return {name: stats["calls"] for name, stats in conn.info("commandstats").items()}


@pytest.mark.django_db
def test_it_touches_none_of_ten_thousand_sessions_not_yet_due(redis_conn):
    ends = time.time() + 3600
    sids = [str(uuid.uuid4()) for _ in range(10_000)]
    with redis_conn.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.zadd(live.session_keys(sid).due, {sid: ends})
            pipe.hset(live.session_keys(sid).meta, mapping={"data": "{}", "state": live.OPEN, "ends": repr(ends)})
        pipe.execute()
    before = command_calls(redis_conn)

    result = sweep.run()

    after = command_calls(redis_conn)
    used = {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}
    assert (result.processed, result.failed, result.skipped) == (0, 0, 0)
    assert not {"cmdstat_scan", "cmdstat_keys", "cmdstat_hgetall", "cmdstat_evalsha", "cmdstat_eval"} & set(used)
    assert sum(used.values()) < 4 + 2 * live.GROUPS, used  # two reads of each group's index, whatever waits
    assert len(due_ids()) == 10_000
    with redis_conn.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.hget(live.session_keys(sid).meta, "state")
        assert set(pipe.execute()) == {live.OPEN.encode()}


# --- one session at a time (the "Finish now" task) ------------------------------


@pytest.mark.django_db
def test_sweep_session_sweeps_only_that_session():
    wanted, other = due_session(records=[live_record("S1401")]), due_session(records=[live_record("S1402")])

    summary = tasks.sweep_session(wanted.id)

    assert summary == "Processed 1 session, saved 1 record, 0 failed"
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
    assert check_in(session, UserFactory()).status == Status.PRESENT


@pytest.mark.django_db
def test_sweep_session_takes_a_session_that_ended_by_the_clock(teacher, course):
    session = start_live(teacher, course, minutes_left=60)
    live.change_end(session, time.time() - 1)

    assert tasks.sweep_session(session.id).startswith("Processed 1 session,")
    assert Attendance.objects.filter(pk=session.id).exists()


@pytest.mark.django_db
def test_sweep_due_runs_on_the_schedule_made_by_migrate():
    due_session(records=[live_record("S1501")])

    schedule = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)

    assert (schedule.func, schedule.schedule_type, schedule.repeats) == ("attendance.tasks.sweep_due", "I", -1)
    assert tasks.sweep_due() == "Processed 1 session, saved 1 record, 0 failed"
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
