"""Live attendance state in Redis: the only module that builds a Redis key.

Layout (keys of one session share the hash tag ``{sid}``, so they sit in one
Redis Cluster slot):

    attn:{sid}:meta       hash  data (JSON meta), state, ends, failures
    attn:{sid}:records    hash  school number -> record JSON
    attn:{sid}:devices    hash  device id -> school number
    attn:{sid}:attempts   hash  school number -> wrong codes typed
    attn:{sid}:roster     hash  enrolled school number -> full name (copied at start)
    attn:{sid}:claim      str   token of the sweeper working on it (EX)
    attn:due              zset  sid scored by end time (the sweep's index)
    attn:teacher:{number} str   the teacher's open session (EXAT)
    attn:dead             hash  sid -> JSON of a session the sweep gave up on

Every per-session key expires at end + LIVE_GRACE_DAYS; only ``attn:due`` and
``attn:dead`` have no TTL.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import redis
from django.conf import settings

DUE_KEY = "attn:due"
DEAD_KEY = "attn:dead"

OPEN = "open"
FINISHED = "finished"

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def client() -> redis.Redis:
    """Return the shared Redis client for live state (one pool per process)."""
    url = settings.LIVE_REDIS_URL
    conn = _clients.get(url)
    if conn is None:
        with _clients_lock:
            conn = _clients.get(url)
            if conn is None:
                conn = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)
                _clients[url] = conn
    return conn


def _key(sid: str, part: str) -> str:
    return f"attn:{{{sid}}}:{part}"


LIVE_PARTS = ("meta", "records", "devices", "attempts", "roster")


def _session_keys(sid: str) -> list[str]:
    return [_key(sid, part) for part in (*LIVE_PARTS, "claim")]


def _teacher_key(school_number: str) -> str:
    return f"attn:teacher:{school_number}"


@dataclass
class LiveSession:
    """The self-contained meta of a live session."""

    id: str
    lesson_name: str
    teacher_number: str
    teacher_name: str
    starts_at: float
    ends_at: float
    late_threshold_minutes: int
    secret: str
    course_id: int | None = None
    course_code: str = ""
    course_title: str = ""
    require_code: bool = True
    network_mode: str = "off"
    teacher_ip: str = ""
    allowed_networks: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    location_radius_m: int | None = None
    one_device_per_student: bool = True
    state: str = OPEN

    @classmethod
    def from_redis(cls, raw: dict) -> LiveSession:
        data = json.loads(raw[b"data"])
        data["state"] = raw.get(b"state", OPEN.encode()).decode()
        data["ends_at"] = float(raw.get(b"ends", data["ends_at"]))
        return cls(**data)

    @property
    def expire_at(self) -> int:
        return int(self.ends_at) + settings.LIVE_GRACE_DAYS * 86400

    @property
    def starts_dt(self) -> datetime:
        return datetime.fromtimestamp(self.starts_at, tz=UTC)

    @property
    def ends_dt(self) -> datetime:
        return datetime.fromtimestamp(self.ends_at, tz=UTC)

    @property
    def title(self) -> str:
        return f"{self.course_code} · {self.lesson_name}" if self.course_code else self.lesson_name

    def is_open(self, now: float) -> bool:
        return self.state == OPEN and self.starts_at <= now < self.ends_at

    def has_started(self, now: float) -> bool:
        return self.starts_at <= now


def create_session(session: LiveSession, roster: dict[str, str] | None = None) -> str | None:
    """Store a new session and its roster; return the teacher's other open session id if there is one.

    The roster (enrolled school number → full name, read once at the start) lets
    check-ins and the live roster run without a database query.
    """
    teacher_key = _teacher_key(session.teacher_number)
    data = asdict(session)
    data.pop("state")
    meta = _key(session.id, "meta")
    # The pointer and the meta are written in one transaction that fails if the
    # pointer changed since it was read: of two simultaneous starts (a double
    # click) one wins, and the other then finds the winner complete.
    while True:
        with client().pipeline(transaction=True) as pipe:
            try:
                pipe.watch(teacher_key)
                other = pipe.get(teacher_key)
                other_session = get_session(other.decode()) if other else None
                # A session past its end is over even before the sweep has persisted it.
                if other_session and other_session.state == OPEN and other_session.ends_at > time.time():
                    return other_session.id
                pipe.multi()
                pipe.set(teacher_key, session.id, exat=session.expire_at)
                pipe.hset(meta, mapping={"data": json.dumps(data), "state": OPEN, "ends": repr(session.ends_at)})
                pipe.expireat(meta, session.expire_at)
                pipe.zadd(DUE_KEY, {session.id: session.ends_at})
                if roster:
                    pipe.hset(_key(session.id, "roster"), mapping=roster)
                    pipe.expireat(_key(session.id, "roster"), session.expire_at)
                pipe.execute()
                return None
            except redis.WatchError:
                continue


def get_session(sid: str) -> LiveSession | None:
    raw = client().hgetall(_key(sid, "meta"))
    if not raw or b"data" not in raw:
        return None
    return LiveSession.from_redis(raw)


def teacher_open_session_id(school_number: str) -> str | None:
    value = client().get(_teacher_key(school_number))
    return value.decode() if value else None


def open_sessions(now: float) -> list[LiveSession]:
    """Return sessions not yet ended, through the due index (no SCAN)."""
    return [session for session, _ in open_sessions_for(now, "")]


def open_sessions_for(now: float, school_number: str) -> list[tuple[LiveSession, bool]]:
    """Return open sessions, each with whether the student is on its roster (two round trips)."""
    conn = client()
    sids = [sid.decode() for sid in conn.zrangebyscore(DUE_KEY, now, "+inf")]
    if not sids:
        return []
    with conn.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.hgetall(_key(sid, "meta"))
            pipe.hexists(_key(sid, "roster"), school_number)
        replies = pipe.execute()
    pairs = zip(replies[::2], replies[1::2])
    found = [(LiveSession.from_redis(raw), bool(on)) for raw, on in pairs if raw and b"data" in raw]
    return [(session, on) for session, on in found if session.state == OPEN]


def add_to_roster(session: LiveSession, school_number: str, full_name: str) -> None:
    key = _key(session.id, "roster")
    with client().pipeline(transaction=False) as pipe:
        pipe.hset(key, school_number, full_name)
        pipe.expireat(key, session.expire_at)
        pipe.execute()


def on_roster(sid: str, school_number: str) -> bool:
    return bool(client().hexists(_key(sid, "roster"), school_number))


def finish(session: LiveSession, now: float) -> None:
    """Close check-ins at once and make the session due now."""
    conn = client()
    ends = min(session.ends_at, now)
    with conn.pipeline(transaction=True) as pipe:
        pipe.hset(_key(session.id, "meta"), mapping={"state": FINISHED, "ends": repr(ends)})
        pipe.zadd(DUE_KEY, {session.id: ends})
        pipe.execute()
    _release_teacher(conn, session)


def change_end(session: LiveSession, ends_at: float) -> None:
    """Move the end time, keeping the due index and every TTL in step."""
    session.ends_at = ends_at
    conn = client()
    with conn.pipeline(transaction=True) as pipe:
        pipe.hset(_key(session.id, "meta"), "ends", repr(ends_at))
        pipe.zadd(DUE_KEY, {session.id: ends_at})
        for part in LIVE_PARTS:
            pipe.expireat(_key(session.id, part), session.expire_at)
        pipe.expireat(_teacher_key(session.teacher_number), session.expire_at)
        pipe.execute()


def _release_teacher(conn: redis.Redis, session: LiveSession) -> None:
    # Only drop the pointer if it still points at this session.
    key = _teacher_key(session.teacher_number)
    with conn.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(key)
            if pipe.get(key) == session.id.encode():
                pipe.multi()
                pipe.delete(key)
                pipe.execute()
        except redis.WatchError:
            pass


# Check-in: open?  → record exists? (a rejected one may be replaced) → device
# rule → write.  One script, so double taps and shared devices race safely.
_CHECK_IN_LUA = """
local meta, records, devices, attempts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local number, record, device, now, expire_at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local state = redis.call('HGET', meta, 'state')
if not state then return {'missing', ''} end
if state ~= 'open' or now >= tonumber(redis.call('HGET', meta, 'ends')) then return {'closed', ''} end
if tonumber(redis.call('HGET', attempts, number) or '0') >= tonumber(ARGV[6]) then return {'locked', ''} end
local existing = redis.call('HGET', records, number)
local new = cjson.decode(record)
if existing then
  local old = cjson.decode(existing)
  if old['status'] ~= 'rejected' or new['status'] == 'rejected' or old['by_teacher'] then
    return {'exists', existing}
  end
