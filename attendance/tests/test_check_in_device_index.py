"""The phone-used-elsewhere flag reads the device's own index of its sessions (``live.device_key``), on one
Redis and on the cluster: the flag keeps its meaning (another session holds the phone and is still open),
every path keeps the index, and a check-in's Redis work does not grow with the sessions open."""

import time

import pytest

from attendance import live
from attendance.checkin import service as check_in
from attendance.checkin.service import Kind, Visitor
from attendance.live.topology import lua_source
from attendance.teaching import service as live_sessions
from tests.factories import TeacherFactory, UserFactory

from .live_helpers import TEACHER_IP, code, start
from .test_check_in_decision import each_path

pytestmark = pytest.mark.django_db
PHONE = "phone-000000000001"


@pytest.fixture(autouse=True)
def snapshot_kept(settings):
    settings.CHECKIN_OPEN_SESSIONS_MAX_AGE = 3600  # each check-in below takes its own fresh snapshot


@pytest.fixture
def fast_path_only(monkeypatch):
    """The typed code's one script decides: the full path (which reads every session) would fail the test."""

    def full_path(*args, **kwargs):
        raise AssertionError("the check-in took the full path")

    monkeypatch.setattr(live, "check_in", full_path)


def open_session(clock, **options):
    """An ad-hoc session (every student may join it) of a teacher of its own, open for 90 minutes."""
    return start(TeacherFactory(), now=clock.now, **options)


def type_code(session, student, now, device=PHONE, *, fresh=True):
    """The typed code, after the web process's snapshot of the open sessions was taken afresh (``fresh``)."""
    if fresh:
        live.open_sessions(now)
    visitor = Visitor(student=student, ip=TEACHER_IP, device=device)
    outcome = check_in.check_in_with_code(visitor=visitor, code=code(session, now), now=now)
    assert outcome.kind == Kind.CHECKED_IN, outcome.error
    return outcome.record


def is_flagged(record) -> bool:
    return live.DEVICE_ELSEWHERE in record.flags


def indexed(device=PHONE) -> dict[str, float]:
    """The device's index: session id -> the expiry of its keys."""
    held = live.client().zrange(live.device_key(device), 0, -1, withscores=True)
    return {meta.decode().rsplit(":", 2)[-2]: score for meta, score in held}


# --- the flag's meaning ------------------------------------------------------------


def test_it_flags_a_phone_taken_in_another_open_session(student, clock, fast_path_only):
    elsewhere, here = open_session(clock), open_session(clock)
    assert not is_flagged(type_code(elsewhere, UserFactory(), clock.now))

    record = type_code(here, student, clock.now)

    assert is_flagged(record) and record.status == "present" and record.reason == live.ELSEWHERE_REASON
    assert indexed() == {elsewhere.id: elsewhere.expire_at, here.id: here.expire_at}


def test_it_does_not_flag_the_phone_in_its_own_session(student, clock, fast_path_only):
    session = open_session(clock)
    assert not is_flagged(type_code(session, student, clock.now))
    assert live.remove_record(session, student.school_number, by=session.teacher_number, now=clock.now)

    record = type_code(session, student, clock.now)  # checked in again, the phone held in this session only

    assert not is_flagged(record) and record.status == "present"


def test_it_does_not_flag_a_phone_whose_other_session_was_finished_early(student, clock, fast_path_only):
    elsewhere, here = open_session(clock), open_session(clock)
    type_code(elsewhere, UserFactory(), clock.now)
    live_sessions.session_finish(session=elsewhere, now=clock.now)

    assert not is_flagged(type_code(here, student, clock.now + 1))


def test_it_does_not_flag_a_phone_whose_other_session_ended_by_the_clock(student, clock, fast_path_only):
    elsewhere, here = open_session(clock, minutes=5), open_session(clock, minutes=90)
    type_code(elsewhere, UserFactory(), clock.now)
    clock.now = elsewhere.ends_at + 1  # ended, not swept yet: its keys are all there

    assert live.get_session(elsewhere.id) is not None
    assert not is_flagged(type_code(here, student, clock.now))


def test_it_does_not_flag_a_phone_whose_other_session_was_swept(student, clock, live_redis, fast_path_only):
    elsewhere, here = open_session(clock), open_session(clock)
    type_code(elsewhere, UserFactory(), clock.now)
    live.finish(elsewhere, clock.now)
    live.delete_session(elsewhere.id)  # what the sweep does once the session is in the database

    assert not is_flagged(type_code(here, student, clock.now + 1))
    if live_redis == "single":  # the script, which reads the metas, drops the swept session's entry
        assert indexed() == {here.id: here.expire_at}


