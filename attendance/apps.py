from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SWEEP_SCHEDULE_NAME = "attn-sweep"
PHOTO_RETENTION_SCHEDULE_NAME = "attn-photo-retention"
TIMETABLE_SCHEDULE_NAME = "attn-timetable"
PHOTO_REQUEUE_SCHEDULE_NAME = "attn-photo-requeue"


def ensure_sweep_schedule(**kwargs) -> None:
    """Create or update the periodic sweep, the timetable, the lost photos' requeue and photo retention, so they
    exist right after `migrate`."""
    from django.conf import settings

    from .schedules import ensure_schedules

    ensure_schedules(
        {
            SWEEP_SCHEDULE_NAME: ("attendance.tasks.sweep_due", round(settings.SWEEP_INTERVAL / 60)),
            TIMETABLE_SCHEDULE_NAME: ("attendance.tasks.open_timetable_sessions", 1),
            PHOTO_REQUEUE_SCHEDULE_NAME: ("attendance.tasks.requeue_lost_photos", 1),
            PHOTO_RETENTION_SCHEDULE_NAME: ("attendance.tasks.delete_old_photos", 60),
        }
    )


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        from . import checks, signals  # noqa: F401

        post_migrate.connect(ensure_sweep_schedule, sender=self)