end
if device ~= '' then
  local owner = redis.call('HGET', devices, device)
  if owner and owner ~= number then
    new['status'] = 'rejected'
    new['reason'] = 'This phone was already used to check in another student.'
    table.insert(new['flags'], 'shared_device')
    record = cjson.encode(new)
  else
    redis.call('HSET', devices, device, number)
    redis.call('EXPIREAT', devices, expire_at)
  end
end
redis.call('HSET', records, number, record)
redis.call('EXPIREAT', records, expire_at)
return {'ok', record}
"""

# Teacher corrections: only while the session has not been handed to the sweep.
_SET_RECORD_LUA = """
local meta, records = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'state') ~= 'open' then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', records, ARGV[1])
else
  redis.call('HSET', records, ARGV[1], ARGV[2])
  redis.call('EXPIREAT', records, ARGV[3])
end
return 1
"""

_scripts: dict[tuple[str, str], redis.commands.core.Script] = {}


def _script(source: str):
    key = (settings.LIVE_REDIS_URL, source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = client().register_script(source)
    return script


def check_in(session: LiveSession, record: dict, device: str, now: float) -> tuple[str, dict | None]:
    """Atomically write a student's check-in; return (outcome, stored record).

    outcome is "ok", "exists" (the student already has a record), "locked"
    (too many wrong codes), "closed" or "missing".  The device rule may turn
    the record into a rejected one.
    """
    device = device if session.one_device_per_student else ""
    keys = [_key(session.id, part) for part in ("meta", "records", "devices", "attempts")]
    limit = settings.CHECKIN_MAX_WRONG_CODES
    args = [record["school_number"], json.dumps(record), device, repr(now), session.expire_at, limit]
    outcome, stored = _script(_CHECK_IN_LUA)(keys=keys, args=args)
    return outcome.decode(), json.loads(stored) if stored else None


def set_record(session: LiveSession, record: dict) -> bool:
    """Write a record on the teacher's behalf; False once the session is finished."""
    keys = [_key(session.id, "meta"), _key(session.id, "records")]
    return bool(
        _script(_SET_RECORD_LUA)(keys=keys, args=[record["school_number"], json.dumps(record), session.expire_at])
    )


