"""Persisted sessions: history, audited corrections, course reports and exports."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dt_time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..access import (
    get_attendance_for_teacher,
    get_course_for_teacher,
    get_student_for_viewer,
    recording_refused,
    sessions_for_teacher,
    student_required,
    teacher_courses,
    teacher_required,
)
from ..forms import ReasonForm
from ..models import Attendance, AttendanceRecord, RecordChange, Status
from ..photos import verify
from ..templatetags.attendance_cells import status_word
from ..warnings import changes as record_changes
from ..warnings import service as warnings
from . import corrections, exports, reports, student_record
from .forms import AddRecordForm, BulkChangeForm, ChangeStatusForm, PolicyForm


def _day(value: str, end: bool = False):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
        return timezone.make_aware(datetime.combine(day, dt_time.max if end else dt_time.min))
    except (ValueError, OverflowError):  # not a date, or one the time zone cannot shift
        return None


def _id(value: str) -> int | None:
    """A database id from a query string: ASCII digits within the column's range, else None."""
    if value.isascii() and value.isdigit() and 0 < int(value) < 2**63:
        return int(value)
    return None


@teacher_required
@require_GET
def session_list(request):
    sessions = sessions_for_teacher(request.user)
    course_id = request.GET.get("course", "")[:20]
    if _id(course_id) is not None:
        sessions = sessions.filter(course_id=_id(course_id))
    since, until = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""), end=True)
    if since:
        sessions = sessions.filter(starts_at__gte=since)
    if until:
        sessions = sessions.filter(starts_at__lte=until)
    page = Paginator(sessions.order_by("-starts_at"), 25).get_page(request.GET.get("page"))
    # Counted for this page's sessions only: counting the records of every session a
    # teacher ever led (to sort and page them) is what grows with the years.
    ids = [s.pk for s in page.object_list]
    counted = Attendance.objects.filter(pk__in=ids).with_status_counts().select_related("course").in_bulk()
    page.object_list = [counted[pk] for pk in ids]
    ctx = {
        "page": page,
        "courses": teacher_courses(request.user),
        "course_id": course_id,
        "date_from": request.GET.get("from", "")[:10],
        "date_to": request.GET.get("to", "")[:10],
    }
    return render(request, "attendance/session_list.html", ctx)


def _session_context(attendance, **forms):
    records = (
        AttendanceRecord.objects.alive()
        .filter(attendance=attendance)
        .select_related("student")
        .order_by("student__name_key")
    )
    changes = RecordChange.objects.filter(record__attendance=attendance).select_related("record__student", "changed_by")
    return {
        "attendance": attendance,
        "records": records,
        "changes": changes,
        "add_form": forms.get("add_form") or AddRecordForm(hybrid=attendance.admits_remote),
        "remove_form": forms.get("remove_form") or ReasonForm(),
        # Each row's two forms post to <records_url><id>/change/ and …/remove/: one reverse, not two per row.
        "records_url": reverse("attendance:record_change", args=[attendance.pk, 0]).removesuffix("0/change/"),
    }


