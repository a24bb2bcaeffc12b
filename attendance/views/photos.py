"""Photos are personal data: served only here, to the student, a teacher of theirs, or staff.

Nothing under MEDIA_ROOT has a URL of its own.  Whoever may not see a photo
gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .. import live
from ..models import AttendanceRecord, ReferencePhoto
from ..photos import external, images


def private_file(name: str, content_type: str, *, missing: str, filename: str = "") -> FileResponse:
    """A file of the private storage (a photo, an excuse's document) for one who may see it: never cached
    on the way; shown inline, or downloaded as ``filename``."""
    try:
        handle = images.storage().open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404(missing) from None
    response = FileResponse(handle, content_type=content_type, as_attachment=bool(filename), filename=filename)
    response["Cache-Control"] = "private, no-store"
    if not filename:
        response["Content-Disposition"] = "inline"
    return response


def _photo_response(name: str) -> FileResponse:
    return private_file(name, "image/jpeg", missing=_("No such photo."))


def _check_in_photo_name(user, sid: str, number: str) -> str:
    """The stored photo of a check-in, if this user may see it ("" otherwise)."""
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


@login_required
@require_GET
def check_in_photo(request, sid, number):
    name = _check_in_photo_name(request.user, str(sid), number)
    if not name:
        raise Http404(_("No such photo."))
    return _photo_response(name)


@login_required
@require_GET
def reference_photo(request, pk):
    reference = ReferencePhoto.objects.filter(pk=pk).select_related("student").first()
    user = request.user
    allowed = reference is not None and (
        user.is_staff
        or reference.student_id == user.pk
        or (user.is_teacher and reference.student.enrollments.filter(course__teachers=user).exists())
    )
    if not allowed:
        raise Http404(_("No such photo."))
    return _photo_response(reference.image)


@csrf_exempt  # signed with the verifier's shared secret instead (HMAC-SHA256 over timestamp and body)
@require_POST
def verification_callback(request):
    answer = external.receive_callback(
        request.body,
        request.headers.get(external.TIMESTAMP_HEADER, ""),
        request.headers.get(external.SIGNATURE_HEADER, ""),
    )
    return JsonResponse({"detail": answer.message}, status=answer.status)