def test_it_still_flags_a_phone_whose_other_session_was_extended_past_its_end(student, clock, fast_path_only):
    elsewhere, here = open_session(clock, minutes=5), open_session(clock, minutes=90)
    type_code(elsewhere, UserFactory(), clock.now)
    assert live.change_end(elsewhere, elsewhere.ends_at + 3600)
    clock.now = elsewhere.ends_at - 3600 + 60  # past the first end, before the new one

    assert is_flagged(type_code(here, student, clock.now))


def test_it_does_not_flag_a_phone_used_elsewhere_by_a_session_without_the_device_rule(student, clock):
    elsewhere, here = open_session(clock, one_device_per_student=False), open_session(clock)
    type_code(elsewhere, UserFactory(), clock.now)  # the phone is not held there: nothing indexed

    assert indexed() == {}
    assert not is_flagged(type_code(here, student, clock.now))


def test_the_index_expires_with_the_latest_of_its_sessions(student, clock):
    later, sooner = open_session(clock, minutes=180), open_session(clock, minutes=30)
    type_code(later, UserFactory(), clock.now)
    type_code(sooner, student, clock.now)

    assert indexed() == {later.id: later.expire_at, sooner.id: sooner.expire_at}
    assert live.client().ttl(live.device_key(PHONE)) == pytest.approx(later.expire_at - time.time(), abs=2)


# --- every path keeps the index ----------------------------------------------------


@each_path
def test_a_check_in_by_any_path_makes_the_phone_flagged_elsewhere(path, student, clock):
    elsewhere = start(TeacherFactory(), now=clock.now, **path.session)
    visitor = Visitor(student=UserFactory(), ip=TEACHER_IP, device=PHONE)
    assert path.check_in(elsewhere, visitor, clock.now).kind == Kind.CHECKED_IN
    assert indexed() == {elsewhere.id: elsewhere.expire_at}

    assert is_flagged(type_code(open_session(clock), student, clock.now))


# --- the cost does not grow with the campus ---------------------------------------------


def commands_so_far() -> dict[str, int]:
    """Calls per command on every server that holds live state (INFO commandstats), INFO itself left out."""
    stats = live.topology().each_server(lambda conn, **target: conn.info("commandstats", **target))
    calls: dict[str, int] = {}
    for server in stats:
        for name, figures in server.items():
            if name not in ("cmdstat_info", "cmdstat_ping", "cmdstat_cluster"):
                calls[name] = calls.get(name, 0) + figures["calls"]
    return calls


def commands_of(act) -> dict[str, int]:
    before = commands_so_far()
    act()
    after = commands_so_far()
    return {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}


def adhoc_session(number: str, clock) -> live.LiveSession:
    session = live.LiveSession(
        id=live.new_session_id(number),
        lesson_name="Elsewhere",
        teacher_number=number,
        teacher_name="T",
        starts_at=clock.now - 60,
        ends_at=clock.now + 3600,
        late_threshold_minutes=10,
    )
    assert live.create_session(session) is None
    return session


def load_scripts():
    """Load the check-in's scripts on every server, so that no check-in measured pays a first SCRIPT LOAD."""
    for source in (lua_source("check_in"), lua_source("index_device")):
        live.topology().each_server(
            lambda conn, source=source, **target: conn.execute_command("SCRIPT", "LOAD", source, **target)
        )


def test_a_check_in_makes_the_same_redis_commands_with_5_or_500_sessions_open(clock, fast_path_only):
    load_scripts()
    elsewhere, here = open_session(clock), open_session(clock)
    phones = [f"phone-0000000000{n}" for n in range(10, 14)]
    for phone in phones:  # each phone taken in another open session: every check-in measured is flagged
        type_code(elsewhere, UserFactory(), clock.now, device=phone)
    for n in range(3):
        adhoc_session(f"TX{n}", clock)

    def one_check_in(phone):
        live.open_sessions(clock.now)  # the snapshot: once a second per web process, not per check-in
        student = UserFactory()
        calls = commands_of(lambda: flagged.append(is_flagged(type_code(here, student, clock.now, phone, fresh=False))))
        return calls

    flagged: list[bool] = []
    few = [one_check_in(phone) for phone in phones[:2]]
    for n in range(3, 498):
        adhoc_session(f"TX{n}", clock)
    many = [one_check_in(phone) for phone in phones[2:]]

    assert len(live.open_sessions(clock.now)) == 500 and flagged == [True] * 4
    assert few[0] == few[1] == many[0] == many[1], (few, many)
    assert sum(few[0].values()) < 20 and "cmdstat_hexists" not in few[0], few[0]
