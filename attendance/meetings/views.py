"""The teacher's pages for a meeting report: read it and show what it would do, then apply it."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import get_attendance_for_teacher, teacher_required
from . import parse, service
from .forms import ApplyForm, MeetingReportForm


def _back(request, attendance, error: str, *, status: int = 400):
    return render(request, "attendance/meeting_refused.html", {"attendance": attendance, "error": error}, status=status)


@teacher_required
@require_POST
def meeting_preview(request, sid):
    """Read the report and list what it would do (nothing is written yet)."""
    attendance = get_attendance_for_teacher(request.user, sid)
    if attendance.course_id is None:
        return _back(request, attendance, _("A session without a course has no students to match the report to."))
    form = MeetingReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _back(request, attendance, " ".join(str(e) for errors in form.errors.values() for e in errors))
    data = form.cleaned_data["report"]
    try:
        report = parse.read_report(data)
        plan = service.plan(attendance, report, data, form.cleaned_data["min_share"])
    except parse.ReportError as exc:
        return _back(request, attendance, _("This report cannot be read: %(why)s") % {"why": exc})
    except service.AlreadyImported as exc:
        return _already(request, attendance, exc.earlier)
    ctx = {"attendance": attendance, "plan": plan, "token": service.sign(attendance, plan)}
    return render(request, "attendance/meeting_preview.html", ctx)


@teacher_required
@require_POST
def meeting_apply(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    try:
        plan = service.unsign(attendance, request.POST.get("plan", ""))
    except signing.BadSignature:
        return _back(request, attendance, _("This preview has expired or was changed: read the report again."))
    form = ApplyForm(request.POST, similar_ids=[line.student_id for line in plan.similar])
    if not form.is_valid():
        return _back(request, attendance, _("Tick only names from the list."))
    try:
        done = service.apply(attendance, plan, by=request.user, confirmed=set(form.cleaned_data["confirmed"]))
    except service.AlreadyImported as exc:
        return _already(request, attendance, exc.earlier)
    messages.success(
        request,
        _("Report applied: %(remote)s present (remote), %(absent)s absent, %(unchanged)s left as they were.")
        % {"remote": done.remote, "absent": done.absent, "unchanged": done.unchanged},
    )
    return redirect("attendance:session_detail", sid=attendance.pk)


def _already(request, attendance, earlier):
    when = formats.date_format(timezone.localtime(earlier.imported_at), "DATETIME_FORMAT")
    messages.info(request, _("This report was imported on %(when)s: nothing changed.") % {"when": when})
    return redirect("attendance:session_detail", sid=attendance.pk)
