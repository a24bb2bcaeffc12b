from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_tool_key(**kwargs) -> None:
    """The tool signs its messages to platforms with a key: make one if there is none yet."""
    from lti_tool.models import Key

    if not Key.objects.active().exists():
        Key.objects.generate()


ROSTER_SCHEDULE_NAME = "attn-lti-rosters"
SCORES_SCHEDULE_NAME = "attn-lti-score-retry"


def ensure_roster_schedule(**kwargs) -> None:
    """The linked courses' members are read from their LMS every LTI_ROSTER_SYNC_MINUTES, and the scores an LMS
    refused are sent again every LTI_SCORE_RETRY_MINUTES."""
    from django.conf import settings

    from attendance.schedules import ensure_schedules

    ensure_schedules(
        {
            ROSTER_SCHEDULE_NAME: ("lti.tasks.sync_rosters", settings.LTI_ROSTER_SYNC_MINUTES),
            SCORES_SCHEDULE_NAME: ("lti.tasks.retry_scores", settings.LTI_SCORE_RETRY_MINUTES),
        }
    )


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LMS (LTI)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(ensure_tool_key, sender=self)
        post_migrate.connect(ensure_roster_schedule, sender=self)
        from attendance.events import course_attendance_changed

        from .tasks import on_course_attendance_changed

        course_attendance_changed.connect(on_course_attendance_changed, dispatch_uid="lti-scores")
