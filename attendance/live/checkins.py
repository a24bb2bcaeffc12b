"""Check-in writes and the records of a live session.

Every check-in, whichever path it came by, is one run of ``lua/check_in.lua``:
the one place that applies the wrong-code lock-out, the admission to the
session, the phone-used-elsewhere flag and the device rule, and writes.
The Python side only gathers the facts the script cannot read itself on
this topology and passes them in.  The flag reads the device's own index of
its sessions (``keys.device_key``, ``lua/device_index.lua``), never the open
sessions one by one: its cost does not grow with the campus.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from .keys import device_key, guess_key, session_group, session_id_of_meta, session_keys
from .records import (
    CHECKED_IN,
    DEVICE_ELSEWHERE,
    ELSEWHERE_REASON,
    RETRIED,
    SHARED_DEVICE,
    SHARED_DEVICE_REASON,
    LiveChange,
    LiveRecord,
    LiveSession,
)
from .topology import errors_of_the_client, groups_of, read, read_script, topology

UNREPLICATED = "unreplicated"
READ = "read"  # a fact the script reads itself (one Redis only: the keys may sit in any slot)

# A student's admission to a candidate session (the check-in service's ``admission`` decides which):
# admitted, refused, or admitted if on the session's enrolled snapshot (the script reads it).
ADMITTED, REFUSED, ON_ROSTER = "yes", "no", "roster"


@dataclass(frozen=True)
class Candidate:
    """A session the check-in may go to, the record to write there and whether the student may join it."""

    session: LiveSession
    record: LiveRecord
    admission: str = ADMITTED


def check_in(
    session: LiveSession, record: LiveRecord, device: str, now: float, *, device_seen_in: Iterable[str] = ()
) -> tuple[str, LiveRecord | None]:
    """Write a student's check-in to one session the caller admitted them to; return (outcome, stored record).

    outcome is "ok", "exists" (the student already has a record), "locked"
    (too many wrong codes), "not_started", "closed", "missing", or ``UNREPLICATED``.
    ``device_seen_in``: the open sessions this device checked in to (the
    soft "phone used elsewhere" flag when one is not this session).
    """
    seen_in = [session_keys(sid).meta for sid in device_seen_in]
    _, outcome, stored = _decide([Candidate(session, record)], record.school_number, device, now, 0, seen_in)
    return outcome, stored


def check_in_by_code(
    candidates: list[Candidate], school_number: str, device: str, now: float, *, open_ids
) -> tuple[LiveSession | None, str, LiveRecord | None]:
    """A typed code's check-in in one round trip where the topology allows (``lua/check_in.lua``).

    ``candidates``: the open sessions whose code matched, each with the record
    to write there and the student's admission.  Returns (the session written
    to, outcome, stored record); outcome is one of ``check_in``'s, or
    "guess_locked" / "not_enrolled" (nothing written: the caller takes the
    full path).
    """
    offered = list(candidates)
    if topology().spans_groups:
        return _decide(offered, school_number, device, now, READ, READ)
    # A cluster: the lock-out and the phone's index of its sessions are read first (one round trip per
    # primary), then each slot group's candidates go to the script in turn.
    locked, seen_in = _facts(school_number, device, now, open_ids)
    outcome: tuple[LiveSession | None, str, LiveRecord | None] = (None, "not_enrolled", None)
    for group in groups_of(offered, lambda c: session_group(c.session.id)):
        outcome = _decide(group, school_number, device, now, locked, seen_in)
        if outcome[1] != "not_enrolled":
            break
    return outcome


def _facts(school_number: str, device: str, now: float, open_ids) -> tuple[float, list[str]]:
    """The student's lock-out and the meta keys of the open sessions (``open_ids``, the process's snapshot, as
    the script on one Redis would judge them) where the device was taken, from the device's index."""
    calls = [read("hget", guess_key(f"student:{school_number}"), "until")]
    if device:
        calls.append(read_script("device_sessions", [device_key(device)], repr(now)))
    locked, *indexed = topology().reads(calls)
    held = [meta.decode() for meta in (indexed[0] if indexed else ())]
    if held:
        open_now = set(open_ids)
        held = [meta for meta in held if session_id_of_meta(meta) in open_now]
    return float(locked or 0), held


