"""The open sessions as one student's check-in sees them (the full path's one read)."""

from __future__ import annotations

from dataclasses import dataclass

from .keys import guess_key, session_keys
from .records import OPEN, LiveRecord, LiveSession
from .sessions import keep_snapshot, open_session_ids
from .topology import read, topology


@dataclass
class SeenSession:
    """An open session as one student's check-in sees it."""

    session: LiveSession
    enrolled: bool  # in the snapshot of enrolled students taken at the start
    device_owner: str | None  # who checked in with this device in it, if anyone
    record: LiveRecord | None = None  # the student's own record there, if any
    wrong_codes: int = 0  # the wrong codes the student typed for it


@dataclass
class StudentView:
    sessions: list[SeenSession]
    locked_until: float  # the student's wrong-code lock-out across all sessions (0: none)


def open_sessions_for(now: float, school_number: str, device: str = "") -> StudentView:
    """Return the open sessions as a student sees them, and their lock-out (two round trips)."""
    sids = open_session_ids(now)
    calls = [read("hget", guess_key(f"student:{school_number}"), "until")]
    for sid in sids:
        keys = session_keys(sid)
        calls += [
            read("hgetall", keys.meta),
            read("hexists", keys.enrolled, school_number),
            read("hget", keys.devices, device or "-"),
            read("hget", keys.records, school_number),
            read("hget", keys.attempts, school_number),
        ]
    locked, *replies = topology().reads(calls)
    seen = []
    for raw, on, owner, mine, wrong in zip(*(replies[i::5] for i in range(5))):
        if raw and b"data" in raw:
            session = LiveSession.from_redis(raw)
            if session.state == OPEN:
                record = LiveRecord.from_json(mine) if mine else None
                owner = owner.decode() if owner else None
                seen.append(SeenSession(session, bool(on), owner, record, int(wrong or 0)))
    keep_snapshot([s.session for s in seen])  # a fresh read: the typed codes' snapshot need not wait
    return StudentView(sessions=seen, locked_until=float(locked or 0))
