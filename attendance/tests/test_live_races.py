"""Finishing and moving the end race the sweep safely: a swept session never comes back as a key without a TTL."""

import pytest

from attendance import live
from attendance.teaching import service as live_sessions

from .live_helpers import start

pytestmark = pytest.mark.django_db


def keys_without_ttl(redis_conn, sid) -> list[str]:
    return [key for key in live.session_keys(sid).all if redis_conn.ttl(key) == -1]


def test_finishing_a_session_the_sweep_already_removed_recreates_nothing(
    redis_conn, teacher, course, clock, task_queue
):
    session = start(teacher, course, now=clock.now)  # the teacher's page read it...
    live.delete_session(session.id)  # ...then the sweep persisted and removed it

    live_sessions.session_finish(session=session, now=clock.now)

    assert not any(redis_conn.exists(key) for key in live.session_keys(session.id).all)
    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) is None
    assert task_queue.queue_size() == 0  # nothing left to sweep


def test_moving_the_end_of_a_session_the_sweep_already_removed_recreates_nothing(redis_conn, teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    live.delete_session(session.id)

    with pytest.raises(live_sessions.SessionEnded):
        live_sessions.session_change_end(session=session, minutes=10, now=clock.now)

    assert not any(redis_conn.exists(key) for key in live.session_keys(session.id).all)
    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) is None


def test_moving_the_end_of_a_finished_session_changes_nothing(redis_conn, teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    stale = live.get_session(session.id)  # read before the finish
    live_sessions.session_finish(session=session, now=clock.now)

    with pytest.raises(live_sessions.SessionEnded):
        live_sessions.session_change_end(session=stale, minutes=30, now=clock.now)

    assert live.get_session(session.id).ends_at == clock.now
    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) == clock.now
    assert keys_without_ttl(redis_conn, session.id) == []


def test_a_second_finish_keeps_the_first_end(redis_conn, teacher, course, clock, task_queue):
    session = start(teacher, course, now=clock.now)
    live_sessions.session_finish(session=session, now=clock.now)
    live_sessions.session_finish(session=session, now=clock.now + 120)

    assert live.get_session(session.id).ends_at == clock.now
    assert task_queue.queue_size() == 1  # one sweep asked for, not two


def test_a_wrong_code_count_always_carries_the_sessions_ttl(redis_conn, teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    live.count_wrong_codes([session], "S1001")
    assert redis_conn.ttl(live.session_keys(session.id).attempts) > 0
