"""A course's timetable page: weekly slots (added one by one or imported from CSV) and days without
class; the sessions open by themselves (timetables.service). Only the course's teachers (and staff)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..access import get_course_for_teacher, teacher_required
from ..models import NoClassDay, SlotOpening
from . import service
from .forms import NoClassDayForm, SlotForm, TimetableImportForm


def _page(request, course, *, slot_form=None, import_form=None, day_form=None, confirm=None, status=200):
    ctx = {
        "confirm": confirm,
        "course": course,
        "slots": course.slots.select_related("teacher"),
        "days": NoClassDay.objects.filter(Q(course=course) | Q(course__isnull=True)).order_by("day"),
        "openings": SlotOpening.objects.filter(slot__course=course).select_related("slot").order_by("-day")[:20],
        "slot_form": slot_form or SlotForm(),
        "import_form": import_form or TimetableImportForm(),
        "day_form": day_form or NoClassDayForm(),
    }
    return render(request, "attendance/timetable.html", ctx, status=status)


def _back(course):
    return redirect("attendance:timetable", course_id=course.pk)


def _confirmed(request) -> bool:
    return request.POST.get("confirm") == "1"


def _ask_first(request, course, crossed: service.ThresholdCrossed, fields: list[tuple[str, str]]):
    """The change moves students across the threshold: say who, and offer to save it anyway."""
    confirm = {"crossed": crossed, "action": request.path, "fields": fields}
    return _page(request, course, confirm=confirm, status=409)


def _posted(request, *names) -> list[tuple[str, str]]:
    skip = {"csrfmiddlewaretoken", "confirm"}
    return [(k, v) for k, values in request.POST.lists() for v in values if k not in skip and (not names or k in names)]


@teacher_required
@require_GET
def course_timetable(request, course_id):
    return _page(request, get_course_for_teacher(request.user, course_id))


@teacher_required
@require_POST
def slot_add(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    form = SlotForm(request.POST)
    if not form.is_valid():
        return _page(request, course, slot_form=form, status=400)
    try:
        added = service.add_slot(
            course=course, teacher=request.user, confirmed=_confirmed(request), **form.cleaned_data
        )
    except service.TimetableRefused as exc:
        form.add_error(None, str(exc))
        return _page(request, course, slot_form=form, status=400)
    except service.ThresholdCrossed as crossed:
        return _ask_first(request, course, crossed, _posted(request))
    if added is None:
        messages.info(request, _("The timetable has this slot already."))
    else:
        messages.success(request, _("Slot added: its sessions open by themselves."))
    return _back(course)


@teacher_required
@require_POST
def slot_remove(request, course_id, slot_id):
    course = get_course_for_teacher(request.user, course_id)
    try:
        service.remove_slot(slot=get_object_or_404(course.slots, pk=slot_id), confirmed=_confirmed(request))
    except service.ThresholdCrossed as crossed:
        return _ask_first(request, course, crossed, [])
    messages.success(request, _("Slot removed."))
    return _back(course)


@teacher_required
@require_POST
def slots_import(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    form = TimetableImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = service.import_slots(
                course=course,
                teacher=request.user,
                text=data["text"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                confirmed=_confirmed(request),
            )
        except service.TimetableRefused as exc:
            form.add_error("file", str(exc))
        except service.ThresholdCrossed as crossed:
            return _ask_first(
                request, course, crossed, [*_posted(request, "first_day", "last_day"), ("text", data["text"])]
            )
        else:
            if count:
                messages.success(request, _("%(n)s slots imported.") % {"n": count})
            else:
                messages.info(request, _("The timetable has every slot of this file already: nothing changed."))
            return _back(course)
    return _page(request, course, import_form=form, status=400)


@teacher_required
@require_POST
def day_add(request, course_id):
    course = get_course_for_teacher(request.user, course_id)
    form = NoClassDayForm(request.POST)
    if form.is_valid():
        try:
            service.add_no_class_day(course=course, confirmed=_confirmed(request), **form.cleaned_data)
        except service.TimetableRefused as exc:
            form.add_error("day", str(exc))
        except service.ThresholdCrossed as crossed:
            return _ask_first(request, course, crossed, _posted(request, "day", "reason"))
        else:
            messages.success(request, _("No class that day."))
            return _back(course)
    return _page(request, course, day_form=form, status=400)


@teacher_required
@require_POST
def day_remove(request, course_id, day_id):
    course = get_course_for_teacher(request.user, course_id)
    # A holiday of the whole school is the administrators' (the admin), not a course's teacher's.
    entry = get_object_or_404(course.no_class_days, pk=day_id)
    try:
        service.remove_no_class_day(entry=entry, confirmed=_confirmed(request))
    except service.ThresholdCrossed as crossed:
        return _ask_first(request, course, crossed, [])
    messages.success(request, _("Class again that day."))
    return _back(course)
