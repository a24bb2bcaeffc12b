"""Excuse requests: a student asks in advance, a teacher of the course decides, the records follow.

An approved request turns the student's "absent" in its days into "excused", with an audit row by the
teacher who approved it, at two moments: when the decision is made (sessions already saved) and when
the sweep saves a session (``apply_to_sessions``, in the sweep's transaction). A check-in is never
changed: a student who came after all keeps it.
"""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import clock, storage
from ..access import excuse_requests_for_teacher
from ..events import announce
from ..history import corrections
from ..models import Attendance, AttendanceRecord, Course, ExcuseRequest, RecordChange, Status

# Stored in English, shown in the reader's language (attendance.reasons): "Excuse request approved. <reason>".
APPROVED_CHANGE = gettext_noop("Excuse request approved.")
APPEAL_APPROVED = gettext_noop("Appeal approved.")
ATTACHMENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


class ExcuseRefused(ValueError):
    """What is wrong with a request, in words for the student (or the teacher)."""


def attachment_type(data: bytes) -> str:
    """The attachment's kind from its bytes (not its name): "pdf", "jpeg" or "png", else ExcuseRefused."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = (image.format or "").lower()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = ""
    if kind not in ATTACHMENT_TYPES:
        raise ExcuseRefused(_("Attach a PDF, JPEG or PNG document."))
    return kind


def check_days(first_day: date, last_day: date, *, today: date | None = None, past_ok: bool = False) -> None:
    """The days a request may cover (``past_ok``: days already past, which become appeals)."""
    today = today or clock.localdate()
    if first_day < today and not past_ok:
        raise ExcuseRefused(_("Ask before the day: the first day cannot be in the past."))
    if first_day > today + clock.HORIZON:
        raise ExcuseRefused(_("Ask at most a year ahead."))
    if last_day < first_day:
        raise ExcuseRefused(_("The last day comes before the first."))
    if (last_day - first_day).days + 1 > settings.EXCUSE_MAX_DAYS:
        raise ExcuseRefused(_("One request covers at most %(days)s days.") % {"days": settings.EXCUSE_MAX_DAYS})


def file_request(
    *, student, course: Course, first_day: date, last_day: date, reason: str, attachment=None
) -> ExcuseRequest:
    """Record a student's request (nothing is stored when anything is wrong)."""
    if not course.enrollments.filter(student=student).exists():
        raise ExcuseRefused(_("You are not enrolled in this course."))
    check_days(first_day, last_day)
    asked = ExcuseRequest.objects.filter(
        record__isnull=True,
        student=student,
        course=course,
        state__in=[ExcuseRequest.State.PENDING, ExcuseRequest.State.APPROVED],
        first_day__lte=last_day,
        last_day__gte=first_day,
    )
    if asked.exists():
        raise ExcuseRefused(_("You have asked for some of these days already: withdraw that request first."))
    return create(
        student=student, course=course, first_day=first_day, last_day=last_day, reason=reason, attachment=attachment
    )


def create(*, student, course: Course, first_day: date, last_day: date, reason: str, attachment=None, **appeal):
    """Store the document (checked by its bytes) and the request; nothing is kept when either fails."""
    stored, name = "", ""
    if attachment is not None:
        if attachment.size > settings.EXCUSE_ATTACHMENT_MAX_BYTES:
            limit = settings.EXCUSE_ATTACHMENT_MAX_BYTES // 1024 // 1024
            raise ExcuseRefused(_("The document is larger than %(mb)s MB.") % {"mb": limit})
        data = attachment.read()
        kind = attachment_type(data)
        stored = storage.private().save(f"excuses/{student.pk}-{secrets.token_urlsafe(12)}.{kind}", ContentFile(data))
        name = (attachment.name or f"document.{kind}")[:255]
    try:
        return ExcuseRequest.objects.create(
            student=student,
            course=course,
            first_day=first_day,
            last_day=last_day,
            reason=reason,
            attachment=stored,
            attachment_name=name,
            **appeal,
        )
    except Exception:
        storage.delete(stored)
        raise


