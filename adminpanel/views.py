"""Operations pages for staff, and /healthz for load balancers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from attendance import clock
from attendance.access import staff_required
from attendance.history import student_record
from attendance.models import Course, SweepRun
from attendance.ops import operations as ops

from . import health


@staff_required
@require_GET
def operations(request):
    redis_probe = health.redis()
    ctx = {
        "postgres": health.postgres(),
        "redis": redis_probe,
        "redis_sessions": health.redis("default"),  # the login sessions, the cache and the task broker
        "redis_config": health.redis_config(),
        "cluster": health.cluster(),
        "photo_queue": health.photo_queue(clock.now_datetime()) if settings.PHOTO_WORKERS else None,
        "last_run": SweepRun.objects.first(),
    }
    if redis_probe.ok:
        ctx.update(vars(ops.live_overview()), sweep_request=ops.last_sweep_request())
    return render(request, "adminpanel/operations.html", ctx)


@staff_required
@require_POST
def run_sweep(request):
    ops.sweep_enqueue(by=request.user)
    messages.success(request, _("Sweep requested: the task cluster runs it in a moment; its run appears below."))
    return redirect("adminpanel:operations")


@staff_required
@require_POST
def requeue(request, sid):
    if ops.dead_letter_requeue(sid=str(sid)):
        messages.success(request, _("Session %(sid)s is due again; the next sweep retries it.") % {"sid": sid})
    else:
        messages.error(request, _("No such dead-letter session."))
    return redirect("adminpanel:operations")


@staff_required
@require_GET
def sweep_runs(request):
    page = Paginator(SweepRun.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "adminpanel/sweep_runs.html", {"page": page})


@never_cache
@require_GET
def healthz_sweep(request):
    """For an external monitor: 503 when finished sessions wait too long, no task cluster reports, no
    scheduled sweep has succeeded lately, or the task queue is not draining.

    It does not depend on the cluster it watches: a dead or stalled cluster
    sends no alert mail of its own, and a stalled one still reports itself alive.
    """
    checks = {"backlog": health.sweep_backlog(clock.now(), settings.SWEEP_OVERDUE_MINUTES), **health.work()}
    ok = all(p.ok for p in checks.values())
    body = {"status": "ok" if ok else "unavailable"}
    body.update({name: {"ok": p.ok, "detail": p.detail, **p.info} for name, p in checks.items()})
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_GET
def healthz(request):
    """For the load balancer: PostgreSQL and every Redis answer, and none is full (503 otherwise)."""
    checks = {"postgres": health.postgres(), "redis": health.redis("live"), "redis_sessions": health.redis("default")}
    ok = all(p.ok for p in checks.values())
    body = {"status": "ok" if ok else "unavailable"}
    body.update({name: {"ok": p.ok, "latency_ms": p.latency_ms} for name, p in checks.items()})
    return JsonResponse(body, status=200 if ok else 503)


@staff_required
@require_GET
def department(request):
    """Every course's rate, students under the threshold and rate by week (``?format=csv``: the export)."""
    lines = student_record.department(list(Course.objects.order_by("code")))
    if request.GET.get("format") == "csv":
        response = HttpResponse(student_record.department_csv(lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="department.csv"'
        return response
    ctx = {"lines": lines, "threshold": settings.ATTENDANCE_THRESHOLD}
    return render(request, "adminpanel/department.html", ctx)
