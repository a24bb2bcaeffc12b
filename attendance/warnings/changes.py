"""A student is told when a teacher changes one of their saved records: on "My attendance" (the changes of
the last NOTICE_DAYS) and by e-mail, in the student's language, when the course sends e-mails (its
warning rule is not "no warnings") and the student has an address.

``history.corrections`` enqueues ``tasks.tell_student_of_change`` once the change is committed; the live
roster's corrections, saved by the sweep with the session, are seen in class and send nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

from .. import clock
from ..models import Course, RecordChange
from .service import _mail

logger = logging.getLogger(__name__)
NOTICE_DAYS = 30  # how long "My attendance" lists a change


def recent_changes(student, *, limit: int = 20) -> list[RecordChange]:
    """The teachers' changes to the student's saved records in the last NOTICE_DAYS, newest first."""
    since = clock.now_datetime() - timedelta(days=NOTICE_DAYS)
    return list(
        RecordChange.objects.filter(
            record__student=student, changed_at__gte=since, record__attendance__is_deleted=False
        )
        .select_related("record__attendance__course", "changed_by")
        .order_by("-changed_at")[:limit]
    )


def tell_student(change_id: int) -> str:
    """E-mail the student about one change (the worker's task); say what happened, for the task's result."""
    change = (
        RecordChange.objects.select_related("record__student", "record__attendance__course", "changed_by")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return "gone"
    course, student = change.record.attendance.course, change.record.student
    if course is None or course.warning_rule == Course.WarningRule.OFF:
        return "the course sends no e-mails"
    if not student.email:
        return "the student has no e-mail address"
    context = {"change": change, "course": course, "student": student, "session": change.record.attendance}
    _mail(student, "email/record_changed_subject.txt", "email/record_changed.txt", context)
    return "sent"
