"""The sweep's write: finished sessions, one group to a transaction, safe to repeat."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.translation import gettext_noop

from accounts.collation import name_key

from .. import clock
from ..excuses import service as excuses
from ..live import LiveRecord, LiveSession
from ..models import Source, Status, rejection_reason
from . import persist_sql as sql

logger = logging.getLogger(__name__)
User = get_user_model()

# Stored in English, shown in the reader's language (attendance.reasons).
PENDING_AT_CLOSE = gettext_noop("Not verified before the session ended.")
PHOTO_NOT_IN_TIME = gettext_noop("Photo not verified in time.")


@dataclass
class Persisted:
    records: int
    renamed: list[str]


def session_persist(*, session: LiveSession, records: list[LiveRecord]) -> Persisted:
    """Write one finished session: users, then the session, then its records."""
    return sessions_persist([(session, records)])[0]


@transaction.atomic
def sessions_persist(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> list[Persisted]:
    """Write finished sessions in one transaction: users, sessions, records, then the approved excuses.

    Three statements in one round trip whatever the number of sessions (the
    SQL writer; the excuses add their own queries), so a sweep pays one commit
    for a group of them.  Every insert ignores conflicts, so persisting the
    same session twice changes nothing (and counts no record as saved).  One
    bad session fails the whole group: the sweep then writes the group's
    sessions one by one.  ``SWEEP_WRITER = "orm"`` writes the same rows
    through ``bulk_create`` (``persist_orm``).
    """
    for _, records in finished:
        _check_statuses(records)
    if settings.SWEEP_WRITER == "orm":
        from . import persist_orm

        persisted = persist_orm.write(finished)
    else:
        persisted = _write_sql(finished)
    # Absent students with an approved excuse request for the day become excused (audited).
    excuses.apply_to_sessions([session for session, _ in finished])
    return persisted


def _write_sql(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> list[Persisted]:
    """The set-based SQL of ``persist_sql``: three statements whatever the number of sessions."""
    now = clock.now_datetime()
    connection.ensure_connection()
    conn = connection.connection
    sessions = json.dumps([session_row(session) for session, _ in finished])
    # psycopg's own cursors bind parameters apart from the SQL (Django's would
    # interpolate them into the SQL text on the client) and share one pipeline.
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(conn) as users,
        psycopg.Cursor(conn) as attendances,
        psycopg.Cursor(conn) as rows,
    ):
        with conn.pipeline():  # three statements, one round trip
            users.execute(sql.UPSERT_USERS, {"people": _people(finished), "now": now})
            attendances.execute(sql.INSERT_SESSIONS, {"sessions": sessions, "now": now})
            rows.execute(
                sql.INSERT_RECORDS,
                {
                    "records": _record_rows(finished),
                    "sessions": sessions,
                    "absent": Status.ABSENT,
                    "absent_source": Source.SWEEP,
                },
            )
        saved, renamed = rows.fetchone()
    notes: dict[str, list[str]] = {}
    for sid, number, kept, live_name in renamed:
        notes.setdefault(sid, []).append(renamed_note(number, kept, live_name))
    return [Persisted(records=saved.get(s.id, 0), renamed=notes.get(s.id, [])) for s, _ in finished]


def renamed_note(number: str, kept: str, live_name: str) -> str:
    return f"{number}: kept the name {kept!r}, the session said {live_name!r}"


def _check_statuses(records: list[LiveRecord]) -> None:
    statuses = frozenset(Status.values)
    for record in records:
        if record.status not in statuses:
            raise ValueError(f"record {record.school_number!r} has an unknown status {record.status!r}")


def new_people(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> list[tuple[str, tuple[str, str]]]:
    """The users a group of sessions names, sorted by school number: (number, (name, role))."""
    people: dict[str, tuple[str, str]] = {}
    for session, records in finished:
        # Within a session its teacher is a teacher; across sessions the
        # first one to name a new number decides, as if written one by one.
        mine = {r.school_number: (r.full_name or r.school_number, User.Role.STUDENT) for r in records}
        mine[session.teacher_number] = (session.teacher_name or session.teacher_number, User.Role.TEACHER)
        for number, person in mine.items():
            people.setdefault(number, person)
    # Sorted: two sweepers inserting the same new users in different orders
    # would each wait for the other's uncommitted row (a deadlock).
    return sorted(people.items())


def _people(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> str:
    return json.dumps(
        [{"number": n, "name": name, "key": name_key(name), "role": role} for n, (name, role) in new_people(finished)]
    )


def session_row(session: LiveSession) -> dict:
    """What the sweep writes of a session (times as epoch seconds), for either writer."""
    return {
        "id": session.id,
        "course_id": session.course_id,
        "lesson_name": session.lesson_name,
        "starts_at": session.starts_at,
        # A session finished in the second it started would break "ends after starts".
        "ends_at": max(session.ends_at, session.starts_at + 1),
        "late_threshold_minutes": session.late_threshold_minutes,
        "require_code": session.require_code,
        "network_mode": session.network_mode,
        "location_radius_m": session.location_radius_m,
        "one_device_per_student": session.one_device_per_student,
        "photo_check": session.photo_check,
        "admits_remote": session.admits_remote,
        "teacher_number": session.teacher_number,
    }


def record_row(record: LiveRecord) -> dict:
    """What a live record becomes in PostgreSQL (still pending: rejected), for either writer."""
    status, reason, photo_result = record.status, record.reason or "", record.photo_result or ""
    if status == Status.PENDING:
        status, reason = Status.REJECTED, PHOTO_NOT_IN_TIME if record.photo else PENDING_AT_CLOSE
        photo_result = "timeout" if record.photo else photo_result
    return {
        "number": record.school_number,
        "name": record.full_name or record.school_number,
        "status": status,
        "checked_in_at": record.checked_in_at,
        "fail_reason": rejection_reason(status, reason),  # free text; the column holds 255
        "source": record.source or Source.TEACHER,
        "flags": list(record.flags) if record.flags else [],
        "photo": record.photo or "",
        "photo_result": photo_result,
        "photo_distance": record.photo_distance,
    }


def _record_rows(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> str:
    return json.dumps([{"session": session.id, **record_row(r)} for session, records in finished for r in records])
