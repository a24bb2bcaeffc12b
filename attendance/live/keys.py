"""The key layout of the live state: the one place that names a Redis key.

Sessions fall into ``GROUPS`` slot groups; the keys of a group share one
hash tag ``{g}`` (so one Redis Cluster slot), and a session sits in its
teacher's group (``new_session_id``), so that every script and transaction
touches one slot:

    attn:{g}:{sid}:meta       hash  data (JSON meta), state, starts, ends, failures
    attn:{g}:{sid}:records    hash  school number -> record JSON (``records.LiveRecord``)
    attn:{g}:{sid}:devices    hash  device id -> school number
    attn:{g}:{sid}:attempts   hash  school number -> wrong codes typed
    attn:{g}:{sid}:enrolled   hash  enrolled school number -> full name (copied at start)
    attn:{g}:{sid}:links      hash  digest of a QR link's browser nonce -> the student who used it
    attn:{g}:{sid}:changes    list  the teacher's corrections on the live roster (``records.LiveChange``)
    attn:{g}:{sid}:photos     hash  school number -> selfies posted (``checkins.count_photo_upload``)
    attn:{g}:{sid}:faces      hash  school number -> the selfie's face encoding (128 float32, ``checkins.add_face``)
    attn:{g}:{sid}:claim      str   token of the sweeper working on it (EX)
    attn:{g}:{sid}:challenge:{number}  str  the live selfie's challenge to one student (EX, ``challenges``)
    attn:{g}:due              zset  the group's sids scored by end time (the sweep's index)
    attn:{g}:teacher:{number} str   the teacher's open session (EXAT)
    attn:{g}:dead             hash  sid -> JSON of a session the sweep gave up on
    attn:guess:{who}          hash  wrong guesses of one subject: fails, window_end, strikes, until
    attn:once:{kind}:{value}  str   a value used once, e.g. an LTI launch's nonce (EX)
    attn:device:{device}      zset  meta keys of the sessions a device was taken in -> their expire_at
                                    (EXPIREAT the latest; no hash tag: a slot of its own; ``device_key``)

Every per-session key expires at end + LIVE_GRACE_DAYS; only the due indexes
and the dead letters have no TTL.  The per-device index is the "phone used in
another open session" flag's read, whatever the number of sessions open: a
check-in reads and writes the key of its own device only.  ``attn`` is
LIVE_KEY_PREFIX (tests give each test its own).
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from redis.crc import key_slot

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


SESSION_PARTS = (
    "meta",
    "records",
    "devices",
    "attempts",
    "enrolled",
    "links",
    "changes",
    "photos",
    "faces",
    "claim",
)


@dataclass(frozen=True)
class SessionKeys:
    """The Redis keys of one live session (one hash tag, so one cluster slot)."""

    meta: str
    records: str
    devices: str
    attempts: str
    enrolled: str
    links: str
    changes: str
    photos: str
    faces: str
    claim: str
    due: str
    dead: str

    @property
    def expiring(self) -> tuple[str, ...]:
        """The keys that live until the session's end plus the grace period."""
        return (
            self.meta,
            self.records,
            self.devices,
            self.attempts,
            self.enrolled,
            self.links,
            self.changes,
            self.photos,
            self.faces,
        )

    @property
    def all(self) -> tuple[str, ...]:
        """The session's own keys (not its group's due index and dead letters)."""
        return (*self.expiring, self.claim)


def session_keys(sid: str) -> SessionKeys:
    """Return the key layout of a session (worked out once per session: every check-in asks for it)."""
    return _session_keys(settings.LIVE_KEY_PREFIX, sid)


@lru_cache(maxsize=4096)
def _session_keys(prefix: str, sid: str) -> SessionKeys:
    base = _group_base(session_group(sid))
    return SessionKeys(*(f"{base}{sid}:{part}" for part in SESSION_PARTS), due=base + "due", dead=base + "dead")


def due_keys() -> list[str]:
    """The sorted sets of sessions by end time, one per group: the sweep's index."""
    return [_group_base(group) + "due" for group in range(GROUPS)]


def dead_keys() -> list[str]:
    """The hashes of sessions the sweep gave up on, one per group, kept until someone requeues them."""
    return [_group_base(group) + "dead" for group in range(GROUPS)]


def guess_key(subject: str) -> str:
    """Wrong guesses of one subject: a student's codes across sessions (``student:<number>``), QR codes of a
    session (``qr:<sid>``) and of an address in it (``qr:<sid>:<address>``), passwords of an account
    (``login:<number>``) and of a known browser (``login:<number>:<browser>``)."""
    return f"{settings.LIVE_KEY_PREFIX}:guess:{subject}"


def once_key(kind: str, value: str) -> str:
    """A value that may be used once (``once.use_once``): ``lti-nonce`` for an LTI launch's nonce."""
    return f"{settings.LIVE_KEY_PREFIX}:once:{kind}:{value}"


def device_key(device: str) -> str:
    """The sessions a device was taken in (``lua/device_index.lua``): one key per device, in the slot its
    name hashes to, so a check-in reads no other session's keys for the device-elsewhere flag."""
    return f"{settings.LIVE_KEY_PREFIX}:device:{device}"


def session_id_of_meta(meta_key: str) -> str:
    """The session whose meta key this is (what the per-device index holds)."""
    return meta_key.rsplit(":", 2)[-2]


def challenge_key(sid: str, school_number: str) -> str:
    """The live selfie's challenge to one student in one session (the session's slot; LIVE_CHALLENGE_SECONDS)."""
    return f"{_group_base(session_group(sid))}{sid}:challenge:{school_number}"


def teacher_key(school_number: str) -> str:
    """The pointer to a teacher's open session, in the teacher's group."""
    return f"{_group_base(teacher_group(school_number))}teacher:{school_number}"


def expire_at(ends_at: float) -> int:
    """When a session's keys expire: its end plus the grace period."""
    return int(ends_at) + settings.LIVE_GRACE_DAYS * 86400


def previous_layout_keys(sid: str) -> list[str]:
    """A session's keys as the version before slot groups named them (``previous_layout`` moves them)."""
    return [f"{settings.LIVE_KEY_PREFIX}:{{{sid}}}:{part}" for part in SESSION_PARTS]


def previous_layout_index_keys() -> tuple[str, str]:
    """The previous version's one due index and one dead-letter hash."""
    prefix = settings.LIVE_KEY_PREFIX
    return f"{prefix}:due", f"{prefix}:dead"


def previous_teacher_key(school_number: str) -> str:
    return f"{settings.LIVE_KEY_PREFIX}:teacher:{school_number}"
