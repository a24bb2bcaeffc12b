"""Live attendance state in Redis: the only module that builds a Redis key.

Layout.  Sessions fall into ``GROUPS`` slot groups; the keys of a group share
one hash tag ``{g}`` (so one Redis Cluster slot), and a session sits in its
teacher's group (``new_session_id``), so that every script and transaction
touches one slot:

    attn:{g}:{sid}:meta       hash  data (JSON meta), state, ends, failures
    attn:{g}:{sid}:records    hash  school number -> record JSON
    attn:{g}:{sid}:devices    hash  device id -> school number
    attn:{g}:{sid}:attempts   hash  school number -> wrong codes typed
    attn:{g}:{sid}:enrolled   hash  enrolled school number -> full name (copied at start)
    attn:{g}:{sid}:links      hash  digest of a QR link's browser nonce -> the student who used it
    attn:{g}:{sid}:claim      str   token of the sweeper working on it (EX)
    attn:{g}:due              zset  the group's sids scored by end time (the sweep's index)
    attn:{g}:teacher:{number} str   the teacher's open session (EXAT)
    attn:{g}:dead             hash  sid -> JSON of a session the sweep gave up on
    attn:guess:{who}          hash  wrong codes of a student or client address: fails, window_end, strikes, until

Every per-session key expires at end + LIVE_GRACE_DAYS; only the due indexes
and the dead letters have no TTL.  ``attn`` is LIVE_KEY_PREFIX (tests give
each test its own).  The Redis wire format stays in this module: callers get
``LiveSession`` objects and record dicts.

On one Redis (or Sentinel) a typed code's check-in is one script across
groups; on a Redis Cluster (LIVE_REDIS_CLUSTER_NODES) it reads the other
groups first, then writes with a one-slot script (``check_in_by_code``).
"""

from __future__ import annotations

import functools
import json
import time
import uuid
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

import redis
import redis.cluster
from django.conf import settings
from django_redis import get_redis_connection
from redis.cluster import ClusterNode
from redis.crc import key_slot

from . import clock, scripts

# What a caller sees when Redis cannot take the request: unreachable, or out of
# memory under noeviction (the pages answer 503 for these; nothing was written).
# On a cluster, mid-failover: CLUSTERDOWN from the nodes, a slot the client knows no primary for, the
# client's own retries running out (ClusterError), TRYAGAIN while a slot moves.
UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ClusterError,
    redis.exceptions.SlotNotCoveredError,
    redis.exceptions.TryAgainError,
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means Redis cannot take requests now (a script hitting OOM reports it as text)."""
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, redis.ResponseError) and "OOM command not allowed" in str(exc)


LIVE_ALIAS = "live"
OPEN = "open"
FINISHED = "finished"


def client() -> redis.Redis:
    """Return the Redis client for live state.

    django-redis's ``live`` alias (LIVE_REDIS_URL, or Sentinel): its own
    connection pool, so a cache or login-session flood on another server
    cannot crowd out check-ins; the same server by default.  With
    LIVE_REDIS_CLUSTER_NODES, redis-py's cluster client instead (one per
    process), which follows the cluster's slots and failovers.
    """
    nodes = settings.LIVE_REDIS_CLUSTER_NODES
    if nodes:
        return _cluster_client(tuple(nodes))
    return get_redis_connection(LIVE_ALIAS)


def is_cluster() -> bool:
    return bool(settings.LIVE_REDIS_CLUSTER_NODES)


@functools.cache
def _cluster_client(nodes: tuple[str, ...]) -> redis.cluster.RedisCluster:
    """The process's cluster client (kept once it has reached the cluster; tried again otherwise)."""
    startup = [ClusterNode(host, int(port)) for host, port in (node.rsplit(":", 1) for node in nodes)]
    try:
        return redis.cluster.RedisCluster(
            startup_nodes=startup,
            socket_connect_timeout=2,
            socket_timeout=5,
            client_name="attn-live",
            health_check_interval=30,
        )
    except redis.exceptions.RedisClusterException as exc:  # no node answered: as unavailable as a down server
        raise redis.ConnectionError(str(exc)) from exc


