"""django-q2 tasks of the LMS: each takes ids and calls one service."""

from django_q.tasks import async_task

from . import grades
from .models import LmsCourse
from .roster import roster_sync


def sync_roster(link_id: int, trigger: str = "launch") -> str:
    """Enqueued by an instructor's launch: the course's members from the LMS."""
    return roster_sync(link_id=link_id, trigger=trigger).summary


def sync_rosters() -> str:
    """Scheduled every LTI_ROSTER_SYNC_MINUTES: every linked course's members from the LMS."""
    links = LmsCourse.objects.exclude(context__memberships_url="").values_list("pk", flat=True)
    failed = sum(1 for pk in links if roster_sync(link_id=pk).error)
    return f"{len(links)} LMS rosters synced, {failed} failed"


def push_scores(course_id: int) -> str:
    """Enqueued after a sweep saved sessions of a linked course, or a correction changed its records."""
    return str(grades.scores_push(course_id=course_id))


def retry_scores() -> str:
    """Scheduled every LTI_SCORE_RETRY_MINUTES: send again the scores an LMS refused."""
    courses = grades.courses_to_retry()
    return "; ".join(f"{pk}: {grades.scores_push(course_id=pk)}" for pk in courses) or "nothing to retry"


def on_course_attendance_changed(sender, course_ids, **kwargs) -> None:
    """attendance.events: the linked courses among them get their scores pushed, each in a task of its own."""
    for course_id in LmsCourse.objects.filter(course_id__in=course_ids).values_list("course_id", flat=True):
        async_task("lti.tasks.push_scores", course_id)
