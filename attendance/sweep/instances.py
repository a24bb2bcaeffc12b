"""The model instances the sweep hands to ``bulk_create``: users, sessions and records from the live store.

Each is built without ``Model.__init__`` (which costs more per record than
the insert does): a ``ModelState`` and a ``__dict__`` holding every concrete
field's value, the sweep's own ones over the model's defaults.  Every field
so has a plain value, never a ``DatabaseDefault`` expression, which would
turn off Django's ``INSERT … SELECT * FROM UNNEST`` on PostgreSQL.  A field
the sweep gives no value, with no constant default and NOT NULL (a new
column, say), raises ``UnwrittenField`` at the first sweep and in
test_sweep_columns, rather than writing a NULL.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import AutoField, Model
from django.db.models.base import ModelState
from django.utils.translation import gettext_noop

from accounts.collation import name_key

from .. import clock
from ..live import LiveRecord, LiveSession
from ..models import Attendance, AttendanceRecord, Source, Status, rejection_reason

User = get_user_model()

# Stored in English, shown in the reader's language (attendance.reasons).
PENDING_AT_CLOSE = gettext_noop("Not verified before the session ended.")
PHOTO_NOT_IN_TIME = gettext_noop("Photo not verified in time.")

# The fields the sweep gives a value (attnames); the others take the model's constant default.
USER_FIELDS = ("password", "school_number", "full_name", "name_key", "email", "role", "date_joined")
SESSION_FIELDS = (
    "deleted_reason",
    "id",
    "course_id",
    "lesson_name",
    "teacher_id",
    "starts_at",
    "ends_at",
    "late_threshold_minutes",
    "require_code",
    "network_mode",
    "location_radius_m",
    "one_device_per_student",
    "photo_check",
    "admits_remote",
    "persisted_at",
)
RECORD_FIELDS = (
    "deleted_reason",
    "attendance_id",
    "student_id",
    "status",
    "checked_in_at",
    "fail_reason",
    "source",
    "flags",
    "earlier",
    "photo",
    "photo_result",
    "photo_distance",
    "challenge",
    "live_result",
)


class UnwrittenField(Exception):
    """A NOT NULL field the sweep gives no value and the model no constant default."""


def template(model: type[Model], given: tuple[str, ...]) -> dict:
    """Every concrete field's value but the given ones: the serial key None, then the constant defaults."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname in given:
            continue
        if isinstance(field, AutoField):
            values[field.attname] = None
        elif field.has_default() and not callable(field.default):
            values[field.attname] = field.default
        elif field.null:
            values[field.attname] = None
        else:
            raise UnwrittenField(
                f"{model.__name__}.{field.name} is NOT NULL with no constant default and the sweep gives it no "
                f"value: add it to the fields of attendance/sweep/instances.py."
            )
    return values


@functools.cache
def _template(model: type[Model], given: tuple[str, ...]) -> dict:
    return template(model, given)


def _new(model: type[Model], given: tuple[str, ...], values: dict) -> Model:
    obj = model.__new__(model)
    obj.__dict__ = {**_template(model, given), **values, "_state": ModelState()}
    return obj


def new_user(number: str, name: str, role: str, now: datetime) -> Model:
    # Imported users get the unusable password "!" until someone sets one.
    values = {"password": "!", "school_number": number, "full_name": name, "name_key": name_key(name), "email": ""}
    return _new(User, USER_FIELDS, values | {"role": role, "date_joined": now})


def session(session: LiveSession, teacher: int | None, now: datetime) -> Attendance:
    values = {
        "deleted_reason": "",
        "id": session.id,
        "course_id": session.course_id,
        "lesson_name": session.lesson_name,
        "teacher_id": teacher,
        "starts_at": clock.to_datetime(session.starts_at),
        # A session finished in the second it started would break "ends after starts".
        "ends_at": clock.to_datetime(max(session.ends_at, session.starts_at + 1)),
        "late_threshold_minutes": session.late_threshold_minutes,
        "require_code": session.require_code,
        "network_mode": session.network_mode,
        "location_radius_m": session.location_radius_m,
        "one_device_per_student": session.one_device_per_student,
        "photo_check": bool(session.photo_check),
        "admits_remote": bool(session.admits_remote),
        "persisted_at": now,
    }
    return _new(Attendance, SESSION_FIELDS, values)


def record(sid: uuid.UUID, student: int | None, record: LiveRecord) -> AttendanceRecord:
    """What a live record becomes in PostgreSQL (one still pending: rejected)."""
    status, reason, photo_result = record.status, record.reason, record.photo_result
    live_result = record.live_result
    if status == Status.PENDING:
        status, reason = Status.REJECTED, PHOTO_NOT_IN_TIME if record.photo else PENDING_AT_CLOSE
        photo_result = "timeout" if record.photo else photo_result
        live_result = "timeout" if live_result == "checking" else live_result
    values = {
        "deleted_reason": "",
        "attendance_id": sid,
        "student_id": student,
        "status": status,
        "checked_in_at": clock.to_datetime(record.checked_in_at),
        "fail_reason": rejection_reason(status, reason),  # free text; the column holds 255
        "source": record.source or Source.TEACHER,
        "flags": list(record.flags) if record.flags else [],
        "earlier": record.earlier,
        "photo": record.photo or "",
        "photo_result": photo_result or "",
        "photo_distance": record.photo_distance,
        "challenge": record.challenge or "",
        "live_result": live_result or "",
    }
    return _new(AttendanceRecord, RECORD_FIELDS, values)


def absent(sid: uuid.UUID, student: int) -> AttendanceRecord:
    """The record of an enrolled student who never checked in."""
    values = {
        "deleted_reason": "",
        "attendance_id": sid,
        "student_id": student,
        "status": Status.ABSENT,
        "checked_in_at": None,
        "fail_reason": "",
        "source": Source.SWEEP,
        "flags": [],
        "earlier": [],
        "photo": "",
        "photo_result": "",
        "photo_distance": None,
        "challenge": "",
        "live_result": "",
    }
    return _new(AttendanceRecord, RECORD_FIELDS, values)
