"""Helpers shared by the live attendance tests: start a session, read its code, hold the clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from attendance import services, verification
from attendance.views import student as student_views
from attendance.views import teacher as teacher_views

TEACHER_IP = "10.0.0.1"
# Argon2 costs most of a test's time when every test makes several users.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    """Stands in for the ``time`` module of the view modules."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def freeze(monkeypatch) -> Clock:
    """Hold the views' clock in the middle of the current code step, so codes cannot roll over mid-test."""
    from django.conf import settings

    step = settings.CODE_STEP_SECONDS
    clock = Clock((time.time() // step) * step + step / 2)
    monkeypatch.setattr(student_views, "time", clock)
    monkeypatch.setattr(teacher_views, "time", clock)
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
    result = services.session_start(
        teacher=teacher,
        course=course,
        starts_at=at(now - started),
        ends_at=at(now - started + minutes * 60),
        **args,
    )
    assert result.session is not None, "the teacher already had an open session"
    return result.session


def code(session, now: float, steps_back: int = 0) -> str:
    return verification.code_for(session.secret, verification.current_step(now) - steps_back)


def messages_of(response) -> list[str]:
    """Return the messages a response queued (also on a redirect)."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]
