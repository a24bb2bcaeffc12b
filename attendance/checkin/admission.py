"""Who may join a session — the one enrolment rule of every path — and a student's wrong codes: how they
are counted and the lock-out's message."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import ngettext

from .. import live
from .outcomes import LOCKED_OUT


def admission(session: live.LiveSession, *, on_roster: bool | None = None, enrolled: set[int] | None = None) -> str:
    """Whether a student may join a session: ad-hoc sessions are open to every student, a course's only to its
    students — on the enrolled snapshot taken at the start (``on_roster``), or enrolled since (``enrolled``:
    the student's course ids, from the database).  With neither known, ``live.ON_ROSTER``: the check-in
    script admits the student if the snapshot holds them."""
    if not session.course_id or on_roster:
        return live.ADMITTED
    if enrolled is not None:
        return live.ADMITTED if session.course_id in enrolled else live.REFUSED
    return live.REFUSED if on_roster is False else live.ON_ROSTER


def _may_join(session: live.LiveSession, on_roster: bool, enrolled: set[int] | None) -> bool:
    return admission(session, on_roster=on_roster, enrolled=enrolled) == live.ADMITTED


def _enrolled_course_ids(student) -> set[int]:
    return set(student.enrollments.values_list("course_id", flat=True))


@dataclass
class Joinable:
    sessions: list[live.LiveSession]
    locked_until: float
    device_used_in: dict[str, str]  # session id → who checked in with this device there
    records: dict[str, live.LiveRecord] = field(default_factory=dict)  # session id → the student's own record
    wrong_codes: dict[str, int] = field(default_factory=dict)  # session id → the wrong codes the student typed


def joinable_sessions(student, now: float, *, remember: bool, device: str = "", started_only: bool = True) -> Joinable:
    """Open sessions this student may join, their wrong-code lock-out, and where the device was used.

    The enrolled snapshot taken at the start answers without a query; only a
    student missing from a course session's snapshot (enrolled since) costs
    one, and on a check-in (``remember``) joins that snapshot.
    """
    view = live.open_sessions_for(now, student.school_number, device)
    found = [seen for seen in view.sessions if seen.session.has_started(now) or not started_only]
    enrolled = _enrolled_course_ids(student) if any(s.session.course_id and not s.enrolled for s in found) else None
    joinable = []
    for seen in found:
        if _may_join(seen.session, seen.enrolled, enrolled):
            joinable.append(seen.session)
            if remember and seen.session.course_id and not seen.enrolled:
                live.add_enrolled(seen.session, student.school_number, student.full_name)
    used = {seen.session.id: seen.device_owner for seen in view.sessions if seen.device_owner}
    records = {seen.session.id: seen.record for seen in view.sessions if seen.record}
    wrong = {seen.session.id: seen.wrong_codes for seen in view.sessions if seen.wrong_codes}
    return Joinable(
        sessions=joinable, locked_until=view.locked_until, device_used_in=used, records=records, wrong_codes=wrong
    )


def lock_message(until: float, now: float) -> str:
    minutes = max(1, round((until - now) / 60))
    return ngettext(
        "Too many wrong codes. Try again in %(minutes)d minute, or ask your teacher.",
        "Too many wrong codes. Try again in %(minutes)d minutes, or ask your teacher.",
        minutes,
    ) % {"minutes": minutes}


def wrong_code_error(student, sessions: list[live.LiveSession], now: float) -> str:
    """Count a wrong code against ``sessions`` and say so: the tries left, or the lock-out it reached."""
    tries, locked = count_wrong_code(student, sessions, now)
    if locked > now:
        return lock_message(locked, now)
    limit = settings.CHECKIN_MAX_WRONG_CODES
    if tries >= limit:
        return str(LOCKED_OUT)
    left = limit - tries
    return ngettext(
        "That code is wrong or has expired. %(left)d try left.",
        "That code is wrong or has expired. %(left)d tries left.",
        left,
    ) % {"left": left}


def count_wrong_code(student, sessions: list[live.LiveSession], now: float) -> tuple[int, float]:
    """Count a student's wrong code against ``sessions`` and across all sessions; return (the most wrong codes
    in one of them, the lock-out's end across sessions or 0)."""
    tries = max(live.count_wrong_codes(sessions, student.school_number))
    locked = live.count_guess(f"student:{student.school_number}", now, limit=settings.CHECKIN_GUESS_LIMIT)
    return tries, locked


def may_join_one(student, session: live.LiveSession, *, remember: bool) -> bool:
    if _may_join(session, live.is_enrolled(session.id, student.school_number), None):
        return True
    if not _may_join(session, False, _enrolled_course_ids(student)):
        return False
    if remember:
        live.add_enrolled(session, student.school_number, student.full_name)
    return True
