import ipaddress
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


def validate_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(
            _("%(value)s is not a network such as 10.20.0.0/16."), params={"value": repr(value)}
        ) from exc


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


class Source(models.TextChoices):
    CODE = "code", _("Typed code")
    QR = "qr", _("QR link")
    TAP = "tap", _("One tap (no code)")
    TEACHER = "teacher", _("Added by teacher")
    SWEEP = "sweep", _("Absent at close")
    IMPORT = "import", _("Import")
    REMOTE = "remote", _("Remote link")


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(is_deleted=False)


class CourseQuerySet(models.QuerySet):
    def for_teacher(self, user):
        """Courses a teacher may start sessions for and read reports of (staff: all)."""
        return self if user.is_staff else self.filter(teachers=user)


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


class Course(models.Model):
    class RatePolicy(models.TextChoices):
        TO_DATE = "to_date", _("Rate to date (sessions held so far)")
        TERM = "term", _("Rate over the term's planned sessions")

    class WarningRule(models.TextChoices):
        BELOW = "below", _("When a student falls under the threshold")
        CANNOT_REACH = "cannot_reach", _("When a student can no longer reach the threshold")
        OFF = "off", _("No warnings")

    code = models.CharField(verbose_name=_("code"), max_length=32, unique=True)
    title = models.CharField(verbose_name=_("title"), max_length=200)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("teachers"), related_name="taught_courses", blank=True
    )
    allowed_networks = ArrayField(
        models.CharField(max_length=64, validators=[validate_network]),
        verbose_name=_("allowed networks"),
        default=list,
        blank=True,
        help_text=_("CIDR ranges a check-in may come from, e.g. 10.20.0.0/16."),
    )
    late_threshold_minutes = models.PositiveSmallIntegerField(verbose_name=_("late threshold minutes"), default=10)
    rate_policy = models.CharField(
        verbose_name=_("rate policy"), max_length=16, choices=RatePolicy.choices, default=RatePolicy.TO_DATE
    )
    planned_sessions = models.PositiveSmallIntegerField(verbose_name=_("planned sessions"), null=True, blank=True)
    excused_counts_as_present = models.BooleanField(verbose_name=_("excused counts as present"), default=True)
    photo_check_default = models.BooleanField(
        verbose_name=_("photo check by default"),
        default=False,
        db_default=False,
        help_text=_("New sessions of this course ask for a selfie matched against the reference photo."),
    )
    # A hybrid session's remote attendance counts as this share of a present one (100: the same).
    remote_weight = models.PositiveSmallIntegerField(
        verbose_name=_("remote attendance counts as (%)"),
        default=100,
        db_default=100,
        validators=[MaxValueValidator(100)],
    )
    # Low-attendance warnings by e-mail (attendance.services.warnings), once per crossing.
    warning_rule = models.CharField(
        verbose_name=_("low-attendance warnings"),
        max_length=16,
        choices=WarningRule.choices,
        default=WarningRule.BELOW,
        db_default=WarningRule.BELOW,
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="course_code_not_empty"),
            models.CheckConstraint(condition=Q(late_threshold_minutes__lte=240), name="course_late_threshold_sane"),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"


