"""What the live state holds: a session's meta (``LiveSession``) and a student's record in it (``LiveRecord``).

The record's flags that the check-in script sets, and their reasons, are
defined here once; reasons are stored as their English msgid and shown in
the reader's language (``attendance.reasons``).
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime

from django.utils.translation import gettext_noop

from .. import clock
from .keys import expire_at

OPEN = "open"
FINISHED = "finished"

# The statuses a projector counts in a photo-check session (not pending, not rejected).
# The statuses the projector counts as "checked in" (not pending, rejected nor excused).
CHECKED_IN = ("present", "late", "remote")

# The device rule (one phone, one student per session): the second student's check-in is rejected.
SHARED_DEVICE = "shared_device"
SHARED_DEVICE_REASON = gettext_noop("This phone was already used to check in another student.")
# A check-in that replaced the student's own rejected one (the rejected attempt is kept: ``earlier``).
RETRIED = "retried"
# A soft signal for the teacher: the phone checked in to another session open now.
DEVICE_ELSEWHERE = "device_elsewhere"
ELSEWHERE_REASON = gettext_noop("This phone checked in to another session that is open now.")


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
    admits_remote: bool = False  # a hybrid session: remote students check in through the teacher's remote link
    state: str = OPEN

    @classmethod
    def from_redis(cls, raw: dict) -> LiveSession:
        data = json.loads(raw[b"data"])
        data["state"] = raw.get(b"state", OPEN.encode()).decode()
        data["ends_at"] = float(raw.get(b"ends", data["ends_at"]))
        if "remote" in data:  # a session opened before the field had the model's name
            data["admits_remote"] = data.pop("remote")
        return cls(**data)

    def to_data(self) -> str:
        """The meta's ``data`` field (state and end are fields of their own: scripts change them)."""
        data = asdict(self)
        data.pop("state")
        return json.dumps(data)

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


@dataclass(slots=True)
class LiveRecord:
    """A student's record in a live session, self-contained: the sweep needs nothing else to create the student.

    The only definition of the record's fields; ``to_json``/``from_json`` are
    its one wire format (the check-in script reads ``status``, ``flags``,
    ``reason`` and ``by_teacher`` of it too).
    """

    school_number: str
    full_name: str
    status: str
    checked_in_at: float | None = None
    source: str = ""
    reason: str = ""  # the system's reasons as English msgids (shown translated), a teacher's as typed
    flags: list[str] = field(default_factory=list)
    by_teacher: bool = False  # set by the teacher: a check-in never replaces it
    on_match: str = ""  # a photo check's pending record: the status it becomes when the face matches
    photo: str = ""  # the selfie's name in the private storage
    photo_result: str = ""  # "checking", then the verdict
    photo_distance: float | None = None
    photo_request: str = ""  # the external verifier's request id
    photo_asked_at: float | None = None  # a verification asked for again (``photos.verify.requeue_lost``)
    # The live selfie (``photos.liveness``): the direction asked ("left"/"right"), when it was asked, the second
    # frame's name in the private storage, and the live check's result ("checking", then the verdict), or
    # "no_live_check" for a selfie chosen from a file.
    challenge: str = ""
    challenge_at: float | None = None
    photo_turned: str = ""
    live_result: str = ""
    # Rejected attempts this check-in replaced, oldest first: {"at", "reason", "flags"} each (the script
    # keeps them, so evidence is never overwritten; it also adds the RETRIED flag).
    earlier: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        """The stored form: the always-present fields, and the others only when set (a smaller hash)."""
        data = {name: getattr(self, name) for name in _ALWAYS}
        data.update((name, value) for name, default in _OPTIONAL if (value := getattr(self, name)) != default)
        return json.dumps(data)

    @classmethod
    def from_dict(cls, data: dict) -> LiveRecord:
        """A record from its decoded JSON (fields this version does not know are dropped)."""
        record = cls(**{name: value for name, value in data.items() if name in _FIELDS})
        if record.earlier:  # Lua's cjson writes an empty list as {}: flags are a list here
            record.earlier = [{**entry, "flags": list(entry.get("flags") or [])} for entry in record.earlier]
        return record

    @classmethod
    def from_json(cls, raw: bytes | str) -> LiveRecord:
        return cls.from_dict(json.loads(raw))

    @property
    def checked_in_dt(self) -> datetime | None:
        return clock.to_datetime(self.checked_in_at)


_FIELDS = frozenset(f.name for f in fields(LiveRecord))
_ALWAYS = ("school_number", "full_name", "status", "checked_in_at", "source", "reason", "flags")
_OPTIONAL = tuple(
    (f.name, f.default_factory() if f.default is MISSING else f.default)
    for f in fields(LiveRecord)
    if f.name not in _ALWAYS
)


@dataclass(frozen=True, slots=True)
class LiveChange:
    """A teacher's correction on the live roster, logged by the same script that writes the record, so the
    saved session's change log shows it (``sweep.persist``). ``old``/``new``: statuses, "" for no record."""

    school_number: str
    by: str  # the school number of who made it
    at: float
    old: str
    new: str
    reason: str

    @classmethod
    def from_json(cls, raw: bytes | str) -> LiveChange:
        data = json.loads(raw)
        return cls(**{name: data[name] for name in _CHANGE_FIELDS} | {"at": float(data["at"])})


_CHANGE_FIELDS = tuple(f.name for f in fields(LiveChange))