def for_teacher(teacher):
    """The requests of the courses a teacher teaches (all courses for staff), pending first."""
    requests = excuse_requests_for_teacher(teacher).select_related("student", "course", "decided_by")
    pending_first = Case(
        When(state=ExcuseRequest.State.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return requests.order_by(pending_first, "-created_at")


@transaction.atomic
def decide(*, request_id: int, by, approve: bool, note: str = "") -> ExcuseRequest:
    """Approve or decline a pending request; an approval changes the sessions already saved."""
    excuse = ExcuseRequest.objects.select_for_update().get(pk=request_id)
    if excuse.state != ExcuseRequest.State.PENDING:
        raise ExcuseRefused(_("This request was already decided."))
    excuse.state = ExcuseRequest.State.APPROVED if approve else ExcuseRequest.State.DECLINED
    excuse.decided_by, excuse.decided_at, excuse.note = by, clock.now_datetime(), note[:255]
    excuse.save(update_fields=["state", "decided_by", "decided_at", "note"])
    if approve and excuse.record_id:  # an appeal: its one record, an audited change naming the appeal
        record = AttendanceRecord.objects.alive().filter(pk=excuse.record_id).first()
        if record is not None and record.status != excuse.wanted:
            reason = f"{APPEAL_APPROVED} {excuse.reason}"[:255]
            corrections.record_change_status(record=record, by=by, status=excuse.wanted, reason=reason)
    elif approve:
        sessions = Attendance.objects.alive().filter(course_id=excuse.course_id).values_list("pk", flat=True)
        if _apply([excuse], sessions.filter(starts_at__gte=_day_start(excuse.first_day))):
            announce([excuse.course_id])  # audited changes of saved records, as a correction's
    return excuse


def apply_to_sessions(sessions) -> int:
    """Excuse, in sessions just saved (the sweep's ``LiveSession``s), the absent students with an
    approved request for the session's day.

    Called by the sweep inside its transaction: one query when no approved request covers them.
    """
    of_courses = [s for s in sessions if s.course_id]
    if not of_courses:
        return 0
    days = [timezone.localdate(s.starts_dt) for s in of_courses]
    approved = list(
        ExcuseRequest.objects.filter(
            record__isnull=True,  # an appeal corrects its own record, once, when approved
            state=ExcuseRequest.State.APPROVED,
            course_id__in={s.course_id for s in of_courses},
            first_day__lte=max(days),
            last_day__gte=min(days),
        )
    )
    return _apply(approved, [s.id for s in of_courses]) if approved else 0


def _day_start(day: date):
    return timezone.make_aware(datetime.combine(day, time.min))


def _apply(approved: list[ExcuseRequest], session_ids) -> int:
    """Absent → excused for each request's student in the sessions of its course and days; an audit row each."""
    changed = 0
    for excuse in approved:
        records = AttendanceRecord.objects.alive().filter(
            attendance_id__in=session_ids,
            attendance__course_id=excuse.course_id,
            attendance__starts_at__gte=_day_start(excuse.first_day),
            attendance__starts_at__lt=_day_start(excuse.last_day + timedelta(days=1)),
            student_id=excuse.student_id,
            status=Status.ABSENT,
        )
        ids = list(records.select_for_update().values_list("pk", flat=True))
        if not ids:
            continue
        AttendanceRecord.objects.filter(pk__in=ids).update(status=Status.EXCUSED, fail_reason=excuse.reason)
        reason = f"{APPROVED_CHANGE} {excuse.reason}"[:255]
        RecordChange.objects.bulk_create(
            RecordChange(
                record_id=pk,
                changed_by_id=excuse.decided_by_id,
                old_status=Status.ABSENT,
                new_status=Status.EXCUSED,
                reason=reason,
            )
            for pk in ids
        )
        changed += len(ids)
    return changed


def withdraw(*, student, request_id: int) -> bool:
    """A student takes back a request the teacher has not decided yet (its document goes with it)."""
    deleted, _rows = ExcuseRequest.objects.filter(
        pk=request_id, student=student, state=ExcuseRequest.State.PENDING
    ).delete()
    return bool(deleted)
