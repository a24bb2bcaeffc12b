"""Students' requests to be excused and appeals of saved records, and the teacher's decision."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .courses import Course


class ExcuseRequest(models.Model):
    """A student's request to be excused for coming sessions of a course (a day or a range of days), or an
    appeal of one saved record after the fact (``record``: "I was there", "I was ill").

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
    # A document in the private storage (never under a URL: attendance.excuses.views serves it).
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
    # An appeal after the fact: the saved record the student asks to correct, and to what (present or
    # excused). Empty for a request in advance, which covers days instead.
    record = models.ForeignKey(
        "attendance.AttendanceRecord",
        verbose_name=_("appealed record"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appeals",
    )
    wanted = models.CharField(verbose_name=_("asked status"), max_length=16, blank=True)

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