class Enrollment(models.Model):
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(verbose_name=_("enrolled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="enrollment_unique")]
        indexes = [models.Index(fields=["student", "course"], name="enrollment_student_idx")]

    def __str__(self):
        return gettext("%(student)s in %(course)s") % {"student": self.student, "course": self.course.code}


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
        return f"{self.lesson_name} ({self.starts_at:%Y-%m-%d %H:%M})"


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
    flags = ArrayField(models.CharField(max_length=64), verbose_name=_("flags"), default=list, blank=True)
    # Photo check: the stored selfie (a name in the "photos" storage, emptied when it is
    # deleted after PHOTO_RETENTION_DAYS), what the verification found and the face distance.
    photo = models.CharField(verbose_name=_("photo"), max_length=255, blank=True, default="", db_default="")
    photo_result = models.CharField(
        verbose_name=_("photo result"), max_length=32, blank=True, default="", db_default=""
    )
    photo_distance = models.FloatField(verbose_name=_("photo distance"), null=True, blank=True)

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

    def set_status(self, status: str, reason: str) -> None:
        """Change the status and keep why (a rejected record always has a reason; the caller saves it)."""
        self.status = status
        self.fail_reason = rejection_reason(status, reason)


def rejection_reason(status: str, reason: str) -> str:
    """The reason a record keeps, shown on its row and in the exports: a rejected one never an empty one."""
    reason = (reason or "")[:255]
    return (reason or gettext_noop("Rejected.")) if status == Status.REJECTED else reason


class ReferenceState(models.TextChoices):
    PROCESSING = "processing", _("Being processed")
    PROPOSED = "proposed", _("Offered by the student, awaiting a teacher")
    READY = "ready", _("Reference")
    NO_FACE = "no_face", _("No face found")
    SEVERAL_FACES = "several_faces", _("Several faces found")
    UNREADABLE = "unreadable", _("Not a readable image")
    DECLINED = "declined", _("Declined by a teacher")
    REPLACED = "replaced", _("Replaced by a newer reference")


class ReferencePhoto(models.Model):
    """A student's reference face: the photo (in the "photos" storage) and its 128-number encoding.

    The worker computes the encoding once.  A photo a student offers at their
    first photo check-in waits for a teacher's approval ("proposed") before it
    becomes the reference; at most one reference per student is "ready".
    """

    State = ReferenceState

    class Origin(models.TextChoices):
        ADMIN = "admin", _("Uploaded by an administrator")
        STUDENT = "student", _("Offered at a check-in")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="reference_photos"
    )
    image = models.CharField(verbose_name=_("image"), max_length=255)
    encoding = ArrayField(models.FloatField(), size=128, null=True, blank=True)
    state = models.CharField(verbose_name=_("state"), max_length=16, choices=State.choices, default=State.PROCESSING)
    origin = models.CharField(verbose_name=_("origin"), max_length=16, choices=Origin.choices, default=Origin.ADMIN)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reference photo")
        verbose_name_plural = _("reference photos")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=Q(state="ready"), name="reference_one_ready"),
            models.CheckConstraint(condition=Q(state__in=ReferenceState.values), name="reference_state_valid"),
            models.CheckConstraint(
                condition=~Q(state="ready") | Q(encoding__isnull=False), name="reference_ready_has_encoding"
            ),
        ]
        indexes = [models.Index(fields=["student", "state"], name="reference_student_idx")]

    def __str__(self):
        return gettext("Reference photo of %(student)s (%(state)s)") % {
            "student": self.student_id,
            "state": self.get_state_display(),
        }


class ReferenceUpload(models.Model):
    """A ZIP of reference photos an administrator uploaded: its progress and per-file report."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    archive = models.CharField(verbose_name=_("archive"), max_length=255)
    total = models.PositiveIntegerField(verbose_name=_("total"), default=0)
    done = models.PositiveIntegerField(verbose_name=_("done"), default=0)
    finished = models.BooleanField(verbose_name=_("finished"), default=False)
    report = models.JSONField(verbose_name=_("report"), default=list, blank=True)  # [{"file", "number", "result"}…]

    class Meta:
        verbose_name = _("reference upload")
        verbose_name_plural = _("reference uploads")
        ordering = ["-created_at"]

    def __str__(self):
        return gettext("Reference photos uploaded %(at)s: %(done)s/%(total)s") % {
            "at": f"{self.created_at:%Y-%m-%d %H:%M}",
            "done": self.done,
            "total": self.total,
        }


class VerificationCallback(models.Model):
    """An external verifier's callback id, kept so that a replayed callback is refused."""

    callback_id = models.CharField(verbose_name=_("callback id"), max_length=64, unique=True)
    received_at = models.DateTimeField(verbose_name=_("received at"), auto_now_add=True)

    def __str__(self):
        return self.callback_id