def _location() -> str:
    """Which Redis the live client talks to (caches of scripts and snapshots are per server)."""
    return ",".join(settings.LIVE_REDIS_CLUSTER_NODES) or settings.CACHES[LIVE_ALIAS]["LOCATION"]


def _reads(calls: list[tuple[str, str, tuple, dict]]) -> list:
    """Run read commands — each ``(method, key, args, kwargs)`` — in one round trip per server.

    One Redis: one pipeline.  A cluster: one plain pipeline per primary, by
    the client's slot map (redis-py's cluster pipeline works out each
    command's node anew, which cost more than the reads themselves:
    ``make bench-cluster``); when the cluster answers that a slot moved or a
    node is gone, redis-py's cluster pipeline, which follows and refreshes.
    """
    conn = client()
    if is_cluster():
        try:
            return _reads_per_primary(conn, calls)
        except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError, redis.exceptions.SlotNotCoveredError):
            pass
    with conn.pipeline(transaction=False) as pipe:
        for name, _key, args, kwargs in calls:
            getattr(pipe, name)(*args, **kwargs)
        return pipe.execute()


def _reads_per_primary(conn: redis.cluster.RedisCluster, calls) -> list:
    by_node: dict[str, tuple[ClusterNode, list]] = {}
    for index, (name, key, args, kwargs) in enumerate(calls):
        node = conn.get_node_from_key(key)
        by_node.setdefault(node.name, (node, []))[1].append((index, name, args, kwargs))
    results: list = [None] * len(calls)
    for node, items in by_node.values():
        with conn.get_redis_connection(node).pipeline(transaction=False) as pipe:
            for _, name, args, kwargs in items:
                getattr(pipe, name)(*args, **kwargs)
            for item, value in zip(items, pipe.execute()):
                results[item[0]] = value
    return results


def _read(name: str, key: str, *args, **kwargs) -> tuple[str, str, tuple, dict]:
    """A read command on ``key`` for ``_reads``."""
    return name, key, (key, *args), kwargs


def _read_script(source: str, keys: list[str], *args) -> tuple[str, str, tuple, dict]:
    """A read-only script for ``_reads``, its keys in one slot (EVAL: the server caches it by its digest)."""
    return "eval", keys[0], (source, len(keys), *keys, *args), {}


# --- the key layout -----------------------------------------------------------

GROUPS = 16  # one hex digit of the session id; fixed, so a session's keys never move


def _group_tags() -> tuple[str, ...]:
    """One hash tag per group, each in its own sixteenth of the 16,384 cluster slots.

    A cluster's primaries own contiguous slot ranges (``--cluster create``
    splits them evenly), so the groups, and the live load, spread over up to
    16 primaries as evenly as they can.
    """
    tags = []
    for group in range(GROUPS):
        n = 0
        while key_slot(f"{group:x}.{n}".encode()) * GROUPS // 16384 != group:
            n += 1
        tags.append(f"{group:x}.{n}")
    return tuple(tags)


GROUP_TAGS = _group_tags()


def teacher_group(school_number: str) -> int:
    return zlib.crc32(school_number.encode()) % GROUPS


def session_group(sid: str) -> int:
    """A session's group: the last hex digit of its id (any other text, an id typed by hand: a hash of it)."""
    last = sid[-1:].lower()
    return int(last, 16) if last and last in "0123456789abcdef" else zlib.crc32(sid.encode()) % GROUPS


def new_session_id(teacher_number: str) -> str:
    """A random UUID whose group is the teacher's, so the session's keys share a slot with the teacher's."""
    digits = uuid.uuid4().hex
    return str(uuid.UUID(digits[:-1] + f"{teacher_group(teacher_number):x}"))


def _group_base(group: int) -> str:
    return f"{settings.LIVE_KEY_PREFIX}:{{{GROUP_TAGS[group]}}}:"


@dataclass(frozen=True)
class SessionKeys:
    """The Redis keys of one live session (one hash tag, so one cluster slot)."""

    meta: str
    records: str
    devices: str
    attempts: str
    enrolled: str
    links: str
    claim: str
    due: str
    dead: str

    @property
    def expiring(self) -> tuple[str, ...]:
        """The keys that live until the session's end plus the grace period."""
        return (self.meta, self.records, self.devices, self.attempts, self.enrolled, self.links)

    @property
    def all(self) -> tuple[str, ...]:
        """The session's own keys (not its group's due index and dead letters)."""
        return (*self.expiring, self.claim)


