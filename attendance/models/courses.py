"""Courses and the students enrolled in them."""

import ipaddress

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def validate_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(
            _("%(value)s is not a network such as 10.20.0.0/16."), params={"value": repr(value)}
        ) from exc


class CourseQuerySet(models.QuerySet):
    def for_teacher(self, user):
        """Courses a teacher may start sessions for and read reports of (staff: all)."""
        return self if user.is_staff else self.filter(teachers=user)


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
    # Warn a student after this many absences in a row (0: never), besides the warning rule above.
    absences_in_a_row = models.PositiveSmallIntegerField(
        verbose_name=_("warn after this many absences in a row (0: never)"),
        default=0,
        db_default=0,
        validators=[MaxValueValidator(50)],
    )
    # A student may appeal a saved record (absent, late, rejected) this many days after the session.
    appeal_days = models.PositiveSmallIntegerField(
        verbose_name=_("days to appeal a record"), default=7, db_default=7, validators=[MaxValueValidator(365)]
    )
    # An online meeting's report (Zoom, Teams, BigBlueButton): a student in the meeting for at least this share
    # of the session is "present (remote)" (attendance.meetings).
    meeting_min_share = models.PositiveSmallIntegerField(
        verbose_name=_("online meeting: least share of the session (%)"),
        default=75,
        db_default=75,
        validators=[MaxValueValidator(100)],
    )
    # Low-attendance warnings by e-mail (attendance.warnings.service), once per crossing.
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
