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
class Due:
    """A student who crossed one of the course's rules (``kind``: ``AttendanceWarning.Kind``)."""

    line: StudentLine
    kind: str

    @property
    def full_name(self) -> str:
        return self.line.full_name

    @property
    def school_number(self) -> str:
        return self.line.school_number

    @property
    def rate(self) -> float | None:
        return self.line.rate


@dataclass
class Preview:
    """Who the next run would warn (for which rule), and whose open warnings it would close."""

    to_warn: list[Due]
    recovered: list[AttendanceWarning]
    threshold: int


def rules(course: Course) -> list[str]:
    """The rules a course warns by: its warning rule, and its absences in a row when it counts them."""
    kinds = [] if course.warning_rule == Course.WarningRule.OFF else [course.warning_rule]
    return kinds + ([AttendanceWarning.Kind.IN_A_ROW] if course.absences_in_a_row else [])


def crossed(rule: str, line: StudentLine, course: Course | None = None) -> bool:
    if rule == Course.WarningRule.BELOW:
        return line.below
    if rule == Course.WarningRule.CANNOT_REACH:
        return line.cannot_reach
    if rule == AttendanceWarning.Kind.IN_A_ROW:
        return course is not None and line.streak >= course.absences_in_a_row
    return False


def preview(course: Course, report=None) -> Preview:
    report = report or course_report(course)
    kinds = rules(course)
    if not kinds:
        return Preview([], [], report.threshold)
    lines = {line.student_id: line for line in report.lines}
    to_warn, recovered = [], []
    open_now = list(course.warnings.filter(cleared_at__isnull=True, kind__in=kinds))
    for kind in kinds:
        warned = {w.student_id for w in open_now if w.kind == kind}
        to_warn += [
            Due(line, kind) for line in report.lines if crossed(kind, line, course) and line.student_id not in warned
        ]
    recovered = [
        w
        for w in open_now
        if w.kind not in kinds or w.student_id not in lines or not crossed(w.kind, lines[w.student_id], course)
    ]
    return Preview(to_warn, recovered, report.threshold)


def send_for_course(course: Course) -> int:
    """Warn the students of one course who crossed its rule since the last run; return how many."""
    due = preview(course)
    if due.recovered:
        AttendanceWarning.objects.filter(pk__in=[w.pk for w in due.recovered]).update(cleared_at=clock.now_datetime())
    warned = [due_one for due_one in due.to_warn if _warn(course, due_one, due.threshold)]
    if warned:
        _digest(course, warned, due.threshold)
    return len(warned)


def send_warnings(course_ids=None) -> int:
    """The task after each sweep: the courses whose sessions it saved (every course when None)."""
    courses = Course.objects.exclude(warning_rule=Course.WarningRule.OFF, absences_in_a_row=0)
    if course_ids is not None:
        courses = courses.filter(pk__in=course_ids)
    total = 0
    for course in courses:
        try:
            total += send_for_course(course)
        except Exception:
            logger.exception("Low-attendance warnings of course %s failed; the next run tries again", course.pk)
    return total


def _warn(course: Course, due: Due, threshold: int) -> bool:
    """One warning: its row, the student's e-mail and the advisor's copy, all or none (once per crossing)."""
    from django.contrib.auth import get_user_model

    student = get_user_model().objects.select_related("advisor").get(pk=due.line.student_id)
    advisor = student.advisor if student.advisor and student.advisor.email else None
    context = {"student": student, "course": course, "line": due.line, "kind": due.kind, "threshold": threshold}
    try:
        with transaction.atomic():
            AttendanceWarning.objects.create(
                course=course,
                student=student,
                kind=due.kind,
                rate=due.line.rate,
                emailed=bool(student.email),
                advisor_emailed=advisor is not None,
            )
            if student.email:
                _mail(student, "email/low_attendance_subject.txt", "email/low_attendance.txt", context)
            if advisor is not None:  # in the advisor's own language
                _mail(
                    advisor,
                    "email/low_attendance_advisor_subject.txt",
                    "email/low_attendance_advisor.txt",
                    {**context, "advisor": advisor},
                )
    except IntegrityError:
        return False  # another run warned this student for this crossing
    except Exception:
        logger.exception("Could not warn %s in %s; the next run tries again", student.school_number, course.code)
        return False
    return True


def _digest(course: Course, warned: list[Due], threshold: int) -> None:
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
