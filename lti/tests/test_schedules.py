"""Every periodic task (the app's and the LMS's) exists right after `migrate`, each once, and follows its settings."""

import pytest
from django_q.models import Schedule

from attendance.apps import (
    PHOTO_REQUEUE_SCHEDULE_NAME,
    PHOTO_RETENTION_SCHEDULE_NAME,
    SWEEP_SCHEDULE_NAME,
    TIMETABLE_SCHEDULE_NAME,
    ensure_sweep_schedule,
)
from lti.apps import ROSTER_SCHEDULE_NAME, SCORES_SCHEDULE_NAME, ensure_roster_schedule

pytestmark = pytest.mark.django_db


def _every() -> dict[str, tuple[str, str, int, int]]:
    return {s.name: (s.func, s.schedule_type, s.minutes, s.repeats) for s in Schedule.objects.all()}


def test_migrate_leaves_every_schedule_running_for_ever(settings):
    minutes = max(1, round(settings.SWEEP_INTERVAL / 60))
    assert _every() == {
        SWEEP_SCHEDULE_NAME: ("attendance.tasks.sweep_due", Schedule.MINUTES, minutes, -1),
        TIMETABLE_SCHEDULE_NAME: ("attendance.tasks.open_timetable_sessions", Schedule.MINUTES, 1, -1),
        PHOTO_REQUEUE_SCHEDULE_NAME: ("attendance.tasks.requeue_lost_photos", Schedule.MINUTES, 1, -1),
        PHOTO_RETENTION_SCHEDULE_NAME: ("attendance.tasks.delete_old_photos", Schedule.MINUTES, 60, -1),
        ROSTER_SCHEDULE_NAME: ("lti.tasks.sync_rosters", Schedule.MINUTES, settings.LTI_ROSTER_SYNC_MINUTES, -1),
        SCORES_SCHEDULE_NAME: ("lti.tasks.retry_scores", Schedule.MINUTES, settings.LTI_SCORE_RETRY_MINUTES, -1),
    }


def test_a_changed_setting_updates_its_schedule_instead_of_adding_one(settings):
    settings.SWEEP_INTERVAL = 600
    settings.LTI_ROSTER_SYNC_MINUTES = 0  # never more often than every minute
    ensure_sweep_schedule()
    ensure_roster_schedule()
    every = _every()
    assert len(every) == Schedule.objects.count() == 6
    assert every[SWEEP_SCHEDULE_NAME][2] == 10 and every[ROSTER_SCHEDULE_NAME][2] == 1