def _decide(candidates: list[Candidate], number: str, device: str, now: float, locked, seen_in):
    """Run ``lua/check_in.lua``. ``locked``: the lock-out's end or READ; ``seen_in``: the meta keys of the open
    sessions that hold this device, or READ (the script reads the device's index: one Redis only).

    On one Redis the script keeps the device's index itself; on a cluster (the index is in a slot of its
    own) it says whether it took the device, and the index is written here, after it.
    """
    redis = topology()
    keys, args, sent = [], [], []
    for candidate in candidates:
        k = session_keys(candidate.session.id)
        keys += [k.meta, k.records, k.devices, k.attempts, k.enrolled]
        one_device = "1" if candidate.session.one_device_per_student else "0"
        sent.append(candidate.record.to_json())
        args += [sent[-1], candidate.session.expire_at, candidate.admission, one_device]
    if locked == READ:
        keys.append(guess_key(f"student:{number}"))
    indexed_here = bool(device) and redis.spans_groups
    if indexed_here:
        keys.append(device_key(device))
    head = [number, device, repr(now), settings.CHECKIN_MAX_WRONG_CODES, len(candidates), locked]
    head += [seen_in if seen_in == READ else json.dumps(seen_in)]
    head += [DEVICE_ELSEWHERE, ELSEWHERE_REASON, SHARED_DEVICE, SHARED_DEVICE_REASON, RETRIED]
    chosen, outcome, stored, took = redis.script("check_in", keys=keys, args=head + args)
    if not chosen:  # "guess_locked" or "not_enrolled": nothing written
        return None, outcome.decode(), None
    candidate = candidates[chosen - 1]
    session = candidate.session
    if took and not indexed_here:
        meta = session_keys(session.id).meta
        redis.script("index_device", keys=[device_key(device)], args=[meta, session.expire_at, repr(now)])
    # The script stores the record as sent unless it changed it (a flag, a retry): the same bytes back
    # are the record already built, not one to decode.
    if not stored:
        record = None
    elif stored == sent[chosen - 1].encode():
        record = candidate.record
    else:
        record = LiveRecord.from_json(stored)
    return session, _acknowledged(outcome.decode(), session_keys(session.id).meta), record


def _acknowledged(outcome: str, written: str) -> str:
    """A written check-in ("ok", or "exists" on a retry) counts only once CHECKIN_REPLICA_ACKS replicas hold
    it (Redis's WAIT): a primary that dies then loses nothing the student was told. Else UNREPLICATED.

    ``written``: a key of the session written to (on a cluster, WAIT goes to the primary that holds it).
    """
    acks = settings.CHECKIN_REPLICA_ACKS
    if not acks or outcome not in ("ok", "exists"):
        return outcome
    try:
        held = topology().wait_for_replicas(written, acks, settings.CHECKIN_REPLICA_WAIT_MS)
    except errors_of_the_client():
        return UNREPLICATED
    return outcome if held >= acks else UNREPLICATED


def count_photo_upload(session: LiveSession, school_number: str) -> str:
    """Count a selfie posted to a photo-check session, before it is read; return "ok", "checked_in" (the
    student has a record that is not rejected: nothing to upload) or "too_many" (PHOTO_UPLOADS_PER_SESSION
    reached: each upload is a decoded image, a stored file and a verification)."""
    keys = session_keys(session.id)
    args = [school_number, session.expire_at, settings.PHOTO_UPLOADS_PER_SESSION]
    return topology().script("count_photo_upload", keys=[keys.records, keys.photos], args=args).decode()


