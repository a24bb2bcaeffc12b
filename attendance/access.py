"""The only way views reach protected objects: 403 for the wrong role, 404 for others' things."""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from . import live
from .models import Attendance, Course


def role_required(allowed, message: str):
    """Log in first; then only users for whom allowed(user) is true pass (403 otherwise)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


teacher_required = role_required(lambda user: user.is_teacher, _("This page is for teachers."))
student_required = role_required(lambda user: user.is_student, _("This page is for students."))
staff_required = role_required(lambda user: user.is_staff, _("This page is for administrators."))


def _valid_uuid(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Http404(_("No such session.")) from None


def get_live_session(sid) -> live.LiveSession:
    """Return a live session that still takes check-ins, or 404."""
    session = live.get_session(_valid_uuid(sid))
    if session is None or session.state != live.OPEN:
        raise Http404(_("No such open session."))
    return session


def get_live_session_for_teacher(user, sid, *, open_only: bool = True) -> live.LiveSession:
    """Return the teacher's own live session (staff: any), or 404."""
    session = live.get_session(_valid_uuid(sid))
    if session is None or (open_only and session.state != live.OPEN):
        raise Http404(_("No such open session."))
    if session.teacher_number != user.school_number and not user.is_staff:
        raise Http404(_("No such open session."))
    return session


def get_live_or_saved_session_for_teacher(user, sid) -> live.LiveSession | None:
    """Return the teacher's live session, or None once the sweep has saved it (404 otherwise).

    A polling page that missed the short closed-but-unsaved window must still move on.
    """
    try:
        return get_live_session_for_teacher(user, sid, open_only=False)
    except Http404:
        if sessions_for_teacher(user).filter(pk=str(sid)).exists():
            return None
        raise


def teacher_courses(user):
    """Courses a teacher may start sessions for and read reports of."""
    return Course.objects.for_teacher(user)


def get_course_for_teacher(user, course_id) -> Course:
    return get_object_or_404(teacher_courses(user), pk=course_id)


def sessions_for_teacher(user):
    return Attendance.objects.alive().for_teacher(user)


def get_attendance_for_teacher(user, attendance_id) -> Attendance:
    return get_object_or_404(
        sessions_for_teacher(user).select_related("course", "teacher"), pk=_valid_uuid(attendance_id)
    )
