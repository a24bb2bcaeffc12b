"""Student pages: type a code, open a QR link, tap into a no-code session, see the result."""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import live, services, verification
from ..access import get_live_session, student_required
from ..forms import CodeForm, ConfirmForm
from ..models import AttendanceRecord, Source, Status

DEVICE_COOKIE = "attn_device"
LINK_SALT = "attendance.checkin-link"


def _device_id(request) -> str:
    device = request.COOKIES.get(DEVICE_COOKIE, "")
    if not (16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum()):
        device = request._attn_new_device = secrets.token_urlsafe(24)
    return device


def _keep_device(request, response):
    new = getattr(request, "_attn_new_device", None)
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            new,
            max_age=400 * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _sessions_for(user, now: float) -> list:
    """Started open sessions, each with whether the student belongs to it.

    The roster snapshot taken at the start answers without a query; only a
    student missing from a course session's roster (enrolled since) costs one,
    and is then added to that roster.
    """
    found = [(s, on) for s, on in live.open_sessions_for(now, user.school_number) if s.has_started(now)]
    unknown = [s for s, on in found if s.course_id and not on]
    if unknown:
        enrolled = set(user.enrollments.values_list("course_id", flat=True))
        for session in unknown:
            if session.course_id in enrolled:
                live.add_to_roster(session, user.school_number, user.full_name)
        found = [(s, on or s.course_id in enrolled) for s, on in found]
    return found


def _my_sessions(user, now: float, query: str = "") -> tuple[list, list]:
    """Open sessions of the student's courses, and ad-hoc ones matching a search."""
    found = _sessions_for(user, now)
    mine = [s for s, on in found if s.course_id and on]
    query = query.strip().lower()
    adhoc = [
        s
        for s, _ in found
        if not s.course_id and query and (query in s.lesson_name.lower() or query in s.teacher_name.lower())
    ]
    return mine, adhoc


def _code_candidates(user, now: float) -> list:
    """Sessions taking codes now that this student may join: their courses' and ad-hoc ones."""
    return [s for s, on in _sessions_for(user, now) if s.require_code and (on or not s.course_id)]


def _check_in(request, session, source, position):
    now = time.time()
    try:
        services.record_check_in(
            session=session,
            student=request.user,
            source=source,
            ip=verification.client_ip(request),
            device=_device_id(request),
            position=position,
            now=now,
        )
    except services.CheckInError as exc:
        messages.error(request, str(exc))
        return _keep_device(request, redirect("attendance:student_home"))
    return _keep_device(request, redirect("attendance:result", sid=session.id))


def _link_to_confirm(session, source: str):
    token = signing.dumps({"sid": session.id, "src": source}, salt=LINK_SALT, compress=True)
    return redirect("attendance:confirm", sid=session.id, token=token)


@student_required
@require_http_methods(["GET", "POST"])
def student_home(request):
    now = time.time()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        candidates = _code_candidates(request.user, now)
        try:
            session = services.session_for_code(
                candidates=candidates, student=request.user, code=form.cleaned_data["code"], now=now
            )
        except services.CheckInError as exc:
            form.add_error("code", str(exc))
        else:
            if session.location_radius_m and form.position() is None:
                return _link_to_confirm(session, Source.CODE)
            return _check_in(request, session, Source.CODE, form.position())
    query = request.GET.get("q", "")[:100]
    mine, adhoc = _my_sessions(request.user, now, query)
    status = 400 if form.errors else 200
    ctx = {"form": form, "mine": mine, "adhoc": adhoc, "query": query}
    return _keep_device(request, render(request, "attendance/student_home.html", ctx, status=status))


@require_GET
def qr_link(request, sid, code):
    """The QR code's target: validated now, then held through the login by a signed link."""
    session = get_live_session(sid)
    if not session.require_code or not verification.code_is_valid(session.secret, code, time.time()):
        ctx = {"session": session, "form": CodeForm()}
        return render(request, "attendance/qr_expired.html", ctx, status=400)
    return _link_to_confirm(session, Source.QR)


@student_required
@require_GET
def tap(request, sid):
    session = get_live_session(sid)
    _check_may_tap(request.user, session)
    return _link_to_confirm(session, Source.TAP)


def _belongs_to(user, session) -> bool:
    if live.on_roster(session.id, user.school_number):
        return True
    if user.enrollments.filter(course_id=session.course_id).exists():
        live.add_to_roster(session, user.school_number, user.full_name)
        return True
    return False


def _check_may_tap(user, session) -> None:
    if session.require_code:
        raise Http404("This session needs a code.")
    if session.course_id and not _belongs_to(user, session):
        raise Http404("You are not enrolled in this course.")


@student_required
@require_http_methods(["GET", "POST"])
def confirm(request, sid, token):
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=settings.CHECKIN_LINK_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, "This check-in link has expired. Type the code shown on the screen.")
        return redirect("attendance:student_home")
    session = get_live_session(sid)
    if payload.get("sid") != session.id:
        raise Http404("This link belongs to another session.")
    if payload.get("src") == Source.TAP:
        # The link is not bound to a student: whoever it was shared with must pass the tap rule too.
        _check_may_tap(request.user, session)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _check_in(request, session, payload.get("src", Source.QR), form.position())
    ctx = {"session": session, "form": form}
    return _keep_device(request, render(request, "attendance/confirm.html", ctx, status=400 if form.errors else 200))


@student_required
@require_GET
def result(request, sid):
    sid = str(sid)
    record = live.get_record(sid, request.user.school_number)
    session = live.get_session(sid)
    if record is None:
        stored = (
            AttendanceRecord.objects.alive()
            .filter(attendance_id=sid, student=request.user, attendance__is_deleted=False)
            .select_related("attendance")
            .first()
        )
        if stored is None:
            raise Http404("You have no check-in in this session.")
        record = {"status": stored.status, "reason": stored.fail_reason, "checked_in_at": stored.checked_in_at}
        title = stored.attendance.lesson_name
    else:
        record = {**record, "checked_in_at": services.as_datetime(record.get("checked_in_at"))}
        title = session.title if session else ""
    ctx = {"record": record, "title": title, "sid": sid, "pending": record["status"] == Status.PENDING}
    template = "attendance/partials/result_body.html" if request.htmx else "attendance/result.html"
    return render(request, template, ctx)
