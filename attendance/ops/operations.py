"""What administrators start from the operations page: runs happen in the task cluster, not the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django_q.tasks import async_task

from .. import clock, live
from ..models import SweepRun

# The cache remembers the last sweep an administrator asked for, so that the
# operations page can show it waiting until its run row appears.
REQUEST_KEY = "attn:ops:sweep-request"
REQUEST_TTL = 3600


@dataclass
class LiveOverview:
    due: int
    live_now: list[live.LiveSession]
    dead: dict[str, dict]
    oldest_due_minutes: float | None
    previous_layout: int  # sessions a previous version stored, waiting for `manage.py adopt_live_layout`


def live_overview() -> LiveOverview:
    """What Redis holds now: due sessions, live ones, dead letters."""
    now = clock.now()
    oldest = live.oldest_due_end()
    return LiveOverview(
        due=live.count_due(now),
        live_now=live.open_sessions(now),
        dead=live.dead_letters(),
        oldest_due_minutes=round((now - oldest) / 60, 1) if oldest and oldest <= now else None,
        previous_layout=live.previous_layout_count(),
    )


@dataclass
class SweepRequest:
    task_id: str
    trigger: str
    requested_at: datetime
    run: SweepRun | None = None

    @property
    def pending(self) -> bool:
        return self.run is None


def sweep_enqueue(*, by) -> SweepRequest:
    """Ask the task cluster for a sweep of every due session now."""
    trigger = f"staff:{by.school_number}"
    task_id = async_task("attendance.tasks.sweep_due", trigger, task_name=f"sweep-by-{by.school_number}")
    request = SweepRequest(task_id=task_id, trigger=trigger, requested_at=clock.now_datetime())
    cache.set(REQUEST_KEY, {"task_id": task_id, "trigger": trigger, "at": request.requested_at}, REQUEST_TTL)
    return request


def last_sweep_request() -> SweepRequest | None:
    """The last sweep asked for from the operations page, with its run once it has one."""
    saved = cache.get(REQUEST_KEY)
    if not saved:
        return None
    run = SweepRun.objects.filter(trigger=saved["trigger"], started_at__gte=saved["at"]).first()
    return SweepRequest(task_id=saved["task_id"], trigger=saved["trigger"], requested_at=saved["at"], run=run)


def dead_letter_requeue(*, sid: str) -> bool:
    """Put a dead-lettered session back in the due index; the next sweep retries it."""
    return live.requeue_dead_letter(sid)