def session_keys(sid: str) -> SessionKeys:
    """Return the key layout of a session (the one place that names its keys)."""
    base = _group_base(session_group(sid))
    parts = ("meta", "records", "devices", "attempts", "enrolled", "links", "claim")
    return SessionKeys(*(f"{base}{sid}:{part}" for part in parts), due=base + "due", dead=base + "dead")


def due_keys() -> list[str]:
    """The sorted sets of sessions by end time, one per group: the sweep's index."""
    return [_group_base(group) + "due" for group in range(GROUPS)]


def dead_keys() -> list[str]:
    """The hashes of sessions the sweep gave up on, one per group, kept until someone requeues them."""
    return [_group_base(group) + "dead" for group in range(GROUPS)]


def guess_key(subject: str) -> str:
    """Wrong codes of one student (``student:<number>``) or client address (``ip:<address>``), all sessions."""
    return f"{settings.LIVE_KEY_PREFIX}:guess:{subject}"


def teacher_key(school_number: str) -> str:
    """The pointer to a teacher's open session, in the teacher's group."""
    return f"{_group_base(teacher_group(school_number))}teacher:{school_number}"


def expire_at(ends_at: float) -> int:
    """When a session's keys expire: its end plus the grace period."""
    return int(ends_at) + settings.LIVE_GRACE_DAYS * 86400


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
    secret: str = ""
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
    photo_check: bool = False
    remote: bool = False  # a hybrid session: remote students check in through the teacher's remote link
    state: str = OPEN

    @classmethod
    def _from_redis(cls, raw: dict) -> LiveSession:
        data = json.loads(raw[b"data"])
        data["state"] = raw.get(b"state", OPEN.encode()).decode()
        data["ends_at"] = float(raw.get(b"ends", data["ends_at"]))
        return cls(**data)

    @property
    def expire_at(self) -> int:
        return expire_at(self.ends_at)

    @property
    def starts_dt(self) -> datetime:
        return clock.to_datetime(self.starts_at)

    @property
    def ends_dt(self) -> datetime:
        return clock.to_datetime(self.ends_at)

    @property
    def title(self) -> str:
        return f"{self.course_code} · {self.lesson_name}" if self.course_code else self.lesson_name

    def is_open(self, now: float) -> bool:
        return self.state == OPEN and self.starts_at <= now < self.ends_at

    def has_started(self, now: float) -> bool:
        return self.starts_at <= now

    @property
    def started(self) -> bool:
        """Whether check-ins have opened by now (for pages)."""
        return self.has_started(clock.now())


def create_session(session: LiveSession, enrolled: dict[str, str] | None = None) -> str | None:
    """Store a new session and its enrolled students; return the teacher's other open session id if any.

    The enrolled snapshot (school number → full name, read once at the start)
    lets check-ins and the live roster run without a database query.
    """
    if session_group(session.id) != teacher_group(session.teacher_number):
        raise ValueError("a session's id must come from new_session_id(its teacher) to share the teacher's slot")
    pointer = teacher_key(session.teacher_number)
    keys = session_keys(session.id)
    data = asdict(session)
    data.pop("state")
    # The pointer and the meta are written in one transaction that fails if the
    # pointer changed since it was read: of two simultaneous starts (a double
    # click) one wins, and the other then finds the winner complete.
    while True:
        with client().pipeline(transaction=True) as pipe:
            try:
                pipe.watch(pointer)
                other = pipe.get(pointer)
                other_session = get_session(other.decode()) if other else None
                # A session past its end is over even before the sweep has persisted it.
                if other_session and other_session.state == OPEN and other_session.ends_at > clock.now():
                    return other_session.id
                pipe.multi()
                pipe.set(pointer, session.id, exat=session.expire_at)
                pipe.hset(keys.meta, mapping={"data": json.dumps(data), "state": OPEN, "ends": repr(session.ends_at)})
                pipe.expireat(keys.meta, session.expire_at)
                pipe.zadd(keys.due, {session.id: session.ends_at})
                if enrolled:
                    pipe.hset(keys.enrolled, mapping=enrolled)
                    pipe.expireat(keys.enrolled, session.expire_at)
                pipe.execute()
                return None
            except redis.WatchError:
                continue


