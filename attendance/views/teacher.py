"""Teacher pages of a live session: start, projector, roster, corrections, finish."""

from __future__ import annotations

import time
from datetime import timedelta

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import live, services, verification
from ..access import get_live_session_for_teacher, sessions_for_teacher, teacher_required
from ..forms import LIVE_ACTIONS, AddStudentForm, ExtendForm, ReasonForm, StartSessionForm
from ..live_roster import build_roster
from ..models import Status

User = services.User


@teacher_required
@require_http_methods(["GET", "POST"])
def teacher_home(request):
    form = StartSessionForm(request.POST or None, teacher=request.user)
    if request.method == "POST" and form.is_valid():
        starts, ends = form.session_times()
        data = form.cleaned_data
        result = services.session_start(
            teacher=request.user,
            course=data.get("course"),
            lesson_name=form.lesson(),
            starts_at=starts,
            ends_at=ends,
            late_threshold_minutes=form.late_threshold(),
            require_code=data["require_code"],
            network_mode=data["network_mode"],
            teacher_ip=verification.client_ip(request),
            location=form.position() if data["use_location"] else None,
            location_radius_m=data["location_radius_m"],
            one_device_per_student=data["one_device_per_student"],
        )
        if result.session:
            return redirect("attendance:live", sid=result.session.id)
        messages.error(request, "You already have an open session. Finish it before starting another.")
        return redirect("attendance:live", sid=result.other_open_id)
    open_id = live.teacher_open_session_id(request.user.school_number)
    open_session = live.get_session(open_id) if open_id else None
    recent = sessions_for_teacher(request.user).select_related("course")[:5]
    status = 400 if request.method == "POST" else 200
    ctx = {"form": form, "open_session": open_session, "recent": recent}
    return render(request, "attendance/teacher_home.html", ctx, status=status)


@teacher_required
@require_GET
def live_page(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    return _render_live(request, session)


@teacher_required
@require_GET
def live_roster(request, sid):
    session = _live_or_saved(request.user, sid)
    if session is None or session.state != live.OPEN:
        return _to_finished(sid)
    rows, counts = build_roster(session)
    return render(request, "attendance/partials/roster.html", {"session": session, "rows": rows, "counts": counts})


def _code_context(request, session: live.LiveSession) -> dict:
    now = time.time()
    ctx = {"session": session, "count": live.count_records(session.id), "now": now}
    if session.require_code:
        code = verification.code_for(session.secret, verification.current_step(now))
        url = reverse("attendance:qr_link", args=[session.id, code])
        ctx.update(code=code, seconds_left=verification.seconds_left_in_step(now), link=url)
    else:
        url = reverse("attendance:student_home")
    qr = segno.make(request.build_absolute_uri(url), error="m")
    ctx["qr_svg"] = qr.svg_inline(scale=8, dark="#111", light="#fff", omitsize=True)
    ctx["started"] = session.has_started(now)
    return ctx


@teacher_required
@require_GET
def projector(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    return render(request, "attendance/projector.html", _code_context(request, session))


@teacher_required
@require_GET
def projector_code(request, sid):
    session = _live_or_saved(request.user, sid)
    if session is None or session.state != live.OPEN:
        return _to_finished(sid)
    return render(request, "attendance/partials/projector_code.html", _code_context(request, session))


def _live_or_saved(user, sid) -> live.LiveSession | None:
    """Return the teacher's live session, or None once the sweep has saved it (404 otherwise)."""
    try:
        return get_live_session_for_teacher(user, sid, open_only=False)
    except Http404:
        # A polling page that missed the short closed-but-unsaved window must still move on.
        if sessions_for_teacher(user).filter(pk=str(sid)).exists():
            return None
        raise


def _to_finished(sid) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("attendance:finished", args=[sid])
    return response


@teacher_required
@require_POST
def record_action(request, sid, number, action):
    session = get_live_session_for_teacher(request.user, sid)
    if action == "remove":
        ok = services.live_record_remove(session=session, school_number=number)
    else:
        if action not in LIVE_ACTIONS:
            return HttpResponse("Unknown action.", status=400)
        reason = ""
        if action in ("reject", "excuse"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give a reason.")
                return _render_live(request, session, status=400)
            reason = form.cleaned_data["reason"]
        name = _student_name(session, number)
        if name is None:
            return HttpResponse("No such student in this session.", status=404)
        ok = services.live_record_set_status(
            session=session, school_number=number, full_name=name, status=LIVE_ACTIONS[action], reason=reason
        )
    if not ok:
        messages.error(request, "The session has ended; correct it from its history page.")
    return _back_to_roster(request, session)


def _student_name(session: live.LiveSession, number: str) -> str | None:
    record = live.get_record(session.id, number)
    if record:
        return record["full_name"]
    return User.objects.filter(school_number=number).values_list("full_name", flat=True).first()


def _back_to_roster(request, session):
    if request.htmx:
        rows, counts = build_roster(session)
        return render(request, "attendance/partials/roster.html", {"session": session, "rows": rows, "counts": counts})
    return redirect("attendance:live", sid=session.id)


@teacher_required
@require_POST
def add_student(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    form = AddStudentForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["school_number"]
        name = User.objects.filter(school_number=number).values_list("full_name", flat=True).first()
        name = name or form.cleaned_data["full_name"].strip()
        if name:
            services.live_record_set_status(
                session=session,
                school_number=number,
                full_name=name,
                status=Status.PRESENT,
                reason="Added by the teacher.",
            )
            messages.success(request, f"{name} ({number}) added as present.")
            return redirect("attendance:live", sid=session.id)
        form.add_error("full_name", "No account has this school number: give the student's full name.")
    return _render_live(request, session, add_form=form, status=400)


def _render_live(request, session, *, add_form=None, status=200):
    rows, counts = build_roster(session)
    ctx = {
        "session": session,
        "rows": rows,
        "counts": counts,
        "add_form": add_form or AddStudentForm(),
        "reason_form": ReasonForm(),
    }
    return render(request, "attendance/live.html", ctx, status=status)


@teacher_required
@require_POST
def finish(request, sid):
    session = get_live_session_for_teacher(request.user, sid, open_only=False)
    if session.state == live.OPEN:  # a second click finds it finished already
        services.session_finish(session=session)
    return redirect("attendance:finished", sid=session.id)


@teacher_required
@require_POST
def change_end(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of minutes, between -120 and 240.")
        return _render_live(request, session, status=400)
    new_end = session.ends_dt + timedelta(minutes=form.cleaned_data["minutes"])
    try:
        services.session_change_end(session=session, ends_at=new_end)
    except services.CheckInError as exc:
        messages.error(request, str(exc))
        return _render_live(request, session, status=400)
    messages.success(request, f"The session now ends at {timezone.localtime(session.ends_dt):%H:%M}.")
    return redirect("attendance:live", sid=session.id)


@teacher_required
@require_GET
def finished(request, sid):
    """Wait for the sweep, then move on to the persisted session."""
    sid = str(sid)
    attendance = sessions_for_teacher(request.user).filter(pk=sid).first()
    if attendance is None:
        session = get_live_session_for_teacher(request.user, sid, open_only=False)
    if attendance is not None:
        url = reverse("attendance:session_detail", args=[sid])
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    return render(request, "attendance/finished.html", {"session": session})
