from django.apps import AppConfig
from django.db.models.signals import post_migrate

SWEEP_SCHEDULE_NAME = "attn-sweep"


def ensure_sweep_schedule(**kwargs) -> None:
    """Create or update the periodic sweep, so it exists right after `migrate`."""
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


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "Attendance"

    def ready(self):
        from . import checks  # noqa: F401

        post_migrate.connect(ensure_sweep_schedule, sender=self)