def get_session(sid: str) -> LiveSession | None:
    raw = client().hgetall(session_keys(sid).meta)
    if not raw or b"data" not in raw:
        return None
    return LiveSession._from_redis(raw)


def teacher_open_session_id(school_number: str) -> str | None:
    value = client().get(teacher_key(school_number))
    return value.decode() if value else None


def open_sessions(now: float) -> list[LiveSession]:
    """Return sessions not yet ended, through the due index (no SCAN)."""
    return [seen.session for seen in open_sessions_for(now, "", "").sessions]


@dataclass
class SeenSession:
    """An open session as one student's check-in sees it."""

    session: LiveSession
    enrolled: bool  # in the snapshot of enrolled students taken at the start
    device_owner: str | None  # who checked in with this device in it, if anyone
    record: dict | None = None  # the student's own record there, if any


@dataclass
class StudentView:
    sessions: list[SeenSession]
    locked_until: float  # the student's wrong-code lock-out across all sessions (0: none)


def open_sessions_for(now: float, school_number: str, device: str = "") -> StudentView:
    """Return the open sessions as a student sees them, and their lock-out (two round trips)."""
    sids = [sid for group in _read_due(now, "+inf") for sid, _ in group]
    if not (sids or school_number):
        return StudentView(sessions=[], locked_until=0)
    calls = [_read("hget", guess_key(f"student:{school_number}"), "until")]
    for sid in sids:
        keys = session_keys(sid)
        calls += [
            _read("hgetall", keys.meta),
            _read("hexists", keys.enrolled, school_number),
            _read("hget", keys.devices, device or "-"),
            _read("hget", keys.records, school_number or "-"),
        ]
    locked, *replies = _reads(calls)
    seen = []
    for raw, on, owner, mine in zip(replies[::4], replies[1::4], replies[2::4], replies[3::4]):
        if raw and b"data" in raw:
            session = LiveSession._from_redis(raw)
            if session.state == OPEN:
                record = json.loads(mine) if mine else None
                seen.append(SeenSession(session, bool(on), owner.decode() if owner else None, record))
    _keep_snapshot([s.session for s in seen])  # a fresh read: the typed codes' snapshot need not wait
    return StudentView(sessions=seen, locked_until=float(locked or 0))


def add_enrolled(session: LiveSession, school_number: str, full_name: str) -> None:
    """Add a student enrolled since the start to the session's snapshot."""
    key = session_keys(session.id).enrolled
    with client().pipeline(transaction=False) as pipe:
        pipe.hset(key, school_number, full_name)
        pipe.expireat(key, session.expire_at)
        pipe.execute()


def use_link(session: LiveSession, link: str, school_number: str) -> bool:
    """Record that a student used a check-in link; False if another student used it first."""
    keys = [session_keys(session.id).links]
    return bool(_script(scripts.USE_LINK_LUA)(keys=keys, args=[link, school_number, session.expire_at]))


def is_enrolled(sid: str, school_number: str) -> bool:
    return bool(client().hexists(session_keys(sid).enrolled, school_number))


def finish(session: LiveSession, now: float) -> bool:
    """Close check-ins at once and make the session due now; False if it was no longer open."""
    own = session_keys(session.id)
    keys = [own.meta, own.due, teacher_key(session.teacher_number)]
    return bool(_script(scripts.FINISH_LUA)(keys=keys, args=[repr(now), session.id]))


def change_end(session: LiveSession, ends_at: float) -> bool:
    """Move the end time, keeping the due index and every TTL in step; False if no longer open."""
    keys = session_keys(session.id)
    script_keys = [keys.meta, keys.due, *keys.expiring[1:], teacher_key(session.teacher_number)]
    done = _script(scripts.CHANGE_END_LUA)(keys=script_keys, args=[repr(ends_at), expire_at(ends_at), session.id])
    if done:
        session.ends_at = ends_at
    return bool(done)


_scripts: dict[tuple[str, str], redis.commands.core.Script] = {}


