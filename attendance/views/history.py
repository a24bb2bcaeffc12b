"""Teacher pages over persisted sessions: history and one session's records."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..access import get_attendance_for_teacher, sessions_for_teacher, teacher_courses, teacher_required
from ..models import AttendanceRecord
from ..queries import with_status_counts


@teacher_required
@require_GET
def session_list(request):
    sessions = with_status_counts(sessions_for_teacher(request.user)).select_related("course")
    course_id = request.GET.get("course", "")
    if course_id.isdigit():
        sessions = sessions.filter(course_id=int(course_id))
    page = Paginator(sessions.order_by("-starts_at"), 25).get_page(request.GET.get("page"))
    ctx = {"page": page, "courses": teacher_courses(request.user), "course_id": course_id}
    return render(request, "attendance/session_list.html", ctx)


@teacher_required
@require_GET
def session_detail(request, sid):
    attendance = get_attendance_for_teacher(request.user, sid)
    records = (
        AttendanceRecord.objects.alive()
        .filter(attendance=attendance)
        .select_related("student")
        .order_by("student__full_name")
    )
    return render(request, "attendance/session_detail.html", {"attendance": attendance, "records": records})
