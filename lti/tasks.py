"""django-q2 tasks of the LMS: each takes ids and calls one service."""

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