def _script(source: str):
    key = (_location(), source)
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
    keys = session_keys(session.id)
    limit = settings.CHECKIN_MAX_WRONG_CODES
    args = [record["school_number"], json.dumps(record), device, repr(now), session.expire_at, limit]
    outcome, stored = _script(scripts.CHECK_IN_LUA)(
        keys=[keys.meta, keys.records, keys.devices, keys.attempts], args=args
    )
    return _acknowledged(outcome.decode(), keys.meta), json.loads(stored) if stored else None


UNREPLICATED = "unreplicated"


def _acknowledged(outcome: str, written: str) -> str:
    """A written check-in ("ok", or "exists" on a retry) counts only once CHECKIN_REPLICA_ACKS replicas hold
    it (Redis's WAIT): a primary that dies then loses nothing the student was told. Else UNREPLICATED.

    ``written``: a key of the session written to (on a cluster, WAIT goes to the primary that holds it).
    """
    acks = settings.CHECKIN_REPLICA_ACKS
    if not acks or outcome not in ("ok", "exists"):
        return outcome
    conn = client()
    try:
        target = {"target_nodes": conn.get_node_from_key(written)} if is_cluster() else {}
        held = conn.execute_command("WAIT", acks, settings.CHECKIN_REPLICA_WAIT_MS, **target)
    except (redis.RedisError, redis.exceptions.RedisClusterException):
        return UNREPLICATED
    return outcome if held >= acks else UNREPLICATED


def check_in_by_code(
    candidates: list[tuple[LiveSession, dict]], school_number: str, device: str, now: float, *, open_ids, elsewhere: str
) -> tuple[LiveSession | None, str, dict | None]:
    """A typed code's check-in: the student's wrong-code lock-out, then the first candidate whose enrolled
    snapshot holds the student (or that has no course), then whether this phone checked in to another open
    session (a soft flag: ``elsewhere`` is added to the reason), then the write.

    ``candidates``: the open sessions whose code matched, each with the record
    to write there.  Returns (the session written to, outcome, stored record);
    outcome is one of ``check_in``'s, or "guess_locked" / "not_enrolled"
    (nothing written: the caller takes the full path).

    One round trip (``scripts.CHECK_IN_BY_CODE_LUA``) on one Redis; on a
    cluster, where a script touches one slot, one pipeline of reads and then
    the one-slot check-in script.
    """
    if is_cluster():
        return _check_in_by_code_per_slot(candidates, school_number, device, now, open_ids, elsewhere)
    keys = [guess_key(f"student:{school_number}")]
    args = [school_number, device, repr(now), settings.CHECKIN_MAX_WRONG_CODES, len(candidates), elsewhere]
    for session, record in candidates:
        k = session_keys(session.id)
        keys += [k.meta, k.records, k.devices, k.attempts, k.enrolled]
        one_device = "1" if session.one_device_per_student else "0"
        args += [json.dumps(record), session.expire_at, "1" if session.course_id else "0", one_device]
    keys += [session_keys(sid).devices for sid in open_ids]
    chosen, outcome, stored = _script(scripts.CHECK_IN_BY_CODE_LUA)(keys=keys, args=args)
    session = candidates[chosen - 1][0] if chosen else None
    written = session_keys(session.id).meta if session else keys[0]
    return session, _acknowledged(outcome.decode(), written), json.loads(stored) if stored else None


