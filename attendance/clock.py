"""The attendance app's one clock: views, services and live state all read it.

Tests replace the source with ``clock.use(...)``, so a frozen time reaches
every layer at once rather than the modules a test remembered to patch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

_source: Callable[[], float] = time.time

# The farthest ahead anyone plans here (a session's start, an excuse, a timetable's last day): it also
# keeps every date far from the end of the calendar, where date arithmetic overflows (year 9999).
HORIZON = timedelta(days=366)


def now() -> float:
    """Return the current time as a Unix timestamp."""
    return _source()


def now_datetime() -> datetime:
    return datetime.fromtimestamp(_source(), tz=UTC)


def localdate() -> date:
    """Return today's date in the current time zone."""
    return timezone.localdate(now_datetime())


def use(source: Callable[[], float] | None) -> None:
    """Read the time from ``source`` from now on (None: the system clock again)."""
    global _source
    _source = source or time.time


def to_datetime(ts: float | None) -> datetime | None:
    """Return the aware UTC datetime of a timestamp (None stays None)."""
    return datetime.fromtimestamp(ts, tz=UTC) if ts is not None else None
