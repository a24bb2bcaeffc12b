"""Audited corrections of persisted sessions, and a course's counting policy."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from .. import clock
from ..events import announce
from ..models import Attendance, AttendanceRecord, Course, RecordChange, Source, rejection_reason

REMOVED = "removed"


def _tell_student(change: RecordChange) -> RecordChange:
    """Once committed, the worker tells the student (``warnings.changes``: in-app always, by e-mail when the
    course sends e-mails)."""
    transaction.on_commit(lambda: async_task("attendance.tasks.tell_student_of_change", change.pk))
    return change


@transaction.atomic
def record_change_status(
    *, record: AttendanceRecord, by, status: str, reason: str, source: str | None = None
) -> RecordChange:
    """Change a persisted record's status, with an audit row (``source``: what the change came from, when
    not the teacher's own hand, e.g. a meeting report)."""
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    change = RecordChange.objects.create(
        record=record, changed_by=by, old_status=record.status, new_status=status, reason=reason
    )
    record.set_status(status, reason)
    record.source = source or record.source
    record.save(update_fields=["status", "fail_reason", "source"])
    announce([record.attendance.course_id])
    return _tell_student(change)


def records_change_status(*, records, by, status: str, reason: str) -> int:
    """Mark several records of a saved session at once: one audited change per record whose status changes
    (one transaction: all or none); return how many changed."""
    changed = 0
    with transaction.atomic():
        for record in records:
            if record.status != status:
                record_change_status(record=record, by=by, status=status, reason=reason)
                changed += 1
    return changed


class AlreadyRecorded(Exception):
    """The student has a record in the session already: a change of its status is a correction, not an add."""


@transaction.atomic
def record_add(
    *, attendance: Attendance, by, student, status: str, reason: str, source: str = Source.TEACHER
) -> AttendanceRecord:
    """Add a student to a persisted session after the fact (or bring back a removed record). One who has a
    record already raises AlreadyRecorded: "added" must not quietly change a status."""
    record, created = AttendanceRecord.objects.select_for_update().get_or_create(
        attendance=attendance,
        student=student,
        defaults={"status": status, "source": source, "fail_reason": rejection_reason(status, reason)},
    )
    if not created and not record.is_deleted:
        raise AlreadyRecorded(record.status)
    old = "" if created else REMOVED
    if not created:
        record.restore()
        record.set_status(status, reason)
        record.save()
    _tell_student(
        RecordChange.objects.create(record=record, changed_by=by, old_status=old, new_status=status, reason=reason)
    )
    announce([attendance.course_id])
    return record


@transaction.atomic
def record_remove(*, record: AttendanceRecord, by, reason: str) -> None:
    """Soft-delete a record: gone from pages and reports, kept in the database."""
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    record.soft_delete(by=by, reason=reason, at=clock.now_datetime())
    _tell_student(
        RecordChange.objects.create(
            record=record, changed_by=by, old_status=record.status, new_status=REMOVED, reason=reason
        )
    )
    announce([record.attendance.course_id])


@transaction.atomic
def session_remove(*, attendance: Attendance, by, reason: str) -> None:
    """Soft-delete a whole session."""
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    attendance.soft_delete(by=by, reason=reason, at=clock.now_datetime())
    announce([attendance.course_id])


@transaction.atomic
def course_set_policy(
    *,
    course: Course,
    rate_policy: str,
    planned_sessions: int | None,
    excused_counts_as_present: bool,
    photo_check_default: bool = False,
    warning_rule: str | None = None,
    remote_weight: int | None = None,
    absences_in_a_row: int | None = None,
    appeal_days: int | None = None,
    meeting_min_share: int | None = None,
) -> None:
    course.rate_policy = rate_policy
    course.planned_sessions = planned_sessions
    course.excused_counts_as_present = excused_counts_as_present
    course.photo_check_default = photo_check_default
    course.warning_rule = warning_rule or course.warning_rule
    course.remote_weight = course.remote_weight if remote_weight is None else remote_weight
    for name, value in (
        ("absences_in_a_row", absences_in_a_row),
        ("appeal_days", appeal_days),
        ("meeting_min_share", meeting_min_share),
    ):
        if value is not None:
            setattr(course, name, value)
    fields = [
        "rate_policy",
        "planned_sessions",
        "excused_counts_as_present",
        "photo_check_default",
        "warning_rule",
        "remote_weight",
        "absences_in_a_row",
        "appeal_days",
        "meeting_min_share",
    ]
    course.save(update_fields=fields)
    announce([course.pk])
