"""Appeals after the fact: a student asks, within the course's appeal days, to correct one saved record ("I was
there": present, "I was ill": excused) with a reason and an optional document; the teacher approves or
declines it in one click on the excuse requests' list, and an approval changes the record with an audited
change naming the appeal (``service.decide``). An excuse request for days already past becomes appeals of
the records of those days."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import clock
from ..models import APPEALABLE, AttendanceRecord, Course, ExcuseRequest, Status
from . import service
from .service import ExcuseRefused

# What an appeal may ask for: the student was there, or had a reason to be away.
WANTS = (Status.PRESENT, Status.EXCUSED)


def file_appeal(*, student, record_id: int, wanted: str, reason: str, attachment=None) -> ExcuseRequest:
    """Appeal one of the student's saved records; ExcuseRefused says why it cannot be (LookupError: not theirs)."""
    record = (
        AttendanceRecord.objects.alive()
        .filter(pk=record_id, student=student, attendance__is_deleted=False, attendance__course__isnull=False)
        .select_related("attendance__course")
        .first()
    )
    if record is None:
        raise LookupError(record_id)
    if wanted not in WANTS:
        raise ExcuseRefused(_("Ask to be counted present or excused."))
    if record.status not in APPEALABLE or record.status == wanted:
        status = str(Status(record.status).label).lower()
        raise ExcuseRefused(_("This record cannot be appealed: it is %(status)s.") % {"status": status})
    if not record.can_be_appealed:
        until = timezone.localtime(record.appeal_until)
        raise ExcuseRefused(_("The time to appeal this record ended on %(day)s.") % {"day": f"{until:%d.%m.%Y}"})
    if record.appeals.filter(state=ExcuseRequest.State.PENDING).exists():
        raise ExcuseRefused(_("You have appealed this record already: your teacher has not decided yet."))
    day = timezone.localdate(record.attendance.starts_at)
    return service.create(
        student=student,
        course=record.attendance.course,
        first_day=day,
        last_day=day,
        reason=reason,
        attachment=attachment,
        record=record,
        wanted=wanted,
    )


def file_request_or_appeals(
    *, student, course: Course, first_day: date, last_day: date, reason: str, attachment=None
) -> list[ExcuseRequest]:
    """An excuse request as the student filed it: the days already past become appeals (to be excused) of
    the saved records of those days, today and after stay a request in advance."""
    today = clock.localdate()
    service.check_days(first_day, last_day, today=today, past_ok=True)
    data = attachment.read() if attachment is not None else None

    def document():
        return None if data is None else SimpleUploadedFile(attachment.name, data, attachment.content_type)

    made = []
    if first_day < today:
        past = list(
            AttendanceRecord.objects.alive()
            .filter(
                student=student,
                attendance__course=course,
                attendance__is_deleted=False,
                attendance__starts_at__date__gte=first_day,
                attendance__starts_at__date__lte=min(last_day, today - timedelta(days=1)),
                status__in=APPEALABLE,
            )
            .select_related("attendance__course")
        )
        open_to_appeal = [r for r in past if r.can_be_appealed]
        if not open_to_appeal and last_day < today:
            raise ExcuseRefused(
                _("No saved session of this course on those days can still be appealed (within %(days)s days).")
                % {"days": course.appeal_days}
            )
        for record in open_to_appeal:
            if not record.appeals.filter(state=ExcuseRequest.State.PENDING).exists():
                made.append(
                    file_appeal(
                        student=student,
                        record_id=record.pk,
                        wanted=Status.EXCUSED,
                        reason=reason,
                        attachment=document(),
                    )
                )
        first_day = today
    if last_day >= first_day:
        made.append(
            service.file_request(
                student=student,
                course=course,
                first_day=first_day,
                last_day=last_day,
                reason=reason,
                attachment=document(),
            )
        )
    return made
