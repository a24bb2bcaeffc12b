"""Wrong codes: counted per session (``attempts``) and per student or client address across sessions."""

from __future__ import annotations

from django.conf import settings

from .keys import guess_key, session_group, session_keys
from .records import LiveSession
from .topology import groups_of, topology


def count_wrong_codes(sessions: list[LiveSession], school_number: str) -> list[int]:
    """Count one wrong code against several sessions; return each total (one script per slot group)."""
    totals: dict[str, int] = {}
    for group in groups_of(sessions, lambda s: session_group(s.id)):
        keys = [session_keys(s.id).attempts for s in group]
        args = [school_number, *(s.expire_at for s in group)]
        totals.update(zip((s.id for s in group), topology().script("count_wrong_codes", keys=keys, args=args)))
    return [totals[s.id] for s in sessions]


def count_guess(subject: str, now: float, *, limit: int) -> float:
    """Count one wrong code of a student or address across all sessions; return its lock-out end (0: none)."""
    args = [
        repr(now),
        limit,
        settings.CHECKIN_GUESS_WINDOW,
        settings.CHECKIN_GUESS_LOCK_SECONDS,
        settings.CHECKIN_GUESS_LOCK_MAX_SECONDS,
        settings.CHECKIN_GUESS_LOCK_MAX_SECONDS + settings.CHECKIN_GUESS_WINDOW,
    ]
    return float(topology().script("count_guess", keys=[guess_key(subject)], args=args))


def guess_locked_until(subject: str) -> float:
    """When a student's or address's wrong-code lock-out ends (0: not locked)."""
    return float(topology().client().hget(guess_key(subject), "until") or 0)
