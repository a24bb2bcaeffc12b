"""Timetables: a course's weekly slots open their sessions by themselves, skip the days without class,
and give the course its number of planned sessions.

``open_due_sessions`` runs every minute (the django-q2 schedule ``attn-timetable``). A slot's session
opens ``TIMETABLE_LEAD_MINUTES`` before it starts, as a session that starts later: on the teacher's
start page ("Open now"), ready to project, "Starts at 10:00" until then. Each slot and day is claimed
by one row (``SlotOpening``, unique): however many workers run the schedule at once, one of them
inserts the row and opens the session; the others find the row and do nothing.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import clock
from ..models import Attendance, Course, NoClassDay, SlotOpening, TimetableSlot
from ..teaching import service as live_sessions
from .crossings import ThresholdCrossed, said_before_saving

__all__ = ["ThresholdCrossed", "TimetableRefused"]

logger = logging.getLogger(__name__)


class TimetableRefused(ValueError):
    """What is wrong with a slot or a line of an imported timetable, in words for the teacher."""


def occurrences(slot: TimetableSlot, skipped: set[date]) -> list[date]:
    """The days a slot has class: its weekday between its first and last day, minus the skipped days."""
    first = slot.first_day + timedelta(days=(slot.weekday - slot.first_day.weekday()) % 7)
    days = []
    day = first
    while day <= slot.last_day:
        if day not in skipped:
            days.append(day)
        day += timedelta(weeks=1)
    return days


def skipped_days(course: Course) -> set[date]:
    return set(NoClassDay.objects.filter(Q(course=course) | Q(course__isnull=True)).values_list("day", flat=True))


def sync_planned(course: Course) -> int | None:
    """The course's planned sessions, from its timetable (left as they are when it has none)."""
    slots = list(course.slots.all())
    if not slots:
        return course.planned_sessions
    skipped = skipped_days(course)
    planned = sum(len(occurrences(slot, skipped)) for slot in slots)
    Course.objects.filter(pk=course.pk).update(planned_sessions=planned)
    course.planned_sessions = planned
    return planned