def _check_in_by_code_per_slot(candidates, school_number, device, now, open_ids, elsewhere):
    """``check_in_by_code`` on a Redis Cluster: the same decisions, with the reads in one pipeline first.

    The reads need no atomicity with the write: the lock-out and the flag are
    as of a moment earlier, and the write itself (open?, already in?, the
    device rule) is the session's own atomic script.
    """
    calls = [_read("hget", guess_key(f"student:{school_number}"), "until")]
    calls += [_read("hexists", session_keys(session.id).enrolled, school_number) for session, _ in candidates]
    # Which open sessions the phone checked in to, one script per slot group: as many reads as groups
    # (at most 16) however many sessions are open.
    if device:
        by_group: dict[int, list[str]] = {}
        for sid in open_ids:
            by_group.setdefault(session_group(sid), []).append(session_keys(sid).devices)
        calls += [_read_script(scripts.ANY_HAS_FIELD_LUA, keys, device) for keys in by_group.values()]
    locked, *found = _reads(calls)
    if float(locked or 0) > now:
        return None, "guess_locked", None
    on_roster, hits = found[: len(candidates)], found[len(candidates) :]
    chosen = next(
        ((session, record) for (session, record), on in zip(candidates, on_roster) if on or not session.course_id),
        None,
    )
    if chosen is None:
        return None, "not_enrolled", None
    session, record = chosen
    mine = session_keys(session.id).devices
    used_elsewhere = any(key.decode() != mine for hit in hits for key in hit)
    if device and session.one_device_per_student and used_elsewhere:
        record = {
            **record,
            "flags": [*record["flags"], "device_elsewhere"],
            "reason": f"{record['reason']} {elsewhere}" if record["reason"] else elsewhere,
        }
    outcome, stored = check_in(session, record, device, now)
    return session, outcome, stored


_open_snapshots: dict[tuple[str, str], tuple[float, list[LiveSession]]] = {}


def _snapshot_key() -> tuple[str, str]:
    return _location(), settings.LIVE_KEY_PREFIX


def _keep_snapshot(sessions: list[LiveSession]) -> None:
    _open_snapshots[_snapshot_key()] = (time.monotonic(), sessions)


def open_sessions_snapshot(now: float) -> list[LiveSession]:
    """The open sessions as this process read them at most CHECKIN_OPEN_SESSIONS_MAX_AGE seconds ago.

    A session's code secret and settings never change while it is open; what
    does (finished, a new end) the check-in script reads again, and a session
    started since the snapshot sends the check-in down the full path, whose
    fresh read of the open sessions becomes the new snapshot.
    """
    taken = _open_snapshots.get(_snapshot_key())
    if taken is not None and time.monotonic() - taken[0] < settings.CHECKIN_OPEN_SESSIONS_MAX_AGE:
        return taken[1]
    return open_sessions(now)  # which keeps its answer as the snapshot


def set_record(session: LiveSession, record: dict) -> bool:
    """Write a record on the teacher's behalf; False once the session is finished."""
    keys = session_keys(session.id)
    args = [record["school_number"], json.dumps(record), session.expire_at]
    return bool(_script(scripts.SET_RECORD_LUA)(keys=[keys.meta, keys.records], args=args))


def remove_record(session: LiveSession, school_number: str) -> bool:
    keys = session_keys(session.id)
    return bool(
        _script(scripts.SET_RECORD_LUA)(keys=[keys.meta, keys.records], args=[school_number, "", session.expire_at])
    )


def get_records(sid: str) -> dict[str, dict]:
    raw = client().hgetall(session_keys(sid).records)
    return {number.decode(): json.loads(value) for number, value in raw.items()}


def get_records_and_wrong_codes(sid: str) -> tuple[dict[str, dict], dict[str, int]]:
    """The records and the wrong codes typed per student, in one round trip (the live roster's read)."""
    keys = session_keys(sid)
    with client().pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.records)
        pipe.hgetall(keys.attempts)
        records, attempts = pipe.execute()
    return (
        {number.decode(): json.loads(value) for number, value in records.items()},
        {number.decode(): int(count) for number, count in attempts.items()},
    )


def get_record(sid: str, school_number: str) -> dict | None:
    raw = client().hget(session_keys(sid).records, school_number)
    return json.loads(raw) if raw else None


def count_records(sid: str) -> int:
    return client().hlen(session_keys(sid).records)


VERIFIED = ("present", "late", "excused", "remote")


def count_verified(sid: str) -> int:
    """Records that count on the projector of a photo-check session: not pending, not rejected."""
    return sum(json.loads(raw).get("status") in VERIFIED for raw in client().hvals(session_keys(sid).records))


def get_record_raw(sid: str, school_number: str) -> bytes | None:
    """A record as stored, for ``replace_record`` to compare against."""
    return client().hget(session_keys(sid).records, school_number)


