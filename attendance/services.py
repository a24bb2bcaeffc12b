"""Writes of the attendance app: live sessions, check-ins, corrections, persistence."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from . import live, verification
from .models import Attendance, AttendanceRecord, Course, Enrollment, RecordChange, Source, Status

logger = logging.getLogger(__name__)
User = get_user_model()

PENDING_AT_CLOSE = "Not verified before the session ended."


class CheckInError(Exception):
    """A check-in that must not create a record (closed session, wrong code…)."""


def _ts(value: datetime) -> float:
    return value.timestamp()


def as_datetime(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=UTC) if ts is not None else None


# --- starting and finishing -------------------------------------------------


@dataclass
class StartResult:
    session: live.LiveSession | None
    other_open_id: str | None = None


def session_start(
    *,
    teacher,
    course: Course | None,
    lesson_name: str,
    starts_at: datetime,
    ends_at: datetime,
    late_threshold_minutes: int,
    require_code: bool,
    network_mode: str,
    teacher_ip: str,
    location: tuple[float, float] | None = None,
    location_radius_m: int | None = None,
    one_device_per_student: bool = True,
) -> StartResult:
    """Open a live session in Redis, unless the teacher already has one open."""
    session = live.LiveSession(
        id=str(uuid.uuid4()),
        lesson_name=lesson_name,
        teacher_number=teacher.school_number,
        teacher_name=teacher.full_name,
        starts_at=_ts(starts_at),
        ends_at=_ts(ends_at),
        late_threshold_minutes=late_threshold_minutes,
        secret=verification.new_secret(),
        course_id=course.pk if course else None,
        course_code=course.code if course else "",
        course_title=course.title if course else "",
        require_code=require_code,
        network_mode=network_mode,
        teacher_ip=teacher_ip,
        allowed_networks=list(course.allowed_networks) if course else [],
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        location_radius_m=location_radius_m if location else None,
        one_device_per_student=one_device_per_student,
    )
    roster = {}
    if course:
        roster = dict(User.objects.filter(enrollments__course=course).values_list("school_number", "full_name"))
    other = live.create_session(session, roster)
    if other:
        return StartResult(session=None, other_open_id=other)
    logger.info("Session %s started by %s", session.id, teacher.school_number)
    return StartResult(session=session)


def session_finish(*, session: live.LiveSession, now: float | None = None) -> None:
    """End check-ins now and hand the session to the sweep at once."""
    live.finish(session, now if now is not None else timezone.now().timestamp())
    async_task("attendance.tasks.sweep_session", session.id, task_name=f"sweep-{session.id}")


def session_change_end(*, session: live.LiveSession, ends_at: datetime, now: float | None = None) -> None:
    """Move the end of an open session, keeping the due index and the TTLs in step."""
    now = now if now is not None else timezone.now().timestamp()
    if session.ends_at <= now:
        raise CheckInError("This session has already ended.")
    live.change_end(session, _ts(ends_at))  # an end in the past closes check-ins at once


# --- check-in ---------------------------------------------------------------


def _status_by_time(session: live.LiveSession, now: float) -> str:
    late_after = session.starts_at + session.late_threshold_minutes * 60
    return Status.PRESENT if now <= late_after else Status.LATE


def make_record(student, *, status: str, source: str, now: float, reason: str = "", flags=()) -> dict:
    return {
        "school_number": student.school_number,
        "full_name": student.full_name,
        "status": status,
        "checked_in_at": now,
        "source": source,
        "reason": reason,
        "flags": list(flags),
    }


LOCKED_OUT = "Too many wrong codes for this session. Ask your teacher to add you."


def session_for_code(*, candidates: list[live.LiveSession], student, code: str, now: float) -> live.LiveSession:
    """Find the session whose current code was typed; count a wrong code against the rest.

    A wrong or expired code never makes a record: it is a counted attempt, and
    after CHECKIN_MAX_WRONG_CODES of them the student is locked out of that session.
    """
    limit = settings.CHECKIN_MAX_WRONG_CODES
    for session in candidates:
        if verification.code_is_valid(session.secret, code, now):
            return session  # the check-in script refuses a locked-out student
    if not candidates:
        raise CheckInError("None of your courses has a session taking codes right now.")
    # Count against the student's own courses' sessions; only without one against ad-hoc ones,
    # so a typo in one class does not lock them out of every ad-hoc session in the school.
    counted = [s for s in candidates if s.course_id] or candidates
    tries = max(live.count_wrong_codes(counted, student.school_number))
    if tries >= limit:
        raise CheckInError(LOCKED_OUT)
    raise CheckInError(f"That code is wrong or has expired. {limit - tries} tries left.")


def record_check_in(
    *,
    session: live.LiveSession,
    student,
    source: str,
    ip: str,
    device: str,
    position: tuple[float, float] | None,
    now: float,
) -> dict:
    """Run the network and location checks and store the student's record atomically."""
    if not session.has_started(now):
        raise CheckInError("This session has not started yet.")
    if not session.is_open(now):
        raise CheckInError("This session is closed.")
    problems = {
        "network": verification.network_problem(session, ip),
        "location": verification.location_problem(session, position),
    }
    failed = {name: text for name, text in problems.items() if text}
    if failed:
        status, reason = Status.REJECTED, " ".join(failed.values())
    else:
        status, reason = _status_by_time(session, now), ""
    record = make_record(student, status=status, source=source, now=now, reason=reason, flags=failed)
    outcome, stored = live.check_in(session, record, device, now)
    if outcome == "locked":
        raise CheckInError(LOCKED_OUT)
    if outcome in ("closed", "missing"):
        raise CheckInError("This session is closed.")
    return stored


