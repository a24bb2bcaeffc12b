"""The sweep's write: finished sessions, one batch to a transaction, through ``bulk_create``, safe to repeat."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import BooleanField, Count
from django.db.models.expressions import RawSQL
from psycopg.types.array import ListBinaryDumper

from .. import clock
from ..excuses import service as excuses
from ..live import LiveChange, LiveRecord, LiveSession
from ..models import Attendance, AttendanceRecord, Enrollment, RecordChange, Status
from . import instances
from .instances import PENDING_AT_CLOSE, PHOTO_NOT_IN_TIME

__all__ = ["PENDING_AT_CLOSE", "PHOTO_NOT_IN_TIME", "Persisted", "session_persist", "sessions_persist"]

logger = logging.getLogger(__name__)
User = get_user_model()

# Rows per INSERT … SELECT * FROM UNNEST(…): one statement per this many records (bench/RESULTS.md).
RECORDS_PER_INSERT = 10000


@dataclass
class Persisted:
    records: int
    renamed: list[str]


def session_persist(*, session: LiveSession, records: list[LiveRecord], changes: list[LiveChange] = ()) -> Persisted:
    """Write one finished session: users, then the session, then its records (and its change log)."""
    return sessions_persist([(session, records)], changes={session.id: list(changes)})[0]


@transaction.atomic
def sessions_persist(
    finished: list[tuple[LiveSession, list[LiveRecord]]], *, changes: dict[str, list[LiveChange]] | None = None
) -> list[Persisted]:
    """Write finished sessions in one transaction: users, sessions, records, the teachers' live corrections
    (``changes``: session id → its logged corrections) as audited changes, then the approved excuses.

    Each table is one ``bulk_create(ignore_conflicts=True)`` (INSERT … ON
    CONFLICT DO NOTHING), so persisting the same session twice changes nothing
    and counts no record as saved; the ids it does not return are read back
    with one query per table.  One bad session fails the whole batch: the
    sweep then writes the batch's sessions one by one.
    """
    for _, records in finished:
        _check_statuses(records)
    now = clock.now_datetime()
    with _parameters_apart():
        accounts = _upsert_people(finished, now)
        teachers = [accounts.get(session.teacher_number, (None,))[0] for session, _ in finished]
        # A session saved by an earlier run (which crashed before deleting its keys) has its change log already.
        logged = {sid: log for sid, log in (changes or {}).items() if log}
        saved_before = {str(pk) for pk in Attendance.objects.filter(pk__in=list(logged)).values_list("pk", flat=True)}
        Attendance.objects.bulk_create(
            [instances.session(session, teacher, now) for (session, _), teacher in zip(finished, teachers)],
            ignore_conflicts=True,
        )
        persisted = _write_records(finished, accounts)
        _write_changes({sid: log for sid, log in logged.items() if sid not in saved_before}, finished, accounts)
    # Absent students with an approved excuse request for the day become excused (audited).
    excuses.apply_to_sessions([session for session, _ in finished])
    return persisted


class _SweepCursor(ServerBindingCursor):
    """Parameters sent apart from the SQL, lists of them in binary."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.adapters.register_dumper(list, ListBinaryDumper)  # this cursor's own map, not the connection's


@contextmanager
def _parameters_apart():
    """Bind the parameters on the server while the sweep writes, then on the client again as Django does.

    Django's default client-side binding would quote each column's array of
    an UNNEST insert into the SQL text value by value, and psycopg's text
    arrays escape each string with a regex (in Python, a third of the sweep's
    CPU); here the arrays travel apart, in binary.  Statements are
    still not prepared (Django's prepare_threshold), so a pooler is no matter.
    """
    connection.ensure_connection()
    raw = connection.connection
    client = raw.cursor_factory
    raw.cursor_factory = _SweepCursor
    try:
        yield
    finally:
        raw.cursor_factory = client


def renamed_note(number: str, kept: str, live_name: str) -> str:
    return f"{number}: kept the name {kept!r}, the session said {live_name!r}"


def _check_statuses(records: list[LiveRecord]) -> None:
    statuses = frozenset(Status.values)
    for record in records:
        if record.status not in statuses:
            raise ValueError(f"record {record.school_number!r} has an unknown status {record.status!r}")


