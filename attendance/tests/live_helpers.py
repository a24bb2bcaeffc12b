"""Helpers shared by the live attendance tests: start a session, read its code, hold the clock."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

from django.urls import reverse

from attendance import clock as attendance_clock
from attendance import live
from attendance.checkin import proofs as verification
from attendance.teaching import service as live_sessions

TEACHER_IP = "10.0.0.1"
# Argon2 costs most of a test's time when every test makes several users.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    """A clock a test moves by hand: ``clock.now += 200``."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def freeze() -> Clock:
    """Hold the attendance clock in the middle of the current code step, so codes cannot roll over mid-test.

    The root conftest puts the system clock back after the test.
    """
    from django.conf import settings

    step = settings.CODE_STEP_SECONDS
    clock = Clock((time.time() // step) * step + step / 2)
    attendance_clock.use(clock.time)
    return clock


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def start(teacher, course=None, *, now: float | None = None, started: float = 60, minutes: float = 90, **options):
    """Open a live session through the service, `started` seconds before `now`."""
    now = time.time() if now is None else now
    args = {
        "lesson_name": "Loops and lists",
        "late_threshold_minutes": 10,
        "require_code": True,
        "network_mode": "off",
        "teacher_ip": TEACHER_IP,
        **options,
    }
    result = live_sessions.session_start(
        teacher=teacher,
        course=course,
        starts_at=at(now - started),
        ends_at=at(now - started + minutes * 60),
        **args,
    )
    assert result.session is not None, "the teacher already had an open session"
    return result.session


def due_ids() -> list[str]:
    """Every session in the due indexes, whatever its end."""
    return live.due_session_ids(float("inf"))


def code(session, now: float, steps_back: int = 0) -> str:
    return verification.code_for(session.secret, verification.current_step(now) - steps_back)


def messages_of(response) -> list[str]:
    """Return the messages a response queued (also on a redirect)."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def check_in_as(session, student, *, now: float | None = None, source="code", ip=TEACHER_IP, device="", position=None):
    """Store a student's check-in through the one write every path ends in; return the outcome."""
    from attendance.checkin.service import Visitor, record_check_in

    visitor = Visitor(student=student, ip=ip, device=device, position=position)
    now = time.time() if now is None else now
    return record_check_in(session=session, visitor=visitor, source=source, now=now)


def put_record(session, *, school_number: str, full_name: str, status: str, reason: str = "") -> bool:
    """Write a live record of any status as a teacher's correction does (pending included)."""
    from attendance import live

    record = live.get_record(session.id, school_number) or live.LiveRecord(school_number, full_name, status)
    marked = replace(record, status=status, source=record.source or "teacher", reason=reason, by_teacher=True)
    return live.set_record(session, marked)


def wrong_codes(session, school_number: str) -> int:
    """The wrong codes counted against a student in a session, read straight from Redis."""
    from attendance import live

    return int(live.client().hget(live.session_keys(session.id).attempts, school_number) or 0)


def url(name, session, *args):
    return reverse(f"attendance:{name}", args=[session.id, *args])


def action(session, number, verb):
    return url("record_action", session, number, verb)


def check_in(session, student, now, **options):
    return check_in_as(session, student, now=now, **options).record


def record_of(session, number):
    return live.get_record(session.id, number)


def all_at_once(count, work):
    """Run work(i) in `count` threads released together; return the results in order.

    Each thread closes its own database connection when done (a thread's connection is its own).
    """
    from django.db import connections

    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected, so that a failing thread fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results
