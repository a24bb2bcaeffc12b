"""The sweep's write: one finished session, in one transaction, safe to repeat."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

import psycopg
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from .. import clock
from ..live import LiveSession
from ..models import Source, Status, rejection_reason
from . import persist_sql as sql

logger = logging.getLogger(__name__)
User = get_user_model()

PENDING_AT_CLOSE = "Not verified before the session ended."


@dataclass
class Persisted:
    records: int
    renamed: list[str]


@transaction.atomic
def session_persist(*, session: LiveSession, records: list[dict]) -> Persisted:
    """Write one finished session: users, then the session, then its records.

    Every insert ignores conflicts, so persisting the same session twice
    changes nothing (and counts no record as saved).
    """
    _check_statuses(records)
    people = _people(session, records)
    now = timezone.now()
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
        with conn.pipeline():  # three statements, one round trip
            users.execute(sql.UPSERT_USERS, {**people, "now": now})
            sessions.execute(sql.INSERT_SESSION, _session_row(session, now))
            rows.execute(sql.INSERT_RECORDS, _record_columns(session, records))
        saved, renamed = rows.fetchone()
        return Persisted(records=saved, renamed=[_renamed(*row) for row in renamed])


def _renamed(number: str, kept: str, live_name: str) -> str:
    return f"{number}: kept the name {kept!r}, the session said {live_name!r}"


def _check_statuses(records: list[dict]) -> None:
    statuses = frozenset(Status.values)
    for record in records:
        if record.get("status") not in statuses:
            raise ValueError(f"record {record['school_number']!r} has an unknown status {record.get('status')!r}")


def _people(session: LiveSession, records: list[dict]) -> dict:
    people = {r["school_number"]: (r["full_name"] or r["school_number"], User.Role.STUDENT) for r in records}
    people[session.teacher_number] = (session.teacher_name or session.teacher_number, User.Role.TEACHER)
    # Sorted: two sweepers inserting the same new users in different orders
    # would each wait for the other's uncommitted row (a deadlock).
    numbers = sorted(people)
    return {
        "numbers": numbers,
        "names": [people[n][0] for n in numbers],
        "roles": [people[n][1] for n in numbers],
    }


def _session_row(session: LiveSession, now) -> dict:
    return {
        "id": uuid.UUID(session.id),
        "course_id": session.course_id,
        "lesson_name": session.lesson_name,
        "starts_at": clock.to_datetime(session.starts_at),
        # A session finished in the second it started would break "ends after starts".
        "ends_at": clock.to_datetime(max(session.ends_at, session.starts_at + 1)),
        "late_threshold_minutes": session.late_threshold_minutes,
        "require_code": session.require_code,
        "network_mode": session.network_mode,
        "location_radius_m": session.location_radius_m,
        "one_device_per_student": session.one_device_per_student,
        "now": now,
        "teacher_number": session.teacher_number,
    }


def _record_columns(session: LiveSession, records: list[dict]) -> dict:
    columns = {"numbers": [], "names": [], "statuses": [], "times": [], "reasons": [], "sources": [], "flags": []}
    for record in records:
        status, reason, flags = record["status"], record.get("reason") or "", record.get("flags")
        if status == Status.PENDING:
            status, reason = Status.REJECTED, PENDING_AT_CLOSE
        columns["numbers"].append(record["school_number"])
        columns["names"].append(record["full_name"] or record["school_number"])
        columns["statuses"].append(status)
        columns["times"].append(clock.to_datetime(record.get("checked_in_at")))
        # Teachers' reasons are free text; the column holds 255 characters.
        columns["reasons"].append(rejection_reason(status, reason) if status == Status.REJECTED else reason[:255])
        columns["sources"].append(record.get("source") or Source.TEACHER)
        columns["flags"].append(json.dumps(list(flags)) if flags else "[]")
    return {
        **columns,
        "session": session.id,
        "course": session.course_id,
        "absent": Status.ABSENT,
        "absent_source": Source.SWEEP,
    }