def replace_record(sid: str, school_number: str, old: bytes, record: dict) -> str:
    """Write ``record`` only if the stored one is still ``old`` (the worker's photo result).

    Returns "ok", "changed" (someone wrote it since: read again), "gone" (no
    such record: the session was persisted, or the teacher removed it) or
    "busy" (a sweeper is persisting the session right now).
    """
    keys = session_keys(sid)
    result = _script(scripts.REPLACE_RECORD_LUA)(
        keys=[keys.records, keys.claim], args=[school_number, old, json.dumps(record)]
    )
    return result.decode()


def count_wrong_codes(sessions: list[LiveSession], school_number: str) -> list[int]:
    """Count one wrong code against several sessions; return each total.

    One round trip on one Redis; on a cluster one script per slot group.
    """
    by_slot: dict[int, list[LiveSession]] = {}
    for session in sessions:
        by_slot.setdefault(session_group(session.id) if is_cluster() else 0, []).append(session)
    totals: dict[str, int] = {}
    for group in by_slot.values():
        keys = [session_keys(s.id).attempts for s in group]
        args = [school_number, *(s.expire_at for s in group)]
        totals.update(zip((s.id for s in group), _script(scripts.COUNT_WRONG_LUA)(keys=keys, args=args)))
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
    return float(_script(scripts.GUESS_LUA)(keys=[guess_key(subject)], args=args))


def guess_locked_until(subject: str) -> float:
    """When a student's or address's wrong-code lock-out ends (0: not locked)."""
    return float(client().hget(guess_key(subject), "until") or 0)


# --- the sweep's side -------------------------------------------------------


def _read_due(low, high, limit: int | None = None) -> list[list[tuple[str, float]]]:
    """Each group's due index between two end times (one pipeline: one round trip, one per node on a cluster)."""
    args = {"start": 0, "num": limit} if limit else {}
    groups = _reads([_read("zrangebyscore", key, low, high, withscores=True, **args) for key in due_keys()])
    return [[(sid.decode(), score) for sid, score in group] for group in groups]


def due_session_ids(now: float, limit: int | None = None) -> list[str]:
    """The sessions due by ``now``, earliest end first, across the groups."""
    due = sorted((item for group in _read_due("-inf", now, limit) for item in group), key=lambda item: item[1])
    return [sid for sid, _ in (due[:limit] if limit else due)]


def count_due(now: float) -> int:
    return sum(_reads([_read("zcount", key, "-inf", now) for key in due_keys()]))


def oldest_due_end() -> float | None:
    firsts = [
        group[0][1] for group in _reads([_read("zrange", key, 0, 0, withscores=True) for key in due_keys()]) if group
    ]
    return min(firsts) if firsts else None


def claim(sid: str, token: str) -> bool:
    """Claim a session for one sweeper; the claim expires if that sweeper dies."""
    return bool(client().set(session_keys(sid).claim, token, nx=True, ex=settings.SWEEP_CLAIM_SECONDS))


def release(sid: str, token: str) -> None:
    _script(scripts.RELEASE_LUA)(keys=[session_keys(sid).claim], args=[token])


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def _close_and_read_raw(sid: str) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    keys = session_keys(sid)
    meta, records = _script(scripts.CLOSE_AND_READ_LUA)(keys=[keys.meta, keys.records])
    return _pairs(meta), _pairs(records)


def close_and_read(sid: str) -> tuple[LiveSession | None, list[dict]]:
    """Close a session to corrections and return it with its records (None: its keys are gone).

    Raises ValueError when what is stored cannot be read, so that the sweep
    counts the failure against this session.
    """
    raw_meta, raw_records = _close_and_read_raw(sid)
    if not raw_meta:
        return None, []
    try:
        session = LiveSession._from_redis(raw_meta)
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable meta: {exc!r}") from exc
    return session, _decode_records(raw_records)


def _decode_records(raw: dict[bytes, bytes]) -> list[dict]:
    # One json.loads for the whole hash (each value is one JSON object), not one per record.
    records = json.loads(b"[" + b",".join(raw.values()) + b"]")
    if len(records) != len(raw):
        raise ValueError("a record is not one JSON object")
    for number, record in zip(raw, records):
        if not isinstance(record, dict) or record.get("school_number") != number.decode():
            raise ValueError(f"record key {number!r} does not match its payload")
    return records


