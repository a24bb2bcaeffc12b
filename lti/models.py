"""An LMS course (django-lti's context) linked to an ATTN course."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from attendance import clock


class LmsCourse(models.Model):
    context = models.OneToOneField(
        "lti_tool.LtiContext", verbose_name=_("LMS course"), on_delete=models.CASCADE, related_name="attn_link"
    )
    course = models.OneToOneField(
        "attendance.Course", verbose_name=_("course"), on_delete=models.CASCADE, related_name="lms_link"
    )
    linked_at = models.DateTimeField(verbose_name=_("linked at"), default=clock.now_datetime)
    # The course's attendance column in the LMS's gradebook (AGS line item), once made.
    lineitem_url = models.URLField(verbose_name=_("grade column"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("LMS course link")
        verbose_name_plural = _("LMS course links")

    def __str__(self):
        return f"{self.context} → {self.course.code}"


class RosterSync(models.Model):
    """One sync of a linked course's members from the LMS (Names and Role Provisioning Service)."""

    link = models.ForeignKey(LmsCourse, verbose_name=_("LMS course"), on_delete=models.CASCADE, related_name="syncs")
    at = models.DateTimeField(verbose_name=_("at"), default=clock.now_datetime)
    trigger = models.CharField(verbose_name=_("trigger"), max_length=16, default="schedule")
    enrolled = models.JSONField(verbose_name=_("enrolled"), default=list)  # school numbers
    dropped = models.JSONField(verbose_name=_("dropped"), default=list)  # school numbers (their records stay)
    renamed = models.JSONField(verbose_name=_("renamed"), default=list)  # [number, old name, new name]
    teachers = models.JSONField(verbose_name=_("teachers linked"), default=list)  # school numbers
    skipped = models.JSONField(verbose_name=_("skipped"), default=list)  # [who, reason msgid]
    error = models.TextField(verbose_name=_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("roster sync")
        verbose_name_plural = _("roster syncs")
        ordering = ["-at"]
        indexes = [models.Index(fields=["link", "-at"], name="lti_sync_link_at_idx")]

    def __str__(self):
        return f"{self.link} {self.at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        from django.utils.translation import gettext

        if self.error:
            return gettext("The LMS's roster could not be read: %(error)s") % {"error": self.error}
        return gettext(
            "%(enrolled)s enrolled, %(dropped)s dropped, %(renamed)s renamed, %(teachers)s teachers linked, "
            "%(skipped)s skipped"
        ) % {
            "enrolled": len(self.enrolled),
            "dropped": len(self.dropped),
            "renamed": len(self.renamed),
            "teachers": len(self.teachers),
            "skipped": len(self.skipped),
        }


class ScorePush(models.Model):
    """A student's attendance score as last sent to the LMS's grade column (or refused there)."""

    class State(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("refused, to retry")

    link = models.ForeignKey(LmsCourse, verbose_name=_("LMS course"), on_delete=models.CASCADE, related_name="scores")
    student = models.ForeignKey(
        "accounts.User", verbose_name=_("student"), on_delete=models.CASCADE, related_name="lms_scores"
    )
    score = models.FloatField(verbose_name=_("score"))
    state = models.CharField(verbose_name=_("state"), max_length=8, choices=State.choices)
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    error = models.TextField(verbose_name=_("error"), blank=True, default="")
    at = models.DateTimeField(verbose_name=_("at"), default=clock.now_datetime)

    class Meta:
        verbose_name = _("score sent to the LMS")
        verbose_name_plural = _("scores sent to the LMS")
        constraints = [models.UniqueConstraint(fields=["link", "student"], name="lti_score_once_per_student")]
        indexes = [models.Index(fields=["state", "link"], name="lti_score_state_idx")]

    def __str__(self):
        return f"{self.link} {self.student_id}: {self.score} ({self.state})"
