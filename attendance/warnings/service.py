"""Low-attendance warnings: after a sweep, each student who crossed their course's rule is warned once.

A course's rule (``Course.warning_rule``) says when: the student falls under the attendance threshold,
or can no longer reach it by the end of the term; or never. A warning is one ``AttendanceWarning`` row,
unique per course, student and rule while it is open, written before the e-mail is sent and in the
same transaction: a second worker sending at the same time waits on the row and then finds it there,
and a failed e-mail leaves no row, so the next run tries again. When the student is back on the right
side, the warning is closed and a later fall warns again. Each run also sends each of the course's
teachers one digest of the students it warned.

E-mails go in each recipient's language (their choice on the account, else ``LANGUAGE_CODE``), from
the templates in ``templates/email/`` through Django's mail framework.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .. import clock
from ..history.reports import StudentLine, course_report
from ..models import AttendanceWarning, Course

logger = logging.getLogger(__name__)


@dataclass
class Preview:
    """Who the next run would warn, and whose open warnings it would close."""

    to_warn: list[StudentLine]
    recovered: list[AttendanceWarning]
    threshold: int


def crossed(rule: str, line: StudentLine) -> bool:
    if rule == Course.WarningRule.BELOW:
        return line.below
    if rule == Course.WarningRule.CANNOT_REACH:
        return line.cannot_reach
    return False


def preview(course: Course, report=None) -> Preview:
    report = report or course_report(course)
    rule = course.warning_rule
    if rule == Course.WarningRule.OFF:
        return Preview([], [], report.threshold)
    open_now = {w.student_id: w for w in course.warnings.filter(cleared_at__isnull=True, kind=rule)}
    lines = {line.student_id: line for line in report.lines}
    to_warn = [line for line in report.lines if crossed(rule, line) and line.student_id not in open_now]
    recovered = [w for sid, w in open_now.items() if sid not in lines or not crossed(rule, lines[sid])]
    return Preview(to_warn, recovered, report.threshold)


def send_for_course(course: Course) -> int:
    """Warn the students of one course who crossed its rule since the last run; return how many."""
    due = preview(course)
    if due.recovered:
        AttendanceWarning.objects.filter(pk__in=[w.pk for w in due.recovered]).update(cleared_at=clock.now_datetime())
    warned = [line for line in due.to_warn if _warn(course, line, due.threshold)]
    if warned:
        _digest(course, warned, due.threshold)
    return len(warned)


def send_warnings(course_ids=None) -> int:
    """The task after each sweep: the courses whose sessions it saved (every course when None)."""
    courses = Course.objects.exclude(warning_rule=Course.WarningRule.OFF)
    if course_ids is not None:
        courses = courses.filter(pk__in=course_ids)
    total = 0
    for course in courses:
        try:
            total += send_for_course(course)
        except Exception:
            logger.exception("Low-attendance warnings of course %s failed; the next run tries again", course.pk)
    return total


def _warn(course: Course, line: StudentLine, threshold: int) -> bool:
    from django.contrib.auth import get_user_model

    student = get_user_model().objects.get(pk=line.student_id)
    try:
        with transaction.atomic():
            AttendanceWarning.objects.create(
                course=course, student=student, kind=course.warning_rule, rate=line.rate, emailed=bool(student.email)
            )
            if student.email:
                _mail(
                    student,
                    "email/low_attendance_subject.txt",
                    "email/low_attendance.txt",
                    {"student": student, "course": course, "line": line, "threshold": threshold},
                )
    except IntegrityError:
        return False  # another run warned this student for this crossing
    except Exception:
        logger.exception("Could not warn %s in %s; the next run tries again", student.school_number, course.code)
        return False
    return True


def _digest(course: Course, warned: list[StudentLine], threshold: int) -> None:
    for teacher in course.teachers.exclude(email=""):
        try:
            _mail(
                teacher,
                "email/low_attendance_digest_subject.txt",
                "email/low_attendance_digest.txt",
                {"teacher": teacher, "course": course, "warned": warned, "threshold": threshold},
            )
        except Exception:
            logger.exception("Could not send the warnings digest of %s to %s", course.code, teacher.school_number)


def _mail(user, subject_template: str, body_template: str, context: dict) -> None:
    base = settings.SITE_URL.rstrip("/")
    context = {**context, "my_attendance": base + reverse("attendance:my_attendance"), "site": base}
    if "course" in context:
        context["report_url"] = base + reverse("attendance:course_report", args=[context["course"].pk])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(subject_template, context).split())
        body = render_to_string(body_template, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
