"""Wrong codes and passwords: counted per session (``attempts``) and per subject across sessions — a
student, a QR link's (address, session) or session, a login's account or known browser."""

from __future__ import annotations

from django.conf import settings

from .keys import guess_key, session_group, session_keys
from .records import LiveSession
from .topology import groups_of, read, topology


def count_wrong_codes(sessions: list[LiveSession], school_number: str) -> list[int]:
    """Count one wrong code against several sessions; return each total (one script per slot group)."""
    totals: dict[str, int] = {}
    for group in groups_of(sessions, lambda s: session_group(s.id)):
        keys = [session_keys(s.id).attempts for s in group]
        args = [school_number, *(s.expire_at for s in group)]
        totals.update(zip((s.id for s in group), topology().script("count_wrong_codes", keys=keys, args=args)))
    return [totals[s.id] for s in sessions]


def count_guess(
    subject: str,
    now: float,
    *,
    limit: int,
    window: int | None = None,
    lock_seconds: int | None = None,
    lock_max_seconds: int | None = None,
) -> float:
    """Count one wrong guess of a subject; return its lock-out end (0: none).

    The one growing lock-out (``lua/count_guess.lua``): ``limit`` wrong guesses within ``window`` seconds
    lock the subject for ``lock_seconds``, doubled at each further lock-out up to ``lock_max_seconds``.
    Unless given, the three are the typed code's (CHECKIN_GUESS_*).
    """
    window = settings.CHECKIN_GUESS_WINDOW if window is None else window
    base = settings.CHECKIN_GUESS_LOCK_SECONDS if lock_seconds is None else lock_seconds
    cap = settings.CHECKIN_GUESS_LOCK_MAX_SECONDS if lock_max_seconds is None else lock_max_seconds
    args = [repr(now), limit, window, base, cap, cap + window]
    return float(topology().script("count_guess", keys=[guess_key(subject)], args=args))


def guess_locked_until(subject: str) -> float:
    """When a subject's lock-out ends (0: not locked)."""
    return float(topology().client().hget(guess_key(subject), "until") or 0)


def guesses_locked_until(subjects: list[str]) -> list[float]:
    """When each subject's lock-out ends (0: not locked), in one round trip (one per primary on a cluster)."""
    found = topology().reads([read("hget", guess_key(subject), "until") for subject in subjects])
    return [float(until or 0) for until in found]


def guesses_so_far(subject: str, now: float) -> int:
    """The wrong guesses a subject has made in its current window since its last lock-out."""
    fails, window_end = topology().client().hmget(guess_key(subject), "fails", "window_end")
    return int(fails or 0) if float(window_end or 0) > now else 0
