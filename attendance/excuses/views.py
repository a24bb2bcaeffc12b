"""Excuse requests: the student's form and list, the teacher's list with one-click decisions, and the
attachment (served only to the student, the course's teachers and staff: a 404 for anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import storage
from ..access import get_excuse_document, student_required, teacher_required
from ..models import AttendanceRecord, ExcuseRequest
from . import appeals, service
from .forms import AppealForm, ExcuseRequestForm

DECIDED_SHOWN = 50


@student_required
@require_http_methods(["GET", "POST"])
def my_excuses(request):
    form = ExcuseRequestForm(request.POST or None, request.FILES or None, student=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeals.file_request_or_appeals(
                student=request.user,
                course=data["course"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                reason=data["reason"],
                attachment=data.get("attachment"),
            )
        except service.ExcuseRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your request was sent to your teacher."))
            return redirect("attendance:my_excuses")
    mine = ExcuseRequest.objects.filter(student=request.user).select_related("course", "record__attendance")[:100]
    status = 400 if form.errors else 200
    return render(request, "attendance/my_excuses.html", {"form": form, "requests": mine}, status=status)


@student_required
@require_http_methods(["GET", "POST"])
def appeal(request, record_id: int):
    """Appeal one saved record of the student's: present ("I was there") or excused, with a reason."""
    record = (
        AttendanceRecord.objects.alive()
        .filter(pk=record_id, student=request.user, attendance__is_deleted=False)
        .select_related("attendance__course")
        .first()
    )
    if record is None:
        raise Http404(_("No such record of yours."))
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeals.file_appeal(
                student=request.user,
                record_id=record.pk,
                wanted=data["wanted"],
                reason=data["reason"],
                attachment=data.get("attachment"),
            )
        except service.ExcuseRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your appeal was sent to your teacher."))
            return redirect("attendance:my_excuses")
    status = 400 if form.errors else 200
    return render(request, "attendance/appeal.html", {"form": form, "record": record}, status=status)


@student_required
@require_POST
def excuse_withdraw(request, pk: int):
    if not service.withdraw(student=request.user, request_id=pk):
        raise Http404(_("No such request waiting for your teacher."))
    messages.success(request, _("Your request was withdrawn."))
    return redirect("attendance:my_excuses")


@teacher_required
@require_GET
def excuse_list(request):
    requests = service.for_teacher(request.user).select_related("record__attendance")
    pending = list(requests.filter(state=ExcuseRequest.State.PENDING))
    decided = list(requests.exclude(state=ExcuseRequest.State.PENDING)[:DECIDED_SHOWN])
    return render(request, "attendance/excuse_list.html", {"pending": pending, "decided": decided})


@teacher_required
@require_POST
def excuse_decide(request, pk: int, action: str):
    if action not in ("approve", "decline"):
        raise Http404(_("No such request."))
    if not service.for_teacher(request.user).filter(pk=pk).exists():
        raise Http404(_("No such request."))
    try:
        excuse = service.decide(
            request_id=pk, by=request.user, approve=action == "approve", note=request.POST.get("note", "")
        )
    except service.ExcuseRefused as exc:
        messages.error(request, str(exc))
        return redirect("attendance:excuse_list")
    if excuse.state == ExcuseRequest.State.APPROVED:
        messages.success(request, _("Approved: %(name)s is excused.") % {"name": excuse.student.full_name})
    else:
        messages.success(request, _("Declined: %(name)s's request.") % {"name": excuse.student.full_name})
    return redirect("attendance:excuse_list")


@login_required
@require_GET
def excuse_attachment(request, pk: int):
    excuse = get_excuse_document(request.user, pk)
    # Opened in the browser under a name of our own and the type read from its bytes when it was
    # uploaded: never the student's file name ("doctor note.html", "invoice.pdf.exe").
    kind = excuse.attachment.rsplit(".", 1)[-1]
    return storage.serve(
        excuse.attachment,
        service.ATTACHMENT_TYPES.get(kind, "application/octet-stream"),
        missing=_("No such document."),
        filename=f"document.{kind}",
    )