def _check_days(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise TimetableRefused(_("The last day comes before the first."))
    today = clock.localdate()
    if last_day - first_day > clock.HORIZON or first_day > today + clock.HORIZON:
        raise TimetableRefused(_("A timetable covers at most a year, starting within a year."))


def _minutes(slot) -> tuple[int, int]:
    first = slot.starts.hour * 60 + slot.starts.minute
    return first, first + slot.duration_minutes


def _same(a: TimetableSlot, b: TimetableSlot) -> bool:
    return (a.weekday, a.starts, a.duration_minutes, a.first_day, a.last_day) == (
        b.weekday,
        b.starts,
        b.duration_minutes,
        b.first_day,
        b.last_day,
    )


def _overlap(a: TimetableSlot, b: TimetableSlot) -> bool:
    """The same weekday, days in common and times in common: both would open a session at once."""
    (a_from, a_to), (b_from, b_to) = _minutes(a), _minutes(b)
    days = a.first_day <= b.last_day and b.first_day <= a.last_day
    return a.weekday == b.weekday and days and a_from < b_to and b_from < a_to


def _described(slot: TimetableSlot) -> str:
    first, last = _minutes(slot)
    return f"{slot.get_weekday_display()} {first // 60:02d}:{first % 60:02d}–{last // 60 % 24:02d}:{last % 60:02d}"


def _new_slots(course: Course, candidates: list[TimetableSlot]) -> list[TimetableSlot]:
    """The candidates the timetable does not have yet: one it has already (the same file imported
    again) is left out, so adding it changes nothing; one that overlaps a slot is refused."""
    kept: list[TimetableSlot] = []
    existing = list(course.slots.all())
    for slot in candidates:
        if any(_same(slot, other) for other in existing + kept):
            continue
        clash = next((other for other in existing + kept if _overlap(slot, other)), None)
        if clash is not None:
            raise TimetableRefused(
                _("%(new)s overlaps %(old)s: two sessions of a course cannot run at once.")
                % {"new": _described(slot), "old": _described(clash)}
            )
        kept.append(slot)
    return kept


# Each change below takes ``confirmed``: False (the teacher's pages, until they confirm) raises
# ThresholdCrossed, saving nothing, when the change moves a student across the threshold.


@transaction.atomic
def add_slot(*, course: Course, teacher, confirmed: bool = True, **fields) -> TimetableSlot | None:
    """Add a slot; None when the timetable has it already. An overlapping slot is refused."""
    _check_days(fields["first_day"], fields["last_day"])
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one change of a timetable at a time
    new = _new_slots(course, [TimetableSlot(course=course, teacher=teacher, **fields)])
    if not new:
        return None
    with said_before_saving(course, confirmed=confirmed):
        new[0].save()
        sync_planned(course)
    return new[0]


@transaction.atomic
def remove_slot(*, slot: TimetableSlot, confirmed: bool = True) -> None:
    course = slot.course
    with said_before_saving(course, confirmed=confirmed):
        slot.delete()
        sync_planned(course)


@transaction.atomic
def add_no_class_day(*, course: Course | None, day: date, reason: str, confirmed: bool = True) -> NoClassDay:
    try:
        with transaction.atomic():
            entry = NoClassDay.objects.create(course=course, day=day, reason=reason)
    except IntegrityError:
        raise TimetableRefused(_("That day is already without class.")) from None
    if course is None:  # a holiday of the whole school: the administrators' (the admin)
        resync(course)
        return entry
    with said_before_saving(course, confirmed=confirmed):
        resync(course)
    return entry


@transaction.atomic
def remove_no_class_day(*, entry: NoClassDay, confirmed: bool = True) -> None:
    course = entry.course
    if course is None:
        entry.delete()
        resync(course)
        return
    with said_before_saving(course, confirmed=confirmed):
        entry.delete()
        resync(course)


def resync(course: Course | None) -> None:
    """After a day without class changed: its course's planned sessions, or every timetabled course's."""
    for affected in [course] if course else Course.objects.filter(slots__isnull=False).distinct():
        sync_planned(affected)


# --- the CSV import: "weekday, start, duration, room" -------------------------

WEEKDAYS = {
    **{
        name: number
        for number, name in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
    },
    **{name: number for number, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{
        name: number
        for number, name in enumerate(["pazartesi", "salı", "çarşamba", "perşembe", "cuma", "cumartesi", "pazar"])
    },
}


@dataclass
class ImportedSlot:
    weekday: int
    starts: time
    duration_minutes: int
    room: str


def parse_csv(text: str) -> list[ImportedSlot]:
    """Each line: weekday (a name in English or Turkish, or 1–7 from Monday), start (HH:MM), duration in
    minutes, room (optional); commas or semicolons; a header line is skipped. All lines or none."""
    sample = "\n".join(text.splitlines()[:5])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    slots, problems = [], []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        try:
            slots.append(_parse_row(cells))
        except TimetableRefused as exc:
            if number == 1 and not slots and not cells[0][:1].isdigit() and cells[0].casefold() not in WEEKDAYS:
                continue  # a header line
            problems.append(_("Line %(line)s: %(problem)s") % {"line": number, "problem": exc})
    if problems:
        raise TimetableRefused(" ".join(problems))
    if not slots:
        raise TimetableRefused(_("The file has no slots."))
    return slots


def _parse_row(cells: list[str]) -> ImportedSlot:
    if len(cells) < 3:
        raise TimetableRefused(_("expected weekday, start, duration and room"))
    day = cells[0].casefold()
    if day.isdigit() and 1 <= int(day) <= 7:
        weekday = int(day) - 1
    elif day in WEEKDAYS:
        weekday = WEEKDAYS[day]
    else:
        raise TimetableRefused(_("%(day)s is not a weekday") % {"day": cells[0]})
    try:
        starts = datetime.strptime(cells[1], "%H:%M").time()
    except ValueError:
        raise TimetableRefused(_("%(time)s is not a time such as 09:30") % {"time": cells[1]}) from None
    if not cells[2].isdigit() or not 5 <= int(cells[2]) <= 600:
        raise TimetableRefused(_("the duration is minutes, between 5 and 600"))
    return ImportedSlot(weekday, starts, int(cells[2]), (cells[3] if len(cells) > 3 else "")[:64])


@transaction.atomic
def import_slots(*, course: Course, teacher, text: str, first_day: date, last_day: date, confirmed: bool = True) -> int:
    _check_days(first_day, last_day)
    rows = parse_csv(text)
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one change of a timetable at a time
    candidates = [
        TimetableSlot(
            course=course,
            teacher=teacher,
            weekday=row.weekday,
            starts=row.starts,
            duration_minutes=row.duration_minutes,
            room=row.room,
            first_day=first_day,
            last_day=last_day,
        )
        for row in rows
    ]
    new = _new_slots(course, candidates)
    with said_before_saving(course, confirmed=confirmed):
        TimetableSlot.objects.bulk_create(new)
        sync_planned(course)
    return len(new)


# --- opening the sessions -----------------------------------------------------


def _starts(slot: TimetableSlot, day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, slot.starts))


def due_slots(now: datetime) -> list[tuple[TimetableSlot, date]]:
    """The slots whose session should be open now: from the lead time before the start until the end."""
    lead = timedelta(minutes=settings.TIMETABLE_LEAD_MINUTES)
    today = timezone.localdate(now)
    due = []
    # Yesterday's late slot may still run past midnight; tomorrow's first may open before it.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        slots = TimetableSlot.objects.filter(weekday=day.weekday(), first_day__lte=day, last_day__gte=day)
        done = SlotOpening.objects.filter(slot=OuterRef("pk"), day=day, waiting=False)
        for slot in slots.select_related("course", "teacher").exclude(Exists(done)):
            starts = _starts(slot, day)
            if starts - lead <= now < starts + timedelta(minutes=slot.duration_minutes):
                due.append((slot, day))
    return due


def open_due_sessions(now: datetime | None = None) -> int:
    """Open the session of every due slot once (skipping days without class); return how many opened."""
    now = now or clock.now_datetime()
    opened = 0
    _give_up_waiting(now)
    for slot, day in due_slots(now):
        try:
            opened += _open(slot, day, now)
        except Exception:
            logger.exception("Could not open the session of slot %s on %s", slot.pk, day)
    return opened


def _give_up_waiting(now: datetime) -> None:
    """A slot that waited for its teacher's other session until its own end: say it never opened."""
    for claim in SlotOpening.objects.filter(waiting=True).select_related("slot"):
        if _starts(claim.slot, claim.day) + timedelta(minutes=claim.slot.duration_minutes) <= now:
            SlotOpening.objects.filter(pk=claim.pk, waiting=True).update(waiting=False)  # summary() says why


def _claim(slot: TimetableSlot, day: date) -> SlotOpening | None:
    """The slot's claim of the day, new or taken back from waiting; None when another worker has it."""
    try:
        with transaction.atomic():
            return SlotOpening.objects.create(slot=slot, day=day)
    except IntegrityError:
        if SlotOpening.objects.filter(slot=slot, day=day, waiting=True).update(waiting=False):
            return SlotOpening.objects.get(slot=slot, day=day)
        return None


def _open(slot: TimetableSlot, day: date, now: datetime) -> int:
    with transaction.atomic():
        claim = _claim(slot, day)
        if claim is None:
            return 0  # another worker has it
        holiday = NoClassDay.objects.filter(Q(course=slot.course) | Q(course__isnull=True), day=day).first()
        if holiday:
            claim.skipped, claim.note = SlotOpening.Skipped.HOLIDAY, holiday.reason
            claim.save(update_fields=["skipped", "note"])
            return 0
        starts = _starts(slot, day)
        result = live_sessions.session_start(
            teacher=slot.teacher,
            course=slot.course,
            lesson_name=Attendance.default_lesson_name(slot.course.title, day, slot.room),
            starts_at=starts,
            ends_at=starts + timedelta(minutes=slot.duration_minutes),
            late_threshold_minutes=slot.course.late_threshold_minutes,
            require_code=slot.require_code,
            network_mode=slot.network_mode if slot.network_mode != Attendance.NetworkMode.SAME else "off",
            teacher_ip="",
            one_device_per_student=slot.one_device_per_student,
            photo_check=slot.photo_check,
            admits_remote=slot.admits_remote,
        )
        if result.session is None:
            # Waiting: tried again every minute until the slot's end (a code: the reader's language words it).
            claim.skipped, claim.waiting = SlotOpening.Skipped.TEACHER_BUSY, True
            claim.save(update_fields=["skipped", "waiting"])
            return 0
        claim.session_id, claim.skipped = result.session.id, ""
        claim.save(update_fields=["session_id", "skipped"])
        logger.info("Slot %s opened session %s for %s", slot.pk, result.session.id, day)
        return 1