def remove_record(session: LiveSession, school_number: str) -> bool:
    keys = [_key(session.id, "meta"), _key(session.id, "records")]
    return bool(_script(_SET_RECORD_LUA)(keys=keys, args=[school_number, "", session.expire_at]))


def get_records(sid: str) -> dict[str, dict]:
    raw = client().hgetall(_key(sid, "records"))
    return {number.decode(): json.loads(value) for number, value in raw.items()}


def get_record(sid: str, school_number: str) -> dict | None:
    raw = client().hget(_key(sid, "records"), school_number)
    return json.loads(raw) if raw else None


def count_records(sid: str) -> int:
    return client().hlen(_key(sid, "records"))


def count_wrong_codes(sessions: list[LiveSession], school_number: str) -> list[int]:
    """Count one wrong code against several sessions in one round trip; return each total."""
    with client().pipeline(transaction=False) as pipe:
        for session in sessions:
            key = _key(session.id, "attempts")
            pipe.hincrby(key, school_number, 1)
            pipe.expireat(key, session.expire_at)
        results = pipe.execute()
    return results[::2]


def wrong_codes(session: LiveSession, school_number: str) -> int:
    value = client().hget(_key(session.id, "attempts"), school_number)
    return int(value) if value else 0


# --- the sweep's side -------------------------------------------------------


