"""The LMS course linked to an ATTN course: created at the first instructor's launch; the person's place in it."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from lti_tool.models import LtiContext

from accounts.models import User
from attendance.models import Course, Enrollment

from .launch import LaunchRefused
from .models import LmsCourse


def _free_code(context: LtiContext) -> str:
    """A course code for the LMS course: its label (or title, or id), made unique with a number."""
    base = " ".join((context.label or context.title or f"LMS-{context.pk}").split())[:28] or f"LMS-{context.pk}"
    code, n = base, 1
    while Course.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@transaction.atomic
def course_for_launch(*, context: LtiContext, user: User, role: str) -> Course:
    """The ATTN course of the LMS course, created and linked at the first instructor's launch; the instructor
    becomes one of its teachers, a learner (a student account) one of its students."""
    LtiContext.objects.select_for_update().get(pk=context.pk)  # two first launches at once link one course
    link = LmsCourse.objects.select_related("course").filter(context=context).first()
    if link is None:
        if role != User.Role.TEACHER and role != User.Role.ADMIN:
            raise LaunchRefused(_("Your teacher has not opened ATTN in this LMS course yet."), 403)
        title = " ".join((context.title or context.label or "").split())[:200] or _("LMS course")
        course = Course.objects.create(code=_free_code(context), title=title)
        link = LmsCourse.objects.create(context=context, course=course)
    course = link.course
    if role in (User.Role.TEACHER, User.Role.ADMIN) and user.is_teacher:
        course.teachers.add(user)
    elif user.is_student:
        Enrollment.objects.get_or_create(course=course, student=user)
    return course


def landing(*, course: Course, user: User) -> str:
    """Where the launch goes: the course's page for its teachers, the check-in page for its students."""
    if user.is_teacher and Course.objects.for_teacher(user).filter(pk=course.pk).exists():
        return reverse("attendance:course_report", args=[course.pk])
    if user.is_student:
        return reverse("attendance:student_home")
    return reverse("home")