def add_face(sid: str, school_number: str, encoding: bytes) -> dict[str, bytes]:
    """Keep a selfie's face encoding with the session; return every encoding it holds (this one too), by
    school number — {} once the session is gone (``lua/add_face.lua``)."""
    keys = session_keys(sid)
    flat = topology().script("add_face", keys=[keys.records, keys.faces], args=[school_number, encoding])
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


# --- the records ------------------------------------------------------------------


def set_record(session: LiveSession, record: LiveRecord, *, by: str = "", now: float = 0, reason: str = "") -> bool:
    """Write a record on the teacher's behalf; False once the session is finished.

    ``by`` (a school number): log the change for the saved session's change
    log, with ``reason``, in the same script (nothing is logged when the
    status and the reason stay as they were).
    """
    return _correct(session, record.school_number, record.to_json(), by=by, now=now, reason=reason)


def remove_record(session: LiveSession, school_number: str, *, by: str = "", now: float = 0, reason: str = "") -> bool:
    return _correct(session, school_number, "", by=by, now=now, reason=reason)


def _correct(session: LiveSession, school_number: str, value: str, *, by: str, now: float, reason: str) -> bool:
    keys = session_keys(session.id)
    args = [school_number, value, session.expire_at, by, repr(now), reason]
    return bool(topology().script("set_record", keys=[keys.meta, keys.records, keys.changes], args=args))


def get_changes(sid: str) -> list[LiveChange]:
    """The teacher's corrections logged so far, oldest first."""
    return [LiveChange.from_json(raw) for raw in topology().client().lrange(session_keys(sid).changes, 0, -1)]


def get_records(sid: str) -> dict[str, LiveRecord]:
    raw = topology().client().hgetall(session_keys(sid).records)
    return {number.decode(): LiveRecord.from_json(value) for number, value in raw.items()}


def get_records_of(sids: list[str]) -> dict[str, dict[str, LiveRecord]]:
    """The records of several sessions in one pipeline (one per primary on a cluster)."""
    found = topology().reads([read("hgetall", session_keys(sid).records) for sid in sids]) if sids else []
    return {
        sid: {number.decode(): LiveRecord.from_json(value) for number, value in raw.items()}
        for sid, raw in zip(sids, found)
    }


def get_records_and_wrong_codes(sid: str) -> tuple[dict[str, LiveRecord], dict[str, int]]:
    """The records and the wrong codes typed per student, in one round trip (the live roster's read)."""
    keys = session_keys(sid)
    records, attempts = topology().reads([read("hgetall", keys.records), read("hgetall", keys.attempts)])
    return (
        {number.decode(): LiveRecord.from_json(value) for number, value in records.items()},
        {number.decode(): int(count) for number, count in attempts.items()},
    )


def get_record(sid: str, school_number: str) -> LiveRecord | None:
    raw = topology().client().hget(session_keys(sid).records, school_number)
    return LiveRecord.from_json(raw) if raw else None


def count_records(sid: str) -> int:
    return topology().client().hlen(session_keys(sid).records)


def count_checked_in(sid: str) -> int:
    """The students the projector counts as checked in: not pending (a photo being checked), rejected nor excused."""
    values = topology().client().hvals(session_keys(sid).records)
    return sum(LiveRecord.from_json(raw).status in CHECKED_IN for raw in values)


def get_record_raw(sid: str, school_number: str) -> bytes | None:
    """A record as stored, for ``replace_record`` to compare against."""
    return topology().client().hget(session_keys(sid).records, school_number)


def replace_record(sid: str, school_number: str, old: bytes, record: LiveRecord) -> str:
    """Write ``record`` only if the stored one is still ``old`` (the worker's photo result).

    Returns "ok", "changed" (someone wrote it since: read again), "gone" (no
    such record: the session was persisted, or the teacher removed it) or
    "busy" (a sweeper is persisting the session right now).
    """
    keys = session_keys(sid)
    args = [school_number, old, record.to_json()]
    return topology().script("replace_record", keys=[keys.records, keys.claim], args=args).decode()
