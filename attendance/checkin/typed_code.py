"""The typed code: the fast path (one Redis round trip for a right code from a student on the roster) and
the full path (fresh reads; wrong codes counted towards the lock-out)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .. import clock, live
from ..models import Source
from . import proofs
from .admission import admission, joinable_sessions, lock_message, wrong_code_error
from .links import signed_link
from .outcomes import Kind, Outcome, StudentSessions, Visitor, not_started
from .write import new_check_in, record_check_in, stored_outcome


def check_in_with_code(*, visitor: Visitor, code: str, now: float | None = None) -> Outcome:
    """Find the session whose current code was typed and check in to it.

    A wrong or expired code never makes a record: it is a counted attempt, and
    after CHECKIN_MAX_WRONG_CODES of them the student is locked out of that session.
    """
    now = clock.now() if now is None else now
    fast = _check_in_with_code_fast(visitor, code, now)
    if fast is not None:
        return fast
    found = joinable_sessions(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    started = [s for s in found.sessions if s.has_started(now)]
    mine = StudentSessions(mine=[s for s in started if s.course_id])
    if found.locked_until > now:
        return Outcome(Kind.WRONG_CODE, error=lock_message(found.locked_until, now), sessions=mine)
    candidates = [s for s in started if s.require_code]
    for session in candidates:
        if proofs.code_is_valid(session.secret, code, now):
            if (session.location_radius_m and visitor.position is None) or (session.photo_check and not visitor.photo):
                link = signed_link(session, Source.CODE, now, student=visitor.student)
                return Outcome(Kind.CONFIRM, session=session, link=link)
            # The check-in script refuses a student locked out of this session.
            seen_in = list(found.device_used_in)
            return record_check_in(
                session=session, visitor=visitor, source=Source.CODE, now=now, device_seen_in=seen_in
            )
    if not candidates:
        upcoming = sorted((s for s in found.sessions if s not in started), key=lambda s: s.starts_at)
        if upcoming:  # opened ahead of its start: say when, and count nothing
            return Outcome(Kind.WRONG_CODE, error=not_started(upcoming[0]), sessions=mine)
        error = _("None of your courses has a session taking codes right now.")
        return Outcome(Kind.WRONG_CODE, error=error, sessions=mine)
    # Count against the student's own courses' sessions; only without one against ad-hoc ones,
    # so a typo in one class does not lock them out of every ad-hoc session in the school.
    # Every wrong code also counts against the student across all sessions.
    counted = [s for s in candidates if s.course_id] or candidates
    return Outcome(Kind.WRONG_CODE, error=wrong_code_error(visitor.student, counted, now), sessions=mine)


_code_index: tuple[list | None, int, dict[str, list[live.LiveSession]]] = (None, 0, {})


def _sessions_by_code(sessions: list[live.LiveSession], now: float) -> dict[str, list[live.LiveSession]]:
    """The sessions each valid code opens, worked out once per snapshot and time step (not per check-in).

    The same two steps as ``proofs.code_is_valid``: the current code and
    the previous one.  (A lookup is not constant-time as ``compare_digest`` is;
    guesses are counted and locked out long before timing could tell anything.)
    """
    global _code_index
    step = proofs.current_step(now)
    snapshot, indexed_step, index = _code_index
    if snapshot is sessions and indexed_step == step:
        return index
    index = {}
    for session in sessions:
        if session.require_code:
            for code in {proofs.code_for(session.secret, s) for s in (step, step - 1)}:
                index.setdefault(code, []).append(session)
    _code_index = (sessions, step, index)
    return index


def _check_in_with_code_fast(visitor: Visitor, code: str, now: float) -> Outcome | None:
    """The common case in one Redis round trip: a right code, typed by a student on the session's roster.

    The process's snapshot of the open sessions says whose code matches;
    one script checks the lock-out and the roster, flags a phone used in
    another open session and writes.  None (nothing written): the full path
    decides, with fresh reads (a wrong code, a session started since the
    snapshot, a student enrolled since the start, a location to ask for).
    """
    sessions = live.open_sessions_snapshot(now)
    matching = [
        s for s in _sessions_by_code(sessions, now).get(code.strip(), ()) if s.has_started(now) and s.is_open(now)
    ]
    if not matching or any((s.location_radius_m and visitor.position is None) or s.photo_check for s in matching):
        return None
    candidates = [live.Candidate(s, new_check_in(s, visitor, Source.CODE, now), admission(s)) for s in matching]
    number, open_ids = visitor.student.school_number, (s.id for s in sessions)  # read on a cluster only
    session, outcome, stored = live.check_in_by_code(candidates, number, visitor.device, now, open_ids=open_ids)
    if session is None:
        return None
    return stored_outcome(session, outcome, stored)