@teacher_required
@require_GET
def session_detail(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    return _session_page(request, attendance)


def _session_page(request, attendance, *, status=200, **forms):
    return render(request, "attendance/session_detail.html", _session_context(attendance, **forms), status=status)


def _record_for_teacher(user, sid, record_id) -> AttendanceRecord:
    attendance = get_attendance_for_teacher(user, sid)
    return get_object_or_404(
        AttendanceRecord.objects.alive().select_related("student"), pk=record_id, attendance=attendance
    )


@teacher_required
@require_POST
def records_bulk_change(request, sid):
    """Mark the ticked records (or everyone absent) with one status and one reason: an audited change each."""
    attendance = get_attendance_for_teacher(request.user, sid)
    alive = AttendanceRecord.objects.alive().filter(attendance=attendance)
    ids = list(alive.values_list("pk", flat=True))
    form = BulkChangeForm(request.POST, record_ids=ids, hybrid=attendance.admits_remote)
    if not form.is_valid():
        messages.error(request, _("Not changed: %(error)s") % {"error": _first_error(form)})
        return _session_page(request, attendance, status=400)
    data = form.cleaned_data
    chosen = alive.filter(status=Status.ABSENT) if data["everyone_absent"] else alive.filter(pk__in=data["records"])
    changed = corrections.records_change_status(
        records=chosen.select_related("student"), by=request.user, status=data["status"], reason=data["reason"]
    )
    messages.success(
        request,
        _("%(n)s records are now %(status)s.") % {"n": changed, "status": status_word(data["status"])},
    )
    return redirect("attendance:session_detail", sid=sid)


@teacher_required
@require_POST
def record_change(request, sid, record_id):
    record = _record_for_teacher(request.user, sid, record_id)
    form = ChangeStatusForm(request.POST, hybrid=record.attendance.admits_remote or record.status == Status.REMOTE)
    if not form.is_valid():
        messages.error(request, _("Not changed: %(error)s") % {"error": _first_error(form)})
        return _session_page(request, record.attendance, status=400)
    corrections.record_change_status(record=record, by=request.user, **form.cleaned_data)
    messages.success(
        request,
        _("%(name)s is now %(status)s.")
        % {"name": record.student.full_name, "status": status_word(form.cleaned_data["status"])},
    )
    return redirect("attendance:session_detail", sid=sid)


@teacher_required
@require_POST
def record_remove(request, sid, record_id):
    record = _record_for_teacher(request.user, sid, record_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not removed: %(error)s") % {"error": _first_error(form)})
        return _session_page(request, record.attendance, status=400)
    corrections.record_remove(record=record, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("%(name)s was removed from this session.") % {"name": record.student.full_name})
    return redirect("attendance:session_detail", sid=sid)


@teacher_required
@require_POST
def record_add(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    form = AddRecordForm(request.POST, hybrid=attendance.admits_remote)
    if not form.is_valid():
        return _session_page(request, attendance, status=400, add_form=form)
    data = form.cleaned_data
    refused = recording_refused(
        school_number=data["school_number"],
        role=data["student"].role,
        course=attendance.course,
        add_anyway=data["add_anyway"],
    )
    if refused:
        form.add_error("school_number", refused)
        return _session_page(request, attendance, status=400, add_form=form)
    try:
        corrections.record_add(
            attendance=attendance,
            by=request.user,
            student=data["student"],
            status=data["status"],
            reason=data["reason"],
        )
    except corrections.AlreadyRecorded as exc:
        message = _("%(name)s is already recorded here as %(status)s: change that status in the list instead.")
        form.add_error(
            "school_number", message % {"name": data["student"].full_name, "status": status_word(exc.args[0])}
        )
        return _session_page(request, attendance, status=400, add_form=form)
    messages.success(
        request,
        _("%(name)s added as %(status)s.") % {"name": data["student"].full_name, "status": status_word(data["status"])},
    )
    return redirect("attendance:session_detail", sid=sid)


@teacher_required
@require_POST
def session_remove(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _session_page(request, attendance, status=400, remove_form=form)
    corrections.session_remove(attendance=attendance, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The session “%(name)s” was removed.") % {"name": attendance.lesson_name})
    return redirect("attendance:session_list")


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _export(request, *, sessions, filename, course=None, ordered_sessions=None):
    kind = request.GET.get("format", "csv")
    if kind == "xlsx":
        matrix = exports.matrix_rows(course, ordered_sessions) if course is not None else None
        handle = exports.xlsx_file(
            long=exports.long_rows(sessions, timezone.get_current_timezone_name()), matrix=matrix
        )
        return FileResponse(handle, as_attachment=True, filename=filename("xlsx"))
    if kind != "csv":
        return render(request, "400.html", status=400)
    semicolons = request.GET.get("sep") == "semicolon"
    rows = exports.long_csv(sessions, timezone.get_current_timezone_name(), semicolons=semicolons)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename("csv")}"'
    return response


@teacher_required
@require_GET
def session_export(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    return _export(
        request,
        sessions=[attendance.pk],
        filename=lambda ext: exports.session_filename(attendance, ext),
    )


@teacher_required
@require_GET
def course_list(request):
    courses = teacher_courses(request.user).order_by("code")
    advisees = request.user.advisees.filter(role="student").order_by("name_key")
    return render(request, "attendance/course_list.html", {"courses": courses, "advisees": advisees})


@login_required
@require_GET
def student_record_page(request, number):
    """A student's whole record for their teachers, their advisor and staff (``?format=csv``: the export)."""
    student = get_student_for_viewer(request.user, number)
    record = student_record.student_record(student)
    if request.GET.get("format") == "csv":
        response = HttpResponse(student_record.student_record_csv(record), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{student.school_number}-attendance.csv"'
        return response
    ctx = {"record": record, "threshold": settings.ATTENDANCE_THRESHOLD}
    return render(request, "attendance/student_record.html", ctx)


@teacher_required
@require_GET
def course_report(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    return _report_page(request, course, PolicyForm(instance=course))


SENT_WARNINGS_SHOWN = 100


def _report_page(request, course, policy_form, *, status=200):
    report = reports.course_report(course)
    chart = reports.rate_chart_svg(report.sessions, report.session_rates, report.threshold)
    ctx = {
        "course": course,
        "report": report,
        "chart": chart,
        "policy_form": policy_form,
        "due_warnings": warnings.preview(course, report),
        "sent_warnings": course.warnings.select_related("student")[:SENT_WARNINGS_SHOWN],
    }
    return render(request, "attendance/course_report.html", ctx, status=status)


@teacher_required
@require_POST
def course_policy(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    form = PolicyForm(request.POST, instance=course)
    if not form.is_valid():
        course.refresh_from_db()  # validating set the refused values on it: the page shows the policy in force
        messages.error(request, _("Policy not changed: correct the marked fields."))
        return _report_page(request, course, form, status=400)
    corrections.course_set_policy(course=course, **form.cleaned_data)
    messages.success(request, _("Counting policy saved."))
    return redirect("attendance:course_report", course_id=course.pk)


@teacher_required
@require_GET
def course_export(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    sessions = list(reports.course_sessions(course))
    return _export(
        request,
        sessions=[s.pk for s in sessions],
        filename=lambda ext: exports.course_filename(course, ext),
        course=course,
        ordered_sessions=sessions,
    )


MY_RECENT_RECORDS = 30


@student_required
@require_GET
def my_attendance(request):
    # Years of records: the latest few per course unless the student asks for all.
    shown = "" if request.GET.get("all") else f":{MY_RECENT_RECORDS}"
    ctx = {
        "overview": reports.student_overview(request.user),
        "threshold": settings.ATTENDANCE_THRESHOLD,
        "shown": shown,
        "recent": MY_RECENT_RECORDS,
        "reference": verify.reference_status(request.user),
        "changes": record_changes.recent_changes(request.user),
        "notice_days": record_changes.NOTICE_DAYS,
    }
    return render(request, "attendance/my_attendance.html", ctx)