def new_people(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> list[tuple[str, tuple[str, str]]]:
    """The users a batch of sessions names, sorted by school number: (number, (name, role))."""
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


def _upsert_people(finished, now) -> dict[str, tuple[int, str]]:
    """Add the users the database does not have yet; return everyone named: number → (id, account's name).

    An existing school number keeps the database's name and role.
    """
    people = new_people(finished)
    User.objects.bulk_create(
        [instances.new_user(number, name, role, now) for number, (name, role) in people], ignore_conflicts=True
    )
    # One array parameter (= ANY), not `__in`'s placeholder per number.
    named = RawSQL("school_number = ANY(%s)", ([number for number, _ in people],), output_field=BooleanField())
    rows = User.objects.filter(named).values_list("school_number", "id", "full_name")
    return {number: (pk, name) for number, pk, name in rows}


def _write_records(finished, accounts: dict[str, tuple[int, str]]) -> list[Persisted]:
    """The live records, then an absent one for each enrolled student without one; how many were new."""
    sids = [session.id for session, _ in finished]
    before = _counts(sids)
    enrolled = _enrolled({session.course_id for session, _ in finished if session.course_id})
    records, notes = [], {}
    for session, live_records in finished:
        sid = uuid.UUID(session.id)  # once per session: a string would be parsed once per record
        seen = set()
        for live_record in live_records:
            student, account_name = accounts.get(live_record.school_number, (None, None))
            live_name = live_record.full_name or live_record.school_number
            if account_name is not None and account_name != live_name:
                notes.setdefault(session.id, []).append(
                    renamed_note(live_record.school_number, account_name, live_name)
                )
            seen.add(student)
            records.append(instances.record(sid, student, live_record))
        records.extend(instances.absent(sid, s) for s in enrolled.get(session.course_id, ()) if s not in seen)
    AttendanceRecord.objects.bulk_create(records, batch_size=RECORDS_PER_INSERT, ignore_conflicts=True)
    after = _counts(sids)
    return [
        Persisted(records=after.get(sid, 0) - before.get(sid, 0), renamed=sorted(notes.get(sid, []))) for sid in sids
    ]


def _write_changes(logged: dict[str, list[LiveChange]], finished, accounts: dict[str, tuple[int, str]]) -> None:
    """The teachers' live corrections as audited changes of the saved records (one query for the records, one
    for who made them, one insert). A correction of one who ends with no record (removed from a session
    without a course) has no record to belong to and is not kept."""
    if not logged:
        return
    teachers = {session.id: session.teacher_number for session, _ in finished}
    # Who corrected, and whom (a removed check-in's student is in no live record): those the batch did not name.
    named = {number for log in logged.values() for change in log for number in (change.by, change.school_number)}
    people = {number: pk for number, (pk, _) in accounts.items()}
    people.update(User.objects.filter(school_number__in=named - accounts.keys()).values_list("school_number", "id"))
    rows = AttendanceRecord.objects.filter(attendance_id__in=list(logged)).values_list(
        "attendance_id", "student_id", "id"
    )
    record_ids = {(str(sid), student): pk for sid, student, pk in rows}
    entries = []
    for sid, log in logged.items():
        for change in log:
            record = record_ids.get((sid, people.get(change.school_number)))
            who = people.get(change.by) or people.get(teachers[sid])  # an account deleted since: the teacher
            if record is None or who is None:
                continue
            entries.append(
                RecordChange(
                    record_id=record,
                    changed_by_id=who,
                    changed_at=clock.to_datetime(change.at),
                    old_status=change.old,
                    new_status=change.new or Status.ABSENT,  # a removed check-in is saved as absent
                    reason=change.reason[:255],
                )
            )
    RecordChange.objects.bulk_create(entries)


def _enrolled(courses: set[int]) -> dict[int, list[int]]:
    enrolled: dict[int, list[int]] = {}
    for course, student in Enrollment.objects.filter(course_id__in=courses).values_list("course_id", "student_id"):
        enrolled.setdefault(course, []).append(student)
    return enrolled


def _counts(sids: list[str]) -> dict[str, int]:
    rows = (
        AttendanceRecord.objects.filter(attendance_id__in=sids)
        .values("attendance_id")
        .annotate(saved=Count("id"))
        .values_list("attendance_id", "saved")
    )
    return {str(sid): saved for sid, saved in rows}
