"""Races on real Redis: double taps, shared phones, wrong codes and double starts, all at once."""

from collections import Counter

from attendance import live
from attendance.models import Status
from attendance.teaching import service as live_sessions
from tests.factories import TeacherFactory, UserFactory

from .live_helpers import TEACHER_IP, all_at_once, at, check_in_as, due_ids, start, wrong_codes


def check_in(session, student, device, now):
    return check_in_as(session, student, now=now, device=device).record


def test_fifty_simultaneous_check_ins_of_one_student_make_one_record(redis_conn, teacher, course, student, clock):
    session = start(teacher, course, now=clock.now)
    results = all_at_once(50, lambda i: check_in(session, student, f"phone-{i:016d}", clock.now + i / 1000))

    assert live.count_records(session.id) == 1
    stored = live.get_record(session.id, "S1001")
    assert all(result == stored for result in results)
    assert stored.status == Status.PRESENT
    devices = redis_conn.hgetall(live.session_keys(session.id).devices)
    assert list(devices.values()) == [b"S1001"]


def test_one_device_used_by_many_students_at_once_accepts_exactly_one(redis_conn, teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    students = [UserFactory(school_number=f"S3{i:03d}") for i in range(20)]
    results = all_at_once(20, lambda i: check_in(session, students[i], "one-shared-phone-01", clock.now))

    statuses = Counter(result.status for result in results)
    assert statuses == {Status.PRESENT: 1, Status.REJECTED: 19}
    (winner,) = [r.school_number for r in results if r.status == Status.PRESENT]
    assert all(r.flags == ["shared_device"] for r in results if r.status == Status.REJECTED)
    assert live.count_records(session.id) == 20
    assert redis_conn.hgetall(live.session_keys(session.id).devices) == {b"one-shared-phone-01": winner.encode()}


def test_double_taps_on_a_shared_device_still_give_one_record_each(teacher, course, clock):
    session = start(teacher, course, now=clock.now)
    students = [UserFactory(school_number=f"S4{i:03d}") for i in range(5)]
    results = all_at_once(40, lambda i: check_in(session, students[i % 5], "one-shared-phone-02", clock.now))

    records = live.get_records(session.id)
    assert len(records) == 5
    assert Counter(r.status for r in records.values()) == {Status.PRESENT: 1, Status.REJECTED: 4}
    assert all(result == records[result.school_number] for result in results)


def test_simultaneous_wrong_codes_are_all_counted(teacher, course, student, clock, settings):
    settings.CHECKIN_MAX_WRONG_CODES = 1000
    session = start(teacher, course, now=clock.now)
    all_at_once(30, lambda i: live.count_wrong_codes([session], "S1001")[0])
    assert wrong_codes(session, "S1001") == 30


def test_simultaneous_starts_by_one_teacher_open_one_session(db, redis_conn, clock):
    teacher = TeacherFactory(school_number="T5005")

    def begin(i):
        return live_sessions.session_start(
            teacher=teacher,
            course=None,
            lesson_name=f"Try {i}",
            starts_at=at(clock.now),
            ends_at=at(clock.now + 3600),
            late_threshold_minutes=10,
            require_code=True,
            network_mode="off",
            teacher_ip=TEACHER_IP,
        )

    results = all_at_once(20, begin)
    started = [r.session.id for r in results if r.session]
    assert len(started) == 1
    assert all(r.other_open_id == started[0] for r in results if not r.session)
    assert live.teacher_open_session_id("T5005") == started[0]
    assert due_ids() == started
