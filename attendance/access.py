"""Every permission rule: the only way views reach protected objects — 403 for the wrong role, 404 for
others' things (the same 404 as for what does not exist). Private files (selfies, reference photos,
excuse documents) included: a view serves one only after a function here has found it."""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, resolve_url
from django.utils.translation import gettext_lazy as _

from . import live
from .models import Attendance, AttendanceRecord, Course, Enrollment, ExcuseRequest, ReferencePhoto


def role_required(allowed, message: str):
    """Log in first; then only users for whom allowed(user) is true pass (403 otherwise)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        @wraps(view)
        def entry(request, *args, **kwargs):
            if not request.user.is_authenticated and request.headers.get("HX-Request"):
                return _login_for_htmx(request)
            return wrapper(request, *args, **kwargs)

        return entry

    return decorator


def _login_for_htmx(request) -> HttpResponse:
    """A poll or an in-place form whose login has expired: htmx would put the login page inside the card
    it updates; HX-Redirect takes the whole page to the login instead, and back to it afterwards."""
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = page.path + (f"?{page.query}" if page.query else "") if page.path else request.path
    response = HttpResponse(status=401)
    response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
    return response


def keeps_on_login(*names: str):
    """A form posted after the login expired: its fields ``names`` ride through the login in the page's
    address (the check-in page fills the code in again) instead of being lost."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and not request.user.is_authenticated:
                kept = {name: request.POST[name][:64] for name in names if request.POST.get(name)}
                return redirect_to_login(request.path + (f"?{urlencode(kept)}" if kept else ""))
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


def get_student_for_viewer(user, school_number: str):
    """A student whose whole record ``user`` may read: staff, the student's advisor, or a teacher of one of
    the student's courses (404 for anyone else, as for a number that does not exist)."""
    from django.contrib.auth import get_user_model

    student = get_object_or_404(get_user_model(), school_number=school_number, role="student")
    allowed = (
        user.is_staff
        or (user.is_teacher and student.advisor_id == user.pk)
        or (user.is_teacher and Enrollment.objects.filter(student=student, course__teachers=user).exists())
    )
    if not allowed:
        raise Http404(_("No such student."))
    return student


# --- private files ------------------------------------------------------------


def check_in_photo_name(user, sid: str, number: str) -> str:
    """The selfie of a check-in, live or saved, if this user may see it ("" otherwise): the student,
    the session's teacher (once saved, any teacher of its course) and staff. The live store first: the
    sweep saves a session before it deletes the live keys."""
    record = live.get_record(sid, number)
    if record is not None:
        session = live.get_session(sid)
        allowed = (
            user.is_staff or user.school_number == number or (session and session.teacher_number == user.school_number)
        )
        return record.photo if allowed else ""
    stored = (
        AttendanceRecord.objects.alive()
        .filter(attendance_id=sid, student__school_number=number)
        .select_related("attendance", "student")
        .first()
    )
    if stored is None:
        return ""
    session = stored.attendance
    allowed = (
        user.is_staff
        or stored.student_id == user.pk
        or session.teacher_id == user.pk
        or (session.course_id is not None and session.course.teachers.filter(pk=user.pk).exists())
    )
    return stored.photo if allowed else ""


def get_reference_photo(user, pk) -> ReferencePhoto:
    """A student's reference photo, for the student, a teacher of one of their courses and staff (404 otherwise)."""
    reference = ReferencePhoto.objects.filter(pk=pk).select_related("student").first()
    allowed = reference is not None and (
        user.is_staff
        or reference.student_id == user.pk
        or (user.is_teacher and reference.student.enrollments.filter(course__teachers=user).exists())
    )
    if not allowed:
        raise Http404(_("No such photo."))
    return reference


def excuse_requests_for_teacher(user):
    """The excuse requests a teacher decides: those of the courses they teach (every course for staff)."""
    requests = ExcuseRequest.objects.all()
    return requests if user.is_staff else requests.filter(course__teachers=user)


def get_excuse_document(user, pk) -> ExcuseRequest:
    """An excuse request whose document this user may see: the student, the course's teachers, staff (404
    otherwise)."""
    excuse = ExcuseRequest.objects.select_related("course").filter(pk=pk).first()
    allowed = (
        excuse is not None
        and excuse.attachment
        and (
            user.is_staff
            or excuse.student_id == user.pk
            or (user.is_teacher and excuse.course.teachers.filter(pk=user.pk).exists())
        )
    )
    if not allowed:
        raise Http404(_("No such document."))
    return excuse


# --- who may be recorded in a session -----------------------------------------

STUDENT_ROLE = "student"


def recording_refused(*, school_number: str, role: str | None, course: Course | None, add_anyway: bool) -> str:
    """Why a teacher may not record this school number in a session ("" when they may): only a student's
    account (or a number without an account yet, which the sweep creates as a student) — never a teacher or
    an administrator — and in a course's session only its enrolled students, unless the teacher confirms
    adding one who is not (``add_anyway``). ``role`` is the account's, None without an account."""
    if role is not None and role != STUDENT_ROLE:
        return _("%(number)s is not a student's account: only students are recorded.") % {"number": school_number}
    enrolled = Enrollment.objects.filter(course=course, student__school_number=school_number)
    if course is not None and not add_anyway and not enrolled.exists():
        return _("%(number)s is not enrolled in %(course)s. Tick “Not enrolled: add anyway” to add them.") % {
            "number": school_number,
            "course": course.code,
        }
    return ""
