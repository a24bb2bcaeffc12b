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
from django.utils import timezone

from .. import clock
from ..live import LiveSession
from ..models import Attendance, AttendanceRecord, Enrollment, Source, Status
from .persist import PENDING_AT_CLOSE, Persisted, new_people, rejection_reason_for, renamed_note

User = get_user_model()


def write(finished: list[tuple[LiveSession, list[dict]]]) -> list[Persisted]:
    """Write a group of finished sessions; the caller holds the transaction."""
    now = timezone.now()
    people = new_people(finished)
    User.objects.bulk_create(
        [
            User(school_number=number, full_name=name, role=role, password="!", date_joined=now)
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
        for record in live_records:
            student, account_name = accounts.get(record["school_number"], (None, None))
            name = record["full_name"] or record["school_number"]
            if account_name is not None and account_name != name:
                notes.setdefault(session.id, []).append(renamed_note(record["school_number"], account_name, name))
            seen.add(student)
            records.append(_record(session.id, student, record))
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
    teacher = accounts.get(session.teacher_number)
    return Attendance(
        id=session.id,
        course_id=session.course_id,
        lesson_name=session.lesson_name,
        starts_at=clock.to_datetime(session.starts_at),
        # A session finished in the second it started would break "ends after starts".
        ends_at=clock.to_datetime(max(session.ends_at, session.starts_at + 1)),
        late_threshold_minutes=session.late_threshold_minutes,
        require_code=session.require_code,
        network_mode=session.network_mode,
        location_radius_m=session.location_radius_m,
        one_device_per_student=session.one_device_per_student,
        persisted_at=now,
        teacher_id=teacher[0] if teacher else None,
    )


def _record(sid: str, student: int | None, record: dict) -> AttendanceRecord:
    status, reason = record["status"], record.get("reason") or ""
    if status == Status.PENDING:
        status, reason = Status.REJECTED, PENDING_AT_CLOSE
    return AttendanceRecord(
        attendance_id=sid,
        student_id=student,
        status=status,
        checked_in_at=clock.to_datetime(record.get("checked_in_at")),
        fail_reason=rejection_reason_for(status, reason),
        source=record.get("source") or Source.TEACHER,
        flags=list(record.get("flags") or []),
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
