"""Teacher pages of a live session: start, projector, roster, corrections, finish.

Each view passes the access check, reads its form and makes one call to
``teaching.service``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attn_site.proxies import client_ip

from .. import live
from ..access import (
    get_attendance_for_teacher,
    get_live_or_saved_session_for_teacher,
    get_live_session_for_teacher,
    sessions_for_teacher,
    teacher_required,
)
from ..checkin import proofs
from ..forms import ReasonForm
from . import roster, service
from .forms import AddStudentForm, BulkMarkForm, ExtendForm, SpotCheckForm, StartSessionForm
from .roster import ROSTER_ACTIONS


@teacher_required
@require_http_methods(["GET", "POST"])
def teacher_home(request):
    form = StartSessionForm(request.POST or None, teacher=request.user)
    if request.method == "POST" and form.is_valid():
        starts, ends = form.session_times()
        data = form.cleaned_data
        result = service.session_start(
            teacher=request.user,
            course=data.get("course"),
            lesson_name=form.lesson(),
            starts_at=starts,
            ends_at=ends,
            late_threshold_minutes=form.late_threshold(),
            require_code=data["require_code"],
            network_mode=data["network_mode"],
            teacher_ip=client_ip(request),
            location=form.position() if data["use_location"] else None,
            location_radius_m=data["location_radius_m"],
            one_device_per_student=data["one_device_per_student"],
            photo_check=form.wants_photo_check(),
            admits_remote=data["admits_remote"],
        )
        if result.session:
            return redirect("attendance:live", sid=result.session.id)
        messages.error(request, _("You already have an open session. Finish it before starting another."))
        return redirect("attendance:live", sid=result.other_open_id)
    page = service.start_page(teacher=request.user)
    status = 400 if request.method == "POST" else 200
    ctx = {"form": form, "open_session": page.open_session, "recent": page.recent}
    ctx["waiting_slots"] = service.waiting_slots(teacher=request.user)
    return render(request, "attendance/teacher_home.html", ctx, status=status)


@teacher_required
@require_GET
def live_page(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    return _render_live(request, session)


def _query(request) -> str:
    return (request.POST.get("q") or request.GET.get("q") or "")[:100]


@teacher_required
@require_GET
def live_roster(request, sid):
    session = get_live_or_saved_session_for_teacher(request.user, sid)
    if session is None or session.state != live.OPEN:
        return _to_finished(sid)
    return _render_roster(request, session)


@teacher_required
@require_GET
def projector(request, sid):
    session = get_live_or_saved_session_for_teacher(request.user, sid)
    if session is None or session.state != live.OPEN:
        return render(request, "attendance/projector.html", _ended(request, sid, session))
    view = service.projector(session=session, absolute_url=request.build_absolute_uri)
    return render(request, "attendance/projector.html", view)


@teacher_required
@require_GET
def projector_code(request, sid):
    session = get_live_or_saved_session_for_teacher(request.user, sid)
    if session is None or session.state != live.OPEN:
        # The wall never shows a name or a reason: a neutral "ended" with the count, and the poll stops
        # (htmx stops polling on 286).
        return render(request, "attendance/partials/projector_ended.html", _ended(request, sid, session), status=286)
    view = service.projector(session=session, absolute_url=request.build_absolute_uri)
    return render(request, "attendance/partials/projector_code.html", view)


def _ended(request, sid, session) -> dict:
    saved = None if session is not None else get_attendance_for_teacher(request.user, sid)
    return service.projector_ended(session=session, saved=saved)


def _to_finished(sid) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("attendance:finished", args=[sid])
    return response


@teacher_required
@require_POST
def record_action(request, sid, number, action):
    """Accept, reject, excuse, remove a student, approve their photo, or answer a spot check ("here", "not
    here"): the roster answers in place (htmx)."""
    session = get_live_session_for_teacher(request.user, sid)
    if action == "remove":
        change = roster.roster_remove(session=session, by=request.user, school_number=number)
    elif action == "approve_photo":
        change = roster.roster_approve_photo(session=session, school_number=number, by=request.user)
    elif action in ("here", "not_here"):
        here = action == "here"
        change = roster.roster_spot_answer(session=session, by=request.user, school_number=number, here=here)
    elif action not in ROSTER_ACTIONS:
        return HttpResponse(_("Unknown action."), status=400)
    else:
        form = ReasonForm(request.POST)
        needs_reason = action in ("reject", "excuse")
        if needs_reason and not form.is_valid():
            error = (
                _("Say why you reject this student.") if action == "reject" else _("Say why you excuse this student.")
            )
            return _answer_roster(request, session, error=error, error_for=number, status=400)
        reason = form.cleaned_data["reason"] if needs_reason else ""
        change = roster.roster_mark(
            session=session, by=request.user, school_number=number, action=action, reason=reason
        )
    if change.not_found:
        return HttpResponse(change.error, status=404)
    status = 400 if change.error else 200
    return _answer_roster(request, session, error=change.error, message=change.message, error_for=number, status=status)


def _answer_roster(request, session, *, error="", message="", error_for="", status=200):
    """The roster after an action: in place for htmx, else the live page (its messages on top)."""
    if request.htmx:
        extra = {"roster_error": error, "roster_message": message, "error_for": error_for}
        return _render_roster(request, session, status=status, **extra)
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    if status != 200:
        return _render_live(request, session, status=status)
    return redirect("attendance:live", sid=session.id)


@teacher_required
@require_POST
def live_bulk(request, sid):
    """Mark the ticked students, or everyone not checked in, with one status and one reason."""
    session = get_live_session_for_teacher(request.user, sid)
    roster_now = service.live_roster(session=session)
    form = BulkMarkForm(request.POST, numbers=[row.school_number for row in roster_now.rows])
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _answer_roster(request, session, error=error, status=400)
    data = form.cleaned_data
    change = roster.roster_bulk(
        session=session,
        by=request.user,
        numbers=data["numbers"],
        everyone_missing=data["everyone_missing"],
        action=data["action"],
        reason=data["reason"],
    )
    return _answer_roster(request, session, message=change.message)


@teacher_required
@require_POST
def spot_check(request, sid):
    """Draw students counted present for the teacher to call out (the live page only, never the projector)."""
    session = get_live_session_for_teacher(request.user, sid)
    form = SpotCheckForm(request.POST)
    if not form.is_valid():
        error = _("Draw between 1 and 50 students.")
        return _answer_roster(request, session, error=error, status=400)
    change = roster.roster_spot_check(session=session, size=form.cleaned_data["size"])
    status = 400 if change.error else 200
    return _answer_roster(request, session, error=change.error, message=change.message, status=status)


@teacher_required
@require_POST
def add_student(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    form = AddStudentForm(request.POST)
    message = ""
    if form.is_valid():
        data = form.cleaned_data
        change = roster.roster_add(
            session=session,
            by=request.user,
            school_number=data["school_number"],
            full_name=data["full_name"],
            add_anyway=data["add_anyway"],
        )
        if change.error:
            form.add_error("full_name", change.error)
        else:
            message, form = change.message, AddStudentForm()
    status = 400 if form.errors else 200
    if request.htmx:
        ctx = {"session": session, "add_form": form, "add_message": message, "oob_roster": not form.errors}
        if not form.errors:
            ctx.update(_roster_context(request, session))
        return render(request, "attendance/partials/add_student.html", ctx, status=status)
    if form.errors:
        return _render_live(request, session, add_form=form, status=400)
    messages.success(request, message)
    return redirect("attendance:live", sid=session.id)


def _roster_context(request, session) -> dict:
    query = _query(request)
    roster = service.live_roster(session=session, query=query)
    return {
        "session": session,
        "rows": roster.rows,
        "counts": roster.counts,
        "spot_checks": roster.spot_checks,
        "query": query,
    }


def _render_roster(request, session, *, status=200, **extra):
    ctx = {**_roster_context(request, session), **extra}
    return render(request, "attendance/partials/roster.html", ctx, status=status)


def _render_live(request, session, *, add_form=None, status=200):
    ctx = {**_roster_context(request, session), "add_form": add_form or AddStudentForm()}
    ctx["spot_check_size"] = settings.SPOT_CHECK_SIZE
    ctx["waiting_slots"] = service.waiting_slots(teacher=request.user)
    if session.admits_remote:  # for the video call: shown on the teacher's page only, never on the projector
        token = proofs.remote_token(session.secret)
        ctx["remote_link"] = request.build_absolute_uri(reverse("attendance:remote", args=[session.id, token]))
    return render(request, "attendance/live.html", ctx, status=status)


@teacher_required
@require_POST
def finish(request, sid):
    session = get_live_session_for_teacher(request.user, sid, open_only=False)
    service.session_finish(session=session)  # a second click finds it finished already
    return redirect("attendance:finished", sid=session.id)


@teacher_required
@require_POST
def change_end(request, sid):
    session = get_live_session_for_teacher(request.user, sid)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of minutes, between -120 and 240."))
        return _render_live(request, session, status=400)
    try:
        ends = service.session_change_end(session=session, minutes=form.cleaned_data["minutes"])
    except service.EndRefused as exc:
        messages.error(request, str(exc))
        return _render_live(request, session, status=400)
    messages.success(request, _("The session now ends at %(time)s.") % {"time": f"{timezone.localtime(ends):%H:%M}"})
    return redirect("attendance:live", sid=session.id)


@teacher_required
@require_GET
def finished(request, sid):
    """Wait for the sweep, then move on to the persisted session."""
    # The live store first: the sweep commits before it deletes the live keys, so a session gone from
    # Redis is already saved, however the sweep and this request interleave.
    session = get_live_or_saved_session_for_teacher(request.user, sid)
    if session is not None and not sessions_for_teacher(request.user).filter(pk=session.id).exists():
        return render(request, "attendance/finished.html", {"session": session})  # this page polls
    url = reverse("attendance:session_detail", args=[str(sid)])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