# --- teacher corrections while live -----------------------------------------


def live_record_set_status(
    *, session: live.LiveSession, school_number: str, full_name: str, status: str, reason: str = ""
) -> bool:
    """Accept, reject, excuse or add a student in a live session."""
    record = live.get_record(session.id, school_number) or {
        "school_number": school_number,
        "full_name": full_name,
        "checked_in_at": None,
        "flags": [],
    }
    record.update(status=status, source=record.get("source") or Source.TEACHER, reason=reason, by_teacher=True)
    return live.set_record(session, record)


def live_record_remove(*, session: live.LiveSession, school_number: str) -> bool:
    return live.remove_record(session, school_number)


# --- persistence (the sweep's write) ----------------------------------------


@dataclass
class Persisted:
    records: int
    created: bool


def _parse_records(raw: dict[bytes, bytes]) -> list[dict]:
    # One json.loads for the whole hash (each value is one JSON object), not one per record.
    records = json.loads(b"[" + b",".join(raw.values()) + b"]")
    if len(records) != len(raw):
        raise ValueError("a record is not one JSON object")
    statuses = frozenset(Status.values)
    for number, record in zip(raw, records):
        if not isinstance(record, dict) or record.get("school_number") != number.decode():
            raise ValueError(f"record key {number!r} does not match its payload")
        if record.get("status") not in statuses:
            raise ValueError(f"record {number!r} has an unknown status {record.get('status')!r}")
    return records


# The sweep's hot path: three statements sent together (one round trip), every
# column passed as one array (unnest) rather than a model instance and a
# placeholder per value, and student ids looked up by the database itself.
_UPSERT_USERS = f"""
INSERT INTO {User._meta.db_table}
    (password, is_superuser, school_number, full_name, email, role, is_active, is_staff, date_joined)
SELECT '!', false, number, name, '', role, true, false, %s
FROM unnest(%b::text[], %b::text[], %b::text[]) AS people (number, name, role)
ON CONFLICT (school_number) DO NOTHING
"""
# User ids come from one index lookup per number (a join could scan the table);
# a number without a user gives a NULL id, which fails rather than drops the row.
_INSERT_SESSION = f"""
INSERT INTO {Attendance._meta.db_table}
    (id, is_deleted, deleted_reason, course_id, lesson_name, starts_at, ends_at, late_threshold_minutes,
     require_code, network_mode, location_radius_m, one_device_per_student, persisted_at, teacher_id)
VALUES (%s, false, '', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
    (SELECT id FROM {User._meta.db_table} WHERE school_number = %s))
ON CONFLICT (id) DO NOTHING
"""
# The live records, then an absent one for each enrolled student without one.
_INSERT_RECORDS = f"""
WITH seen (student_id, status, checked_in_at, fail_reason, source, flags) AS (
    SELECT (SELECT id FROM {User._meta.db_table} WHERE school_number = number), status, checked_in_at,
        fail_reason, source, flags
    FROM unnest(
        %(numbers)b::text[], %(statuses)b::text[], %(times)b::timestamptz[],
        %(reasons)b::text[], %(sources)b::text[], %(flags)b::jsonb[]
    ) AS live (number, status, checked_in_at, fail_reason, source, flags)
)
INSERT INTO {AttendanceRecord._meta.db_table}
    (is_deleted, deleted_reason, attendance_id, student_id, status, checked_in_at, fail_reason, source, flags)
SELECT false, '', %(session)s::uuid, student_id, status, checked_in_at, fail_reason, source,
    ARRAY(SELECT jsonb_array_elements_text(flags))
FROM seen
UNION ALL
SELECT false, '', %(session)s::uuid, student_id, %(absent)s, NULL, '', %(absent_source)s, ARRAY[]::text[]
FROM {Enrollment._meta.db_table}
WHERE course_id = %(course)s::bigint AND student_id NOT IN (SELECT student_id FROM seen)
ON CONFLICT (attendance_id, student_id) DO NOTHING
"""


def _users(session: live.LiveSession, records: list[dict]) -> list:
    people = {r["school_number"]: (r["full_name"] or r["school_number"], User.Role.STUDENT) for r in records}
    people[session.teacher_number] = (session.teacher_name or session.teacher_number, User.Role.TEACHER)
    # Sorted: two sweepers inserting the same new users in different orders
    # would each wait for the other's uncommitted row (a deadlock).
    numbers = sorted(people)
    return [timezone.now(), numbers, [people[n][0] for n in numbers], [people[n][1] for n in numbers]]


