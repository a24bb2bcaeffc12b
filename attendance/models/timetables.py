"""The weekly timetable that opens sessions by itself, and the days without class."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .courses import Course
from .sessions import Attendance


class TimetableSlot(models.Model):
    """A course's weekly class: its session opens by itself (attendance.timetables.service) on each of its
    days between ``first_day`` and ``last_day``, except the days without class."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="slots")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(verbose_name=_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(verbose_name=_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(verbose_name=_("duration (minutes)"), default=90)
    room = models.CharField(verbose_name=_("room"), max_length=64, blank=True)
    first_day = models.DateField(verbose_name=_("first day"))
    last_day = models.DateField(verbose_name=_("last day"))
    # The session's checks, as on the start form.
    require_code = models.BooleanField(verbose_name=_("rotating code"), default=True)
    network_mode = models.CharField(
        verbose_name=_("network check"), max_length=8, choices=Attendance.NetworkMode.choices, default="off"
    )
    one_device_per_student = models.BooleanField(verbose_name=_("one device per student"), default=True)
    photo_check = models.BooleanField(verbose_name=_("photo check"), default=False)
    admits_remote = models.BooleanField(verbose_name=_("admits remote students"), default=False)

    class Meta:
        verbose_name = _("timetable slot")
        verbose_name_plural = _("timetable slots")
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="slot_weekday_valid"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=600), name="slot_duration_sane"
            ),
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="slot_days_ordered"),
        ]

    def __str__(self):
        return gettext("%(course)s, %(weekday)s %(starts)s") % {
            "course": self.course_id,
            "weekday": self.get_weekday_display(),
            "starts": f"{self.starts:%H:%M}",
        }


class NoClassDay(models.Model):
    """A holiday (no course: the whole school) or a cancelled class of one course: no session opens."""

    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="no_class_days",
        help_text=_("Empty: a holiday for every course."),
    )
    day = models.DateField(verbose_name=_("day"))
    reason = models.CharField(verbose_name=_("reason"), max_length=120)

    class Meta:
        verbose_name = _("day without class")
        verbose_name_plural = _("days without class")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["course", "day"], name="no_class_once_per_course"),
            models.UniqueConstraint(fields=["day"], condition=Q(course__isnull=True), name="holiday_once"),
        ]

    def __str__(self):
        return f"{self.day}: {self.reason}"


class SlotOpening(models.Model):
    """The claim that a slot's session of one day was opened (or skipped): one per slot and day, so
    however many workers run the schedule, one session opens."""

    class Skipped(models.TextChoices):
        HOLIDAY = "holiday", _("No class that day")
        TEACHER_BUSY = "teacher_busy", _("The teacher had another session open")

    slot = models.ForeignKey(TimetableSlot, verbose_name=_("slot"), on_delete=models.CASCADE, related_name="openings")
    day = models.DateField(verbose_name=_("day"))
    session_id = models.UUIDField(verbose_name=_("session"), null=True, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("opened at"), auto_now_add=True)
    # Why the session did not open, as a code and the day's reason as an administrator typed it: the worker
    # writes no sentence of its own language, the reader's language words it (``summary``).
    skipped = models.CharField(verbose_name=_("skipped because"), max_length=16, choices=Skipped.choices, blank=True)
    note = models.CharField(verbose_name=_("note"), max_length=255, blank=True)
    # The teacher had another session open: tried again every minute until the slot's end.
    waiting = models.BooleanField(verbose_name=_("waiting"), default=False, db_default=False)

    class Meta:
        verbose_name = _("slot opening")
        verbose_name_plural = _("slot openings")
        constraints = [models.UniqueConstraint(fields=["slot", "day"], name="slot_opens_once_a_day")]

    def __str__(self):
        return f"{self.slot_id} {self.day}"

    def summary(self) -> str:
        """Why the day's session did not open, in the reader's language."""
        if self.skipped == self.Skipped.HOLIDAY:
            return gettext("No class: %(reason)s") % {"reason": self.note}
        if self.skipped == self.Skipped.TEACHER_BUSY and self.waiting:
            starts = timezone.make_aware(datetime.combine(self.day, self.slot.starts))
            ends = timezone.localtime(starts + timedelta(minutes=self.slot.duration_minutes))
            return gettext(
                "Waiting: the teacher has another session open; this one opens when it ends, if before %(end)s."
            ) % {"end": f"{ends:%H:%M}"}
        if self.skipped == self.Skipped.TEACHER_BUSY:
            return gettext("Not opened: the teacher's other session was still open when this class ended.")
        return self.note
