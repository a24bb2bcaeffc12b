"""Attendance sessions, their records and the audit trail of the corrections made to them."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .. import clock
from .courses import Course


class Status(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")
    REJECTED = "rejected", _("Rejected")
    PENDING = "pending", _("Pending")
    REMOTE = "remote", _("Present (remote)")


# The statuses that count as attending, in every report and rate.
ATTENDED = frozenset({Status.PRESENT, Status.LATE, Status.REMOTE})
# What a student may appeal after the fact (attendance.excuses.appeals), within the course's appeal days.
APPEALABLE = frozenset({Status.ABSENT, Status.LATE, Status.REJECTED})


class Source(models.TextChoices):
    CODE = "code", _("Typed code")
    QR = "qr", _("QR link")
    TAP = "tap", _("One tap (no code)")
    TEACHER = "teacher", _("Added by teacher")
    SWEEP = "sweep", _("Absent at close")
    IMPORT = "import", _("Import")
    REMOTE = "remote", _("Remote link")
    MEETING = "meeting", _("Online meeting report")


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(is_deleted=False)


class AttendanceQuerySet(SoftDeleteQuerySet):
    def for_teacher(self, user):
        """Sessions a teacher led (staff: all)."""
        return self if user.is_staff else self.filter(teacher=user)

    def with_status_counts(self):
        """Annotate each session with its number of live (not deleted) records per status."""
        alive = Q(records__is_deleted=False)
        counts = {f"n_{status}": Count("records", filter=alive & Q(records__status=status)) for status in Status.values}
        attended = Count("records", filter=alive & Q(records__status__in=ATTENDED))
        return self.annotate(n_total=Count("records", filter=alive), n_attended=attended, **counts)


class SoftDeleteFields(models.Model):
    is_deleted = models.BooleanField(verbose_name=_("removed"), default=False)
    deleted_reason = models.CharField(verbose_name=_("reason for removal"), max_length=255, blank=True)
    deleted_at = models.DateTimeField(verbose_name=_("removed at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def soft_delete(self, *, by, reason: str, at) -> None:
        """Hide the row from pages and reports; it stays in the database."""
        self.is_deleted, self.deleted_at, self.deleted_by, self.deleted_reason = True, at, by, reason
        self.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "deleted_reason"])

    def restore(self) -> None:
        """Bring a soft-deleted row back (the caller saves it)."""
        self.is_deleted, self.deleted_at, self.deleted_by, self.deleted_reason = False, None, None, ""


class Attendance(SoftDeleteFields):
    class NetworkMode(models.TextChoices):
        OFF = "off", _("No network check")
        SAME = "same", _("Same network as the teacher")
        CIDR = "cidr", _("The course's allowed networks")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, verbose_name=_("course"), null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    lesson_name = models.CharField(verbose_name=_("lesson name"), max_length=200)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="taught_sessions"
    )
    starts_at = models.DateTimeField(verbose_name=_("starts at"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"))
    late_threshold_minutes = models.PositiveSmallIntegerField(verbose_name=_("late threshold minutes"), default=10)
    require_code = models.BooleanField(verbose_name=_("require code"), default=True)
    network_mode = models.CharField(
        verbose_name=_("network mode"), max_length=8, choices=NetworkMode.choices, default=NetworkMode.OFF
    )
    location_radius_m = models.PositiveIntegerField(verbose_name=_("location radius (metres)"), null=True, blank=True)
    one_device_per_student = models.BooleanField(verbose_name=_("one device per student"), default=True)
    photo_check = models.BooleanField(verbose_name=_("photo check"), default=False, db_default=False)
    # Hybrid: remote students checked in through the teacher's remote link ("present (remote)").
    admits_remote = models.BooleanField(verbose_name=_("admits remote students"), default=False, db_default=False)
    persisted_at = models.DateTimeField(verbose_name=_("saved at"), auto_now_add=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="attendance_ends_after_start"),
            models.CheckConstraint(condition=~Q(lesson_name=""), name="attendance_lesson_name_not_empty"),
            models.CheckConstraint(
                condition=Q(network_mode__in=["off", "same", "cidr"]), name="attendance_network_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_deleted=False) | Q(deleted_at__isnull=False), name="attendance_deleted_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["teacher", "-starts_at"], name="attendance_teacher_date_idx"),
            models.Index(fields=["course", "-starts_at"], name="attendance_course_date_idx"),
        ]

    def __str__(self):
        starts = timezone.localtime(self.starts_at) if self.starts_at else None  # the school's time
        return f"{self.lesson_name} ({starts:%Y-%m-%d %H:%M})" if starts else self.lesson_name

    @staticmethod
    def default_lesson_name(title: str, day: date, room: str = "") -> str:
        """The name of a session nobody named: the course's title and the day, in no one reader's language
        (an ISO date: the name is stored, and a student and a teacher may read different languages)."""
        name = f"{title} — {day.isoformat()}"
        return (f"{name} · {room}" if room else name)[:200]


class AttendanceRecord(SoftDeleteFields):
    attendance = models.ForeignKey(
        Attendance, verbose_name=_("attendance"), on_delete=models.CASCADE, related_name="records"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.PROTECT, related_name="attendance_records"
    )
    status = models.CharField(verbose_name=_("status"), max_length=16, choices=Status.choices)
    checked_in_at = models.DateTimeField(verbose_name=_("checked in at"), null=True, blank=True)
    fail_reason = models.CharField(verbose_name=_("reason"), max_length=255, blank=True)
    source = models.CharField(verbose_name=_("source"), max_length=16, choices=Source.choices)
    # A JSON list of words (jsonb, not text[]): bulk_create sends a jsonb column as one array
    # parameter (INSERT … SELECT * FROM UNNEST), an ArrayField turns that off (the sweep's writer).
    flags = models.JSONField(verbose_name=_("flags"), default=list, blank=True)
    # The rejected attempts a later check-in replaced, oldest first: {"at", "reason", "flags"} each.
    earlier = models.JSONField(verbose_name=_("earlier attempts"), default=list, blank=True)
    # Photo check: the stored selfie (a name in the "photos" storage, emptied when it is
    # deleted after PHOTO_RETENTION_DAYS), what the verification found and the face distance.
    photo = models.CharField(verbose_name=_("photo"), max_length=255, blank=True, default="", db_default="")
    photo_result = models.CharField(
        verbose_name=_("photo result"), max_length=32, blank=True, default="", db_default=""
    )
    photo_distance = models.FloatField(verbose_name=_("photo distance"), null=True, blank=True)
    # The live selfie: the direction the student was asked to turn ("left"/"right", "" without one) and the
    # live check's result (``photos.liveness``: "turned", why not, or "no_live_check" for a file's photo).
    challenge = models.CharField(
        verbose_name=_("live check direction"), max_length=8, blank=True, default="", db_default=""
    )
    live_result = models.CharField(
        verbose_name=_("live check result"), max_length=32, blank=True, default="", db_default=""
    )

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["student__name_key"]
        constraints = [
            models.UniqueConstraint(fields=["attendance", "student"], name="record_unique_per_student"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="record_status_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="record_source_valid"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(fail_reason=""), name="record_rejected_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(is_deleted=False) | Q(deleted_at__isnull=False), name="record_deleted_has_time"
            ),
        ]
        indexes = [models.Index(fields=["student", "attendance"], name="record_student_idx")]

    def __str__(self):
        # Lists that show records select their student and session with them (list_select_related).
        return gettext("%(name)s (%(number)s): %(status)s in %(session)s") % {
            "name": self.student.full_name,
            "number": self.student.school_number,
            "status": self.get_status_display(),
            "session": self.attendance,
        }

    @property
    def appeal_until(self):
        """The last moment the student may appeal this record (None: a session without a course)."""
        course = self.attendance.course
        return self.attendance.ends_at + timedelta(days=course.appeal_days) if course else None

    @property
    def can_be_appealed(self) -> bool:
        until = self.appeal_until
        return self.status in APPEALABLE and until is not None and clock.now_datetime() <= until

    def set_status(self, status: str, reason: str) -> None:
        """Change the status and keep why (a rejected record always has a reason; the caller saves it)."""
        self.status = status
        self.fail_reason = rejection_reason(status, reason)


def rejection_reason(status: str, reason: str) -> str:
    """The reason a record keeps, shown on its row and in the exports: a rejected one never an empty one."""
    reason = (reason or "")[:255]
    return (reason or gettext_noop("Rejected.")) if status == Status.REJECTED else reason


class RecordChange(models.Model):
    record = models.ForeignKey(
        AttendanceRecord, verbose_name=_("record"), on_delete=models.CASCADE, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    # A default, not auto_now_add: the sweep saves a live correction with the time it was made.
    changed_at = models.DateTimeField(verbose_name=_("changed at"), default=clock.now_datetime)
    old_status = models.CharField(verbose_name=_("old status"), max_length=16, blank=True)
    new_status = models.CharField(verbose_name=_("new status"), max_length=16)
    reason = models.CharField(verbose_name=_("reason"), max_length=255)

    class Meta:
        verbose_name = _("record change")
        verbose_name_plural = _("record changes")
        ordering = ["-changed_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="change_reason_required"),
        ]
        indexes = [models.Index(fields=["record", "-changed_at"], name="change_record_idx")]

    def __str__(self):
        return gettext("%(old)s → %(new)s by %(who)s") % {
            "old": self.old_status or "∅",
            "new": self.new_status,
            "who": self.changed_by_id,
        }
