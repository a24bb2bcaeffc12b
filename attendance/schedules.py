"""The periodic tasks django-q2's cluster runs, written to its schedule table right after ``migrate``.

One definition of a schedule for every app (``attendance.apps``, ``lti.apps``): a name, the task's dotted
path and the minutes between runs.
"""

from __future__ import annotations


def ensure_schedules(every: dict[str, tuple[str, int]]) -> None:
    """Create or update each schedule, ``{name: (task, minutes between runs)}``, to run for ever."""
    from django_q.models import Schedule

    for name, (func, minutes) in every.items():
        defaults = {"func": func, "schedule_type": Schedule.MINUTES, "minutes": max(1, minutes), "repeats": -1}
        Schedule.objects.update_or_create(name=name, defaults=defaults)
