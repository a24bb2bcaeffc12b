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

    class Meta:
        verbose_name = _("LMS course link")
        verbose_name_plural = _("LMS course links")

    def __str__(self):
        return f"{self.context} → {self.course.code}"
