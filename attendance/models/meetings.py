"""An online meeting's attendance report imported into a saved session (``attendance.meetings``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sessions import Attendance


class MeetingImport(models.Model):
    """One import of a meeting report: one audited change of the session (each record it changed has its
    RecordChange too). The file's digest makes a second import of the same report change nothing."""

    class Product(models.TextChoices):
        ZOOM = "zoom", "Zoom"
        TEAMS = "teams", "Microsoft Teams"
        BBB = "bbb", "BigBlueButton"
        OTHER = "other", _("Another meeting tool")

    attendance = models.ForeignKey(
        Attendance, verbose_name=_("session"), on_delete=models.CASCADE, related_name="meeting_imports"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(verbose_name=_("imported at"), auto_now_add=True)
    product = models.CharField(verbose_name=_("meeting tool"), max_length=16, choices=Product.choices)
    digest = models.CharField(verbose_name=_("file digest (SHA-256)"), max_length=64)
    min_share = models.PositiveSmallIntegerField(verbose_name=_("least share of the session (%)"))
    remote = models.PositiveIntegerField(verbose_name=_("made present (remote)"), default=0)
    absent = models.PositiveIntegerField(verbose_name=_("kept or made absent"), default=0)
    unchanged = models.PositiveIntegerField(verbose_name=_("left as they were"), default=0)
    unmatched = models.PositiveIntegerField(verbose_name=_("participants not matched"), default=0)

    class Meta:
        verbose_name = _("meeting report import")
        verbose_name_plural = _("meeting report imports")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["attendance", "digest"], name="meeting_import_once_per_file"),
        ]

    def __str__(self):
        return f"{self.get_product_display()} · {self.attendance_id}"