def _session_row(session: live.LiveSession) -> list:
    return [
        uuid.UUID(session.id),
        session.course_id,
        session.lesson_name,
        as_datetime(session.starts_at),
        as_datetime(max(session.ends_at, session.starts_at + 1)),
        session.late_threshold_minutes,
        session.require_code,
        session.network_mode,
        session.location_radius_m,
        session.one_device_per_student,
        timezone.now(),
        session.teacher_number,
    ]


@transaction.atomic
def session_persist(*, raw_meta: dict, raw_records: dict[bytes, bytes]) -> Persisted:
    """Write one finished session: users, then the session, then its records.

    Every insert ignores conflicts, so persisting the same payload twice
    changes nothing (and counts no record as saved).
    """
    session = live.LiveSession.from_redis(raw_meta)
    records = _parse_records(raw_records)
    connection.ensure_connection()
    conn = connection.connection
    # psycopg's own cursors bind parameters apart from the SQL; Django's quote
    # every array element into the SQL text on the client.
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(conn) as users,
        psycopg.Cursor(conn) as sessions,
        psycopg.Cursor(conn) as rows,
    ):
        with conn.pipeline():
            users.execute(_UPSERT_USERS, _users(session, records))
            sessions.execute(_INSERT_SESSION, _session_row(session))
            rows.execute(_INSERT_RECORDS, _record_columns(session, records))
        return Persisted(records=rows.rowcount, created=sessions.rowcount == 1)


def _record_columns(session: live.LiveSession, records: list[dict]) -> dict:
    columns = {"numbers": [], "statuses": [], "times": [], "reasons": [], "sources": [], "flags": []}
    for record in records:
        status, reason, flags = record["status"], record.get("reason") or "", record.get("flags")
        if status == Status.PENDING:
            status, reason = Status.REJECTED, PENDING_AT_CLOSE
        if status == Status.REJECTED and not reason:
            reason = "Rejected."
        columns["numbers"].append(record["school_number"])
        columns["statuses"].append(status)
        columns["times"].append(as_datetime(record.get("checked_in_at")))
        columns["reasons"].append(reason[:255])
        columns["sources"].append(record.get("source") or Source.TEACHER)
        columns["flags"].append(json.dumps(list(flags)) if flags else "[]")
    return {
        **columns,
        "session": session.id,
        "course": session.course_id,
        "absent": Status.ABSENT,
        "absent_source": Source.SWEEP,
    }


# --- audited corrections of persisted sessions ------------------------------

REMOVED = "removed"


@transaction.atomic
def record_change_status(*, record: AttendanceRecord, by, status: str, reason: str) -> RecordChange:
    """Change a persisted record's status, with an audit row."""
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    change = RecordChange.objects.create(
        record=record, changed_by=by, old_status=record.status, new_status=status, reason=reason
    )
    record.status = status
    record.fail_reason = reason if status == Status.REJECTED else ""
    record.save(update_fields=["status", "fail_reason"])
    return change


@transaction.atomic
def record_add(*, attendance: Attendance, by, student, status: str, reason: str) -> AttendanceRecord:
    """Add a student to a persisted session after the fact (or bring back a removed record)."""
    record, created = AttendanceRecord.objects.select_for_update().get_or_create(
        attendance=attendance,
        student=student,
        defaults={
            "status": status,
            "source": Source.TEACHER,
            "fail_reason": reason if status == Status.REJECTED else "",
        },
    )
    old = "" if created else (REMOVED if record.is_deleted else record.status)
    if not created:
        record.is_deleted, record.deleted_at, record.deleted_by, record.deleted_reason = False, None, None, ""
        record.status = status
        record.fail_reason = reason if status == Status.REJECTED else ""
        record.save()
    RecordChange.objects.create(record=record, changed_by=by, old_status=old, new_status=status, reason=reason)
    return record


@transaction.atomic
def record_remove(*, record: AttendanceRecord, by, reason: str) -> None:
    """Soft-delete a record: gone from pages and reports, kept in the database."""
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    record.is_deleted, record.deleted_at, record.deleted_by, record.deleted_reason = True, timezone.now(), by, reason
    record.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "deleted_reason"])
    RecordChange.objects.create(
        record=record, changed_by=by, old_status=record.status, new_status=REMOVED, reason=reason
    )


@transaction.atomic
def attendance_remove(*, attendance: Attendance, by, reason: str) -> None:
    """Soft-delete a whole session."""
    Attendance.objects.filter(pk=attendance.pk).update(
        is_deleted=True, deleted_at=timezone.now(), deleted_by=by, deleted_reason=reason
    )


@transaction.atomic
def course_set_policy(
    *, course: Course, rate_policy: str, planned_sessions: int | None, excused_counts_as_present: bool
):
    course.rate_policy = rate_policy
    course.planned_sessions = planned_sessions
    course.excused_counts_as_present = excused_counts_as_present
    course.save(update_fields=["rate_policy", "planned_sessions", "excused_counts_as_present"])
