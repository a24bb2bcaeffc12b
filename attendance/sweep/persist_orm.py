"""The sweep's write through the ORM: ``bulk_create(ignore_conflicts=True)`` for users, sessions and records.

Beside the set-based SQL of ``persist_sql`` for comparison (``SWEEP_WRITER =
"orm"``; ``make bench-sweep`` runs both).  The same rows, the same group
transaction and the same idempotence: ids are resolved with one query per
table, never one per row.  Django sends ``bulk_create`` as one ``INSERT …
SELECT * FROM UNNEST(…)`` only when every field is a plain type; the records'
``flags`` is an array, so their insert carries one placeholder per value.
docs/ARCHITECTURE.md says which path the sweep uses and why.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count

from accounts.collation import name_key

from .. import clock
from ..live import LiveRecord, LiveSession
from ..models import Attendance, AttendanceRecord, Enrollment, Source, Status
from .persist import Persisted, new_people, record_row, renamed_note, session_row

User = get_user_model()


def write(finished: list[tuple[LiveSession, list[LiveRecord]]]) -> list[Persisted]:
    """Write a group of finished sessions; the caller holds the transaction."""
    now = clock.now_datetime()
    people = new_people(finished)
    User.objects.bulk_create(
        [
            User(
                school_number=number, full_name=name, name_key=name_key(name), role=role, password="!", date_joined=now
            )
            for number, (name, role) in people
        ],
        ignore_conflicts=True,
    )
    accounts = {
        number: (pk, name)
        for number, pk, name in User.objects.filter(school_number__in=[number for number, _ in people]).values_list(
            "school_number", "id", "full_name"
        )
    }
    Attendance.objects.bulk_create(
        [_session(session, accounts, now) for session, _ in finished],
        ignore_conflicts=True,
    )
    sids = [session.id for session, _ in finished]
    before = _counts(sids)
    records, notes = [], {}
    enrolled = _enrolled({session.course_id for session, _ in finished if session.course_id})
    for session, live_records in finished:
        seen = set()
        for row in map(record_row, live_records):
            student, account_name = accounts.get(row["number"], (None, None))
            if account_name is not None and account_name != row["name"]:
                notes.setdefault(session.id, []).append(renamed_note(row["number"], account_name, row["name"]))
            seen.add(student)
            records.append(_record(session.id, student, row))
        for student in enrolled.get(session.course_id, ()):
            if student not in seen:
                records.append(
                    AttendanceRecord(
                        attendance_id=session.id, student_id=student, status=Status.ABSENT, source=Source.SWEEP
                    )
                )
    AttendanceRecord.objects.bulk_create(records, ignore_conflicts=True)
    after = _counts(sids)
    return [
        Persisted(records=after.get(sid, 0) - before.get(sid, 0), renamed=sorted(notes.get(sid, []))) for sid in sids
    ]


def _session(session: LiveSession, accounts: dict, now) -> Attendance:
    row = session_row(session)
    teacher = accounts.get(row.pop("teacher_number"))
    return Attendance(
        **row | {"starts_at": clock.to_datetime(row["starts_at"]), "ends_at": clock.to_datetime(row["ends_at"])},
        persisted_at=now,
        teacher_id=teacher[0] if teacher else None,
    )


def _record(sid: str, student: int | None, row: dict) -> AttendanceRecord:
    return AttendanceRecord(
        attendance_id=sid,
        student_id=student,
        status=row["status"],
        checked_in_at=clock.to_datetime(row["checked_in_at"]),
        fail_reason=row["fail_reason"],
        source=row["source"],
        flags=row["flags"],
        photo=row["photo"],
        photo_result=row["photo_result"],
        photo_distance=row["photo_distance"],
    )


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