def due_session_ids(now: float, limit: int | None = None) -> list[str]:
    args = {"start": 0, "num": limit} if limit else {}
    return [sid.decode() for sid in client().zrangebyscore(DUE_KEY, "-inf", now, **args)]


def count_due(now: float) -> int:
    return client().zcount(DUE_KEY, "-inf", now)


def oldest_due_end() -> float | None:
    first = client().zrange(DUE_KEY, 0, 0, withscores=True)
    return first[0][1] if first else None


def claim(sid: str, token: str) -> bool:
    """Claim a session for one sweeper; the claim expires if that sweeper dies."""
    return bool(client().set(_key(sid, "claim"), token, nx=True, ex=settings.SWEEP_CLAIM_SECONDS))


_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def release(sid: str, token: str) -> None:
    _script(_RELEASE_LUA)(keys=[_key(sid, "claim")], args=[token])


# Closing and reading in one script: a session that ended by the clock is still
# "open", and a teacher's correction written after the read would be lost.
_LOAD_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'state', 'finished') end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
"""


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def load(sid: str) -> tuple[dict, dict[bytes, bytes]]:
    """Close a session to corrections and return its raw meta and records hashes."""
    meta, records = _script(_LOAD_LUA)(keys=[_key(sid, "meta"), _key(sid, "records")])
    return _pairs(meta), _pairs(records)


def delete_session(sid: str) -> None:
    """Drop every key of a persisted session and its due-index entry."""
    with client().pipeline(transaction=True) as pipe:
        pipe.delete(*_session_keys(sid))
        pipe.zrem(DUE_KEY, sid)
        pipe.execute()


# HINCRBY on a meta that has expired meanwhile would recreate it without a TTL.
_COUNT_FAILURE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'failures', 1)
"""


def count_failure(sid: str) -> int:
    """Count one failed sweep of a session; return its total (0 if the session is gone)."""
    return _script(_COUNT_FAILURE_LUA)(keys=[_key(sid, "meta")])


def dead_letter(sid: str, error: str) -> None:
    """Move a session the sweep cannot persist out of the way, keeping all of it."""
    meta, records = load(sid)
    payload = {
        "meta": {k.decode(): v.decode() for k, v in meta.items()},
        "records": {k.decode(): v.decode() for k, v in records.items()},
        "error": error,
        "dead_at": time.time(),
    }
    with client().pipeline(transaction=True) as pipe:
        pipe.hset(DEAD_KEY, sid, json.dumps(payload))
        pipe.delete(*_session_keys(sid))
        pipe.zrem(DUE_KEY, sid)
        pipe.execute()


def dead_letters() -> dict[str, dict]:
    return {sid.decode(): json.loads(v) for sid, v in client().hgetall(DEAD_KEY).items()}


def requeue_dead_letter(sid: str) -> bool:
    """Put a dead-lettered session back in the due index for another try."""
    raw = client().hget(DEAD_KEY, sid)
    if raw is None:
        return False
    payload = json.loads(raw)
    meta = payload["meta"]
    expire_at = int(time.time()) + settings.LIVE_GRACE_DAYS * 86400
    with client().pipeline(transaction=True) as pipe:
        pipe.hset(_key(sid, "meta"), mapping={**meta, "failures": 0})
        pipe.expireat(_key(sid, "meta"), expire_at)
        if payload["records"]:
            pipe.hset(_key(sid, "records"), mapping=payload["records"])
            pipe.expireat(_key(sid, "records"), expire_at)
        pipe.zadd(DUE_KEY, {sid: float(meta.get("ends", 0))})
        pipe.hdel(DEAD_KEY, sid)
        pipe.execute()
    return True


def ttl_of(sid: str) -> dict[str, int]:
    """Return the TTL in seconds of each existing key of a session (for checks)."""
    with client().pipeline(transaction=False) as pipe:
        for key in _session_keys(sid):
            pipe.ttl(key)
        ttls = pipe.execute()
    return {key.rsplit(":", 1)[1]: ttl for key, ttl in zip(_session_keys(sid), ttls) if ttl != -2}
