"""A live session's lifecycle: start, read, finish early, move the end, and the open sessions."""

from __future__ import annotations

import time

from django.conf import settings

from .. import clock
from .keys import expire_at, session_group, session_keys, teacher_group, teacher_key
from .records import OPEN, LiveSession
from .sweep_queue import dead_letter_sessions, read_due
from .topology import WatchError, read, topology


def create_session(session: LiveSession, enrolled: dict[str, str] | None = None) -> str | None:
    """Store a new session and its enrolled students; return the teacher's other open session id if any.

    The enrolled snapshot (school number → full name, read once at the start)
    lets check-ins and the live roster run without a database query.
    """
    if session_group(session.id) != teacher_group(session.teacher_number):
        raise ValueError("a session's id must come from new_session_id(its teacher) to share the teacher's slot")
    pointer = teacher_key(session.teacher_number)
    keys = session_keys(session.id)
    # The pointer and the meta are written in one transaction that fails if the
    # pointer changed since it was read: of two simultaneous starts (a double
    # click) one wins, and the other then finds the winner complete.
    while True:
        with topology().client().pipeline(transaction=True) as pipe:
            try:
                pipe.watch(pointer)
                other = pipe.get(pointer)
                other_session = get_session(other.decode()) if other else None
                # A session past its end is over even before the sweep has persisted it.
                if other_session and other_session.state == OPEN and other_session.ends_at > clock.now():
                    return other_session.id
                pipe.multi()
                pipe.set(pointer, session.id, exat=session.expire_at)
                pipe.hset(
                    keys.meta,
                    mapping={
                        "data": session.to_data(),
                        "state": OPEN,
                        "starts": repr(session.starts_at),
                        "ends": repr(session.ends_at),
                    },
                )
                pipe.expireat(keys.meta, session.expire_at)
                pipe.zadd(keys.due, {session.id: session.ends_at})
                if enrolled:
                    pipe.hset(keys.enrolled, mapping=enrolled)
                    pipe.expireat(keys.enrolled, session.expire_at)
                pipe.execute()
                return None
            except WatchError:
                continue


def get_session(sid: str) -> LiveSession | None:
    raw = topology().client().hgetall(session_keys(sid).meta)
    if not raw or b"data" not in raw:
        return None
    return LiveSession.from_redis(raw)


def teacher_open_session_id(school_number: str) -> str | None:
    value = topology().client().get(teacher_key(school_number))
    return value.decode() if value else None


def finish(session: LiveSession, now: float) -> bool:
    """Close check-ins at once and make the session due now; False if it was no longer open."""
    own = session_keys(session.id)
    keys = [own.meta, own.due, teacher_key(session.teacher_number)]
    return bool(topology().script("finish", keys=keys, args=[repr(now), session.id]))


def change_end(session: LiveSession, ends_at: float) -> bool:
    """Move the end time, keeping the due index and every TTL in step; False if no longer open."""
    keys = session_keys(session.id)
    script_keys = [keys.meta, keys.due, *keys.expiring[1:], teacher_key(session.teacher_number)]
    done = topology().script("change_end", keys=script_keys, args=[repr(ends_at), expire_at(ends_at), session.id])
    if done:
        session.ends_at = ends_at
    return bool(done)


def add_enrolled(session: LiveSession, school_number: str, full_name: str) -> None:
    """Add a student enrolled since the start to the session's snapshot."""
    key = session_keys(session.id).enrolled
    with topology().client().pipeline(transaction=False) as pipe:
        pipe.hset(key, school_number, full_name)
        pipe.expireat(key, session.expire_at)
        pipe.execute()


def is_enrolled(sid: str, school_number: str) -> bool:
    return bool(topology().client().hexists(session_keys(sid).enrolled, school_number))


def use_link(session: LiveSession, link: str, school_number: str) -> bool:
    """Record that a student used a check-in link; False if another student used it first."""
    keys = [session_keys(session.id).links]
    return bool(topology().script("use_link", keys=keys, args=[link, school_number, session.expire_at]))


# --- the open sessions ----------------------------------------------------------


def open_session_ids(now: float) -> list[str]:
    """The sessions not yet ended, through the due indexes (no SCAN)."""
    return [sid for group in read_due(now, "+inf") for sid, _ in group]


def open_sessions(now: float) -> list[LiveSession]:
    """Return the sessions not yet ended (one read of the due indexes, one of their metas)."""
    sessions = [session for session in _read_sessions(open_session_ids(now)) if session.state == OPEN]
    keep_snapshot(sessions)
    return sessions


def unswept_sessions() -> list[LiveSession]:
    """Every session the database does not hold yet: open, finished and waiting for the sweep, or dead-lettered.

    Each still needs its course and teacher: the sweep writes rows that point at them.
    """
    sids = [sid for group in read_due("-inf", "+inf") for sid, _ in group]
    return _read_sessions(sids) + dead_letter_sessions()


def _read_sessions(sids: list[str]) -> list[LiveSession]:
    metas = topology().reads([read("hgetall", session_keys(sid).meta) for sid in sids]) if sids else []
    return [LiveSession.from_redis(raw) for raw in metas if raw and b"data" in raw]


_snapshots: dict[tuple[str, str], tuple[float, list[LiveSession]]] = {}


def _snapshot_key() -> tuple[str, str]:
    return topology().location, settings.LIVE_KEY_PREFIX


def keep_snapshot(sessions: list[LiveSession]) -> None:
    """Keep a fresh read of the open sessions as the process's snapshot (the typed codes' index)."""
    _snapshots[_snapshot_key()] = (time.monotonic(), sessions)


def open_sessions_snapshot(now: float) -> list[LiveSession]:
    """The open sessions as this process read them at most CHECKIN_OPEN_SESSIONS_MAX_AGE seconds ago.

    A session's code secret and settings never change while it is open; what
    does (finished, a new end) the check-in script reads again, and a session
    started since the snapshot sends the check-in down the full path, whose
    fresh read of the open sessions becomes the new snapshot.
    """
    taken = _snapshots.get(_snapshot_key())
    if taken is None:
        return open_sessions(now)
    if time.monotonic() - taken[0] < settings.CHECKIN_OPEN_SESSIONS_MAX_AGE:
        return taken[1]
    return _renew_snapshot(now, taken[1])


def _renew_snapshot(now: float, previous: list[LiveSession]) -> list[LiveSession]:
    """Renew the snapshot from the due indexes, reading the metas only of the sessions new since the last one
    or whose end moved (finished, extended): at a 09:00 peak of 1,000 open classes each web process renews it
    every second, and the metas are most of a full read.  The same list while nothing changed, so the typed
    codes' index stays."""
    due = [(sid, end) for group in read_due(now, "+inf") for sid, end in group]
    known = {session.id: session for session in previous}
    changed = [sid for sid, end in due if sid not in known or known[sid].ends_at != end]
    if not changed and len(due) == len(previous):
        keep_snapshot(previous)
        return previous
    fresh = {session.id: session for session in _read_sessions(changed)}
    sessions = [s for sid, _ in due if (s := fresh.get(sid) or known.get(sid)) is not None and s.state == OPEN]
    keep_snapshot(sessions)
    return sessions
