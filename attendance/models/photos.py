"""Photo check: the students' reference faces, their uploads and the external verifier's callbacks."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


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
