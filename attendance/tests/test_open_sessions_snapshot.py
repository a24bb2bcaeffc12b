"""The web process's snapshot of the open sessions (the typed codes' index): renewed every
CHECKIN_OPEN_SESSIONS_MAX_AGE seconds from the due indexes, reading only the metas of sessions new or changed
since the last one — at a 09:00 peak of 1,000 open classes each process renews it every second."""

import pytest

from attendance import live
from attendance.teaching import service as live_sessions
from tests.factories import CourseFactory, TeacherFactory

from .live_helpers import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewing(settings):
    settings.CHECKIN_OPEN_SESSIONS_MAX_AGE = 0  # every call renews it


def metas_read(redis_conn) -> int:
    return redis_conn.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0)


@pytest.mark.usefixtures("renewing")
def test_an_unchanged_snapshot_reads_no_meta_and_stays_the_same_list(teacher, course, clock, redis_conn, live_redis):
    start(teacher, course, now=clock.now)
    first = live.open_sessions_snapshot(clock.now)
    before = metas_read(redis_conn)

    again = live.open_sessions_snapshot(clock.now)

    assert again is first  # the typed codes' index, built for this list, stays
    if live_redis == "single":  # (a cluster's nodes keep stats of their own)
        assert metas_read(redis_conn) == before


@pytest.mark.usefixtures("renewing")
def test_a_new_session_joins_and_a_finished_one_leaves(teacher, course, clock):
    first = start(teacher, course, now=clock.now)
    assert [s.id for s in live.open_sessions_snapshot(clock.now)] == [first.id]
    other = start(TeacherFactory(school_number="T9002"), CourseFactory(code="PH101"), now=clock.now)
    assert {s.id for s in live.open_sessions_snapshot(clock.now)} == {first.id, other.id}

    live_sessions.session_finish(session=first, now=clock.now)
    clock.now += 1

    assert [s.id for s in live.open_sessions_snapshot(clock.now)] == [other.id]


@pytest.mark.usefixtures("renewing")
def test_a_moved_end_is_read_again(teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    [before] = live.open_sessions_snapshot(clock.now)
    new_end = before.ends_at + 1800
    assert live.change_end(session, new_end)

    [renewed] = live.open_sessions_snapshot(clock.now)

    assert renewed.ends_at == new_end and before.ends_at == new_end - 1800