class RecordChange(models.Model):
    record = models.ForeignKey(
        AttendanceRecord, verbose_name=_("record"), on_delete=models.CASCADE, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(verbose_name=_("changed at"), auto_now_add=True)
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


class SweepRun(models.Model):
    started_at = models.DateTimeField(verbose_name=_("started at"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    trigger = models.CharField(verbose_name=_("trigger"), max_length=32, default="schedule")
    sessions_processed = models.PositiveIntegerField(verbose_name=_("sessions processed"), default=0)
    records_saved = models.PositiveIntegerField(verbose_name=_("records saved"), default=0)
    sessions_failed = models.PositiveIntegerField(verbose_name=_("sessions failed"), default=0)
    sessions_skipped = models.PositiveIntegerField(
        verbose_name=_("sessions skipped"),
        default=0,
        help_text=_("Due sessions another sweeper had claimed, or whose keys were already gone."),
    )
    errors = models.TextField(verbose_name=_("errors"), blank=True)
    notes = models.TextField(
        verbose_name=_("notes"),
        blank=True,
        help_text=_("What the sweep noticed but did not fail on, e.g. renamed students."),
    )

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="sweeprun_finishes_after_start",
            ),
        ]
        indexes = [models.Index(fields=["-started_at"], name="sweeprun_started_idx")]

    def __str__(self):
        return gettext("Sweep %(at)s: %(summary)s") % {
            "at": f"{self.started_at:%Y-%m-%d %H:%M:%S}",
            "summary": self.summary,
        }

    @property
    def summary(self) -> str:
        return sweep_summary(self.sessions_processed, self.records_saved, self.sessions_failed, self.sessions_skipped)

    @property
    def ok(self) -> bool:
        return self.sessions_failed == 0 and not self.errors


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def sweep_summary(processed: int, records: int, failed: int, skipped: int) -> str:
    """The one-line summary of a sweep run, in the log and on the operations page."""
    text = f"Processed {_count(processed, 'session')}, saved {_count(records, 'record')}, {failed} failed"
    return f"{text}, {skipped} skipped" if skipped else text


class ExcuseRequest(models.Model):
    """A student's request to be excused for coming sessions of a course (a day or a range of days).

    Approved, it turns the student's "absent" in the range into "excused" (a check-in stays what it
    was), with an audit row, whether the session is saved before or after the decision.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the teacher")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="excuse_requests"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="excuse_requests"
    )
    first_day = models.DateField(verbose_name=_("first day"))
    last_day = models.DateField(verbose_name=_("last day"))
    reason = models.CharField(verbose_name=_("reason"), max_length=255)
    # A document in the private storage (never under a URL: attendance.views.excuses serves it).
    attachment = models.CharField(verbose_name=_("attachment"), max_length=255, blank=True)
    attachment_name = models.CharField(verbose_name=_("attachment's name"), max_length=255, blank=True)
    state = models.CharField(verbose_name=_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    note = models.CharField(verbose_name=_("teacher's note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("excuse request")
        verbose_name_plural = _("excuse requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="excuse_range_ordered"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "approved", "declined"]), name="excuse_state_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="excuse_reason_required"),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False), name="excuse_decision_dated"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "state", "first_day"], name="excuse_course_state_idx"),
            models.Index(fields=["student", "-created_at"], name="excuse_student_idx"),
        ]

    def __str__(self):
        return gettext("%(student)s, %(course)s, %(first)s–%(last)s (%(state)s)") % {
            "student": self.student_id,
            "course": self.course_id,
            "first": self.first_day,
            "last": self.last_day,
            "state": self.get_state_display(),
        }


class AttendanceWarning(models.Model):
    """A low-attendance warning sent to a student (and in their teachers' digest): one per crossing.

    It stays "open" while the student stays on the wrong side of the rule; when they are back above the
    threshold it is closed (``cleared_at``), so that a later fall warns again.
    """

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="warnings")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(verbose_name=_("rule"), max_length=16, choices=Course.WarningRule.choices)
    rate = models.FloatField(verbose_name=_("rate"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), auto_now_add=True)
    emailed = models.BooleanField(verbose_name=_("e-mailed"), default=False)
    cleared_at = models.DateTimeField(verbose_name=_("back above at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance warning")
        verbose_name_plural = _("attendance warnings")
        ordering = ["-sent_at"]
        constraints = [
            # At most once per crossing, whatever the number of workers sending.
            models.UniqueConstraint(
                fields=["course", "student", "kind"],
                condition=Q(cleared_at__isnull=True),
                name="warning_once_per_crossing",
            ),
        ]
        indexes = [models.Index(fields=["course", "-sent_at"], name="warning_course_idx")]

    def __str__(self):
        return gettext("%(student)s warned in %(course)s at %(at)s") % {
            "student": self.student_id,
            "course": self.course_id,
            "at": f"{self.sent_at:%Y-%m-%d %H:%M}",
        }


class TimetableSlot(models.Model):
    """A course's weekly class: its session opens by itself (attendance.services.timetable) on each of its
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

    slot = models.ForeignKey(TimetableSlot, verbose_name=_("slot"), on_delete=models.CASCADE, related_name="openings")
    day = models.DateField(verbose_name=_("day"))
    session_id = models.UUIDField(verbose_name=_("session"), null=True, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("opened at"), auto_now_add=True)
    note = models.CharField(verbose_name=_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("slot opening")
        verbose_name_plural = _("slot openings")
        constraints = [models.UniqueConstraint(fields=["slot", "day"], name="slot_opens_once_a_day")]

    def __str__(self):
        return f"{self.slot_id} {self.day}"
