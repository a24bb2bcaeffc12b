"""The sweep's runs, as the operations page shows them."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


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
    def summary_shown(self) -> str:
        """The summary in the reader's language (the log keeps the English one)."""
        text = ngettext("Processed %(n)s session", "Processed %(n)s sessions", self.sessions_processed) % {
            "n": self.sessions_processed
        }
        text += ngettext(", saved %(n)s record", ", saved %(n)s records", self.records_saved) % {
            "n": self.records_saved
        }
        text += gettext(", %(n)s failed") % {"n": self.sessions_failed}
        if self.sessions_skipped:
            text += gettext(", %(n)s skipped") % {"n": self.sessions_skipped}
        return text

    @property
    def trigger_shown(self) -> str:
        """What started the run, in the reader's language: the schedule, a finish, the command, or a person."""
        if self.trigger.startswith("staff:"):
            return gettext("requested by %(number)s") % {"number": self.trigger.removeprefix("staff:")}
        words = {
            "schedule": gettext("schedule"),
            "finish": gettext("a session finished"),
            "command": gettext("command"),
        }
        return words.get(self.trigger, self.trigger)

    @property
    def ok(self) -> bool:
        return self.sessions_failed == 0 and not self.errors


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def sweep_summary(processed: int, records: int, failed: int, skipped: int) -> str:
    """The one-line summary of a sweep run, in the log and on the operations page."""
    text = f"Processed {_count(processed, 'session')}, saved {_count(records, 'record')}, {failed} failed"
    return f"{text}, {skipped} skipped" if skipped else text
