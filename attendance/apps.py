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
    from django_q.models import Schedule

    minutes = max(1, round(settings.SWEEP_INTERVAL / 60))
    Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": "attendance.tasks.sweep_due",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name=TIMETABLE_SCHEDULE_NAME,
        defaults={
            "func": "attendance.tasks.open_timetable_sessions",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name=PHOTO_REQUEUE_SCHEDULE_NAME,
        defaults={
            "func": "attendance.tasks.requeue_lost_photos",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name=PHOTO_RETENTION_SCHEDULE_NAME,
        defaults={"func": "attendance.tasks.delete_old_photos", "schedule_type": Schedule.HOURLY, "repeats": -1},
    )


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        from . import checks, signals  # noqa: F401

        post_migrate.connect(ensure_sweep_schedule, sender=self)
