"""The sweep's side of the live state: the due indexes, claims, closing and reading, and the dead letters."""

from __future__ import annotations

import json

from django.conf import settings

from .. import clock
from .keys import dead_keys, due_keys, expire_at, session_keys
from .records import LiveChange, LiveRecord, LiveSession
from .topology import read, read_script, topology


def read_due(low, high, limit: int | None = None) -> list[list[tuple[str, float]]]:
    """Each group's due index between two end times (one pipeline: one round trip, one per node on a cluster)."""
    args = {"start": 0, "num": limit} if limit else {}
    groups = topology().reads([read("zrangebyscore", key, low, high, withscores=True, **args) for key in due_keys()])
    return [[(sid.decode(), score) for sid, score in group] for group in groups]


def due_session_ids(now: float, limit: int | None = None) -> list[str]:
    """The sessions due by ``now``, earliest end first, across the groups."""
    due = sorted((item for group in read_due("-inf", now, limit) for item in group), key=lambda item: item[1])
    return [sid for sid, _ in (due[:limit] if limit else due)]


def count_due(now: float) -> int:
    return sum(topology().reads([read("zcount", key, "-inf", now) for key in due_keys()]))


def oldest_due_end() -> float | None:
    firsts = topology().reads([read("zrange", key, 0, 0, withscores=True) for key in due_keys()])
    ends = [group[0][1] for group in firsts if group]
    return min(ends) if ends else None


def claim(sid: str, token: str) -> bool:
    """Claim a session for one sweeper for SWEEP_CLAIM_TTL seconds: its heartbeat (``renew_claims``) keeps
    the claim while it works, so a sweeper that dies frees the session within that time."""
    return bool(topology().client().set(session_keys(sid).claim, token, nx=True, ex=settings.SWEEP_CLAIM_TTL))


def renew_claims(held: dict[str, str]) -> int:
    """The heartbeat: renew each claim (session id → token) still held by that token; how many were renewed.
    One pipeline (one per primary on a cluster)."""
    if not held:
        return 0
    ttl_ms = settings.SWEEP_CLAIM_TTL * 1000
    calls = [read_script("renew_claim", [session_keys(sid).claim], token, ttl_ms) for sid, token in held.items()]
    return sum(topology().reads(calls))


def release(sid: str, token: str) -> None:
    """Give a claim back (a session the sweeper did not persist: it stays due for the next run)."""
    topology().script("release", keys=[session_keys(sid).claim], args=[token])


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def _close_and_read_raw(sid: str) -> tuple[dict[bytes, bytes], dict[bytes, bytes], list[bytes]]:
    keys = session_keys(sid)
    meta, records, changes = topology().script("close_and_read", keys=[keys.meta, keys.records, keys.changes], args=[])
    return _pairs(meta), _pairs(records), changes


def close_and_read(sid: str) -> tuple[LiveSession | None, list[LiveRecord], list[LiveChange]]:
    """Close a session to corrections and return it with its records and the teacher's logged corrections
    (None: its keys are gone).

    Raises ValueError when what is stored cannot be read, so that the sweep
    counts the failure against this session.
    """
    raw_meta, raw_records, raw_changes = _close_and_read_raw(sid)
    if not raw_meta:
        return None, [], []
    try:
        session = LiveSession.from_redis(raw_meta)
        changes = [LiveChange.from_json(raw) for raw in raw_changes]
    except (KeyError, TypeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"unreadable meta or change log: {exc!r}") from exc
    return session, _decode_records(raw_records), changes


def _decode_records(raw: dict[bytes, bytes]) -> list[LiveRecord]:
    # One json.loads for the whole hash (each value is one JSON object), not one per record.
    records = json.loads(b"[" + b",".join(raw.values()) + b"]")
    if len(records) != len(raw):
        raise ValueError("a record is not one JSON object")
    for number, record in zip(raw, records):
        if not isinstance(record, dict) or record.get("school_number") != number.decode():
            raise ValueError(f"record key {number!r} does not match its payload")
    try:
        return [LiveRecord.from_dict(record) for record in records]
    except TypeError as exc:  # a required field missing
        raise ValueError(f"unreadable record: {exc}") from exc


def delete_session(sid: str) -> None:
    """Drop every key of a persisted session and its due-index entry."""
    keys = session_keys(sid)
    with topology().client().pipeline(transaction=True) as pipe:
        pipe.delete(*keys.all)
        pipe.zrem(keys.due, sid)
        pipe.execute()


def count_failure(sid: str) -> int:
    """Count one failed sweep of a session; return its total (0 if the session is gone)."""
    return topology().script("count_failure", keys=[session_keys(sid).meta], args=[])


# What the requeue does not need and nobody should keep indefinitely: the code
# secret, and where the teacher was.
_DEAD_LETTER_DROPS = ("secret", "teacher_ip", "latitude", "longitude")


def _without_secrets(raw_data: bytes) -> str:
    try:
        data = json.loads(raw_data)
    except (TypeError, ValueError):
        return raw_data.decode(errors="replace")  # unreadable: kept as it is, for a person to look at
    if isinstance(data, dict):
        for name in _DEAD_LETTER_DROPS:
            data.pop(name, None)
    return json.dumps(data)


def dead_letter(sid: str, error: str) -> None:
    """Move a session the sweep cannot persist out of the way, keeping its records."""
    meta, records, changes = _close_and_read_raw(sid)
    payload = {
        "meta": {k.decode(): _without_secrets(v) if k == b"data" else v.decode() for k, v in meta.items()},
        "records": {k.decode(): v.decode() for k, v in records.items()},
        "changes": [change.decode() for change in changes],
        "error": error,
        "dead_at": clock.now(),
    }
    keys = session_keys(sid)
    with topology().client().pipeline(transaction=True) as pipe:
        pipe.hset(keys.dead, sid, json.dumps(payload))
        pipe.delete(*keys.all)
        pipe.zrem(keys.due, sid)
        pipe.execute()


def dead_letters() -> dict[str, dict]:
    groups = topology().reads([read("hgetall", key) for key in dead_keys()])
    return {sid.decode(): json.loads(v) for group in groups for sid, v in group.items()}


def dead_letter_sessions() -> list[LiveSession]:
    """The dead letters' sessions (their code secrets and the teacher's position dropped)."""
    sessions = []
    for payload in dead_letters().values():
        meta = {key.encode(): str(value).encode() for key, value in payload.get("meta", {}).items()}
        try:
            sessions.append(LiveSession.from_redis(meta))
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable meta: the operations page shows it as it is
    return sessions


def requeue_dead_letter(sid: str) -> bool:
    """Put a dead-lettered session back in the due index for another try."""
    keys = session_keys(sid)
    conn = topology().client()
    raw = conn.hget(keys.dead, sid)
    if raw is None:
        return False
    payload = json.loads(raw)
    meta = payload["meta"]
    expires = expire_at(clock.now())
    with conn.pipeline(transaction=True) as pipe:
        pipe.hset(keys.meta, mapping={**meta, "failures": 0})
        pipe.expireat(keys.meta, expires)
        if payload["records"]:
            pipe.hset(keys.records, mapping=payload["records"])
            pipe.expireat(keys.records, expires)
        if payload.get("changes"):  # dead letters from before the change log have none
            pipe.rpush(keys.changes, *payload["changes"])
            pipe.expireat(keys.changes, expires)
        pipe.zadd(keys.due, {sid: float(meta.get("ends", 0))})
        pipe.hdel(keys.dead, sid)
        pipe.execute()
    return True
