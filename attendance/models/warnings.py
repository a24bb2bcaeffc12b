"""Low-attendance warnings, one per crossing of a course's rule."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .courses import Course


class AttendanceWarning(models.Model):
    """A low-attendance warning sent to a student (and in their teachers' digest): one per crossing.

    It stays "open" while the student stays on the wrong side of the rule; when they are back above the
    threshold it is closed (``cleared_at``), so that a later fall warns again.
    """

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="warnings")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="+"
    )

    class Kind(models.TextChoices):
        """What was crossed: the course's warning rule, or its absences in a row."""

        BELOW = "below", _("Under the threshold")
        CANNOT_REACH = "cannot_reach", _("Can no longer reach the threshold")
        IN_A_ROW = "in_a_row", _("Absences in a row")

    kind = models.CharField(verbose_name=_("rule"), max_length=16, choices=Kind.choices)
    rate = models.FloatField(verbose_name=_("rate"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), auto_now_add=True)
    emailed = models.BooleanField(verbose_name=_("e-mailed"), default=False)
    advisor_emailed = models.BooleanField(verbose_name=_("advisor e-mailed"), default=False, db_default=False)
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