def delete_session(sid: str) -> None:
    """Drop every key of a persisted session and its due-index entry."""
    keys = session_keys(sid)
    with client().pipeline(transaction=True) as pipe:
        pipe.delete(*keys.all)
        pipe.zrem(keys.due, sid)
        pipe.execute()


def count_failure(sid: str) -> int:
    """Count one failed sweep of a session; return its total (0 if the session is gone)."""
    return _script(scripts.COUNT_FAILURE_LUA)(keys=[session_keys(sid).meta])


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
    meta, records = _close_and_read_raw(sid)
    payload = {
        "meta": {k.decode(): _without_secrets(v) if k == b"data" else v.decode() for k, v in meta.items()},
        "records": {k.decode(): v.decode() for k, v in records.items()},
        "error": error,
        "dead_at": clock.now(),
    }
    keys = session_keys(sid)
    with client().pipeline(transaction=True) as pipe:
        pipe.hset(keys.dead, sid, json.dumps(payload))
        pipe.delete(*keys.all)
        pipe.zrem(keys.due, sid)
        pipe.execute()


def dead_letters() -> dict[str, dict]:
    groups = _reads([_read("hgetall", key) for key in dead_keys()])
    return {sid.decode(): json.loads(v) for group in groups for sid, v in group.items()}


def requeue_dead_letter(sid: str) -> bool:
    """Put a dead-lettered session back in the due index for another try."""
    keys = session_keys(sid)
    raw = client().hget(keys.dead, sid)
    if raw is None:
        return False
    payload = json.loads(raw)
    meta = payload["meta"]
    expires = expire_at(clock.now())
    with client().pipeline(transaction=True) as pipe:
        pipe.hset(keys.meta, mapping={**meta, "failures": 0})
        pipe.expireat(keys.meta, expires)
        if payload["records"]:
            pipe.hset(keys.records, mapping=payload["records"])
            pipe.expireat(keys.records, expires)
        pipe.zadd(keys.due, {sid: float(meta.get("ends", 0))})
        pipe.hdel(keys.dead, sid)
        pipe.execute()
    return True


# --- the layout before slot groups --------------------------------------------

_PARTS = ("meta", "records", "devices", "attempts", "enrolled", "links", "claim")


def previous_layout_count() -> int:
    """Sessions (live or dead-lettered) still stored as the previous version stored them (0 on a cluster)."""
    if is_cluster():
        return 0
    prefix = settings.LIVE_KEY_PREFIX
    with client().pipeline(transaction=False) as pipe:
        pipe.zcard(f"{prefix}:due")
        pipe.hlen(f"{prefix}:dead")
        return sum(pipe.execute())


def adopt_previous_layout() -> int:
    """Move the sessions the previous version stored (one ``attn:due``, keys tagged by the session id) into
    their slot groups, with their TTLs, due times, teacher pointers and dead letters; return how many.

    Run once no process of the previous version is left (it would go on writing the old keys):
    ``manage.py adopt_live_layout``, which ``make run`` runs after migrating.  Only a single Redis can hold
    the previous layout (it never ran on a cluster).  Running it again moves nothing.
    """
    if is_cluster():
        return 0
    prefix, conn = settings.LIVE_KEY_PREFIX, client()
    old_due, old_dead = f"{prefix}:due", f"{prefix}:dead"
    moved = 0
    for raw_sid in conn.zrange(old_due, 0, -1):
        sid = raw_sid.decode()
        old = [f"{prefix}:{{{sid}}}:{part}" for part in _PARTS]
        try:
            teacher = json.loads(conn.hget(old[0], "data") or "{}").get("teacher_number", "")
        except (ValueError, AttributeError):
            teacher = ""  # unreadable: moved as it is, for the sweep to set aside
        keys = [*old, *session_keys(sid).all, old_due, session_keys(sid).due]
        keys += [f"{prefix}:teacher:{teacher}", teacher_key(teacher)]
        moved += _script(scripts.ADOPT_LUA)(keys=keys, args=[sid])
    for raw_sid, payload in conn.hgetall(old_dead).items():
        with conn.pipeline(transaction=True) as pipe:
            pipe.hset(session_keys(raw_sid.decode()).dead, raw_sid, payload)
            pipe.hdel(old_dead, raw_sid)
            pipe.execute()
        moved += 1
    return moved
