"""The live roster as rows for the teacher's page (read-only, no writes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model

from . import live

User = get_user_model()


@dataclass
class RosterRow:
    school_number: str
    full_name: str
    status: str | None
    checked_in_at: datetime | None = None
    reason: str = ""
    source: str = ""
    flags: tuple[str, ...] = ()
    enrolled: bool = True

    @property
    def suspicious(self) -> bool:
        return bool(self.flags)


def build_roster(session: live.LiveSession) -> tuple[list[RosterRow], Counter]:
    """Return every checked-in student, then the enrolled ones not seen yet."""
    records = live.get_records(session.id)
    enrolled = {}
    if session.course_id:  # from the database: the roster page shows enrolments made since the start too
        enrolled = dict(
            User.objects.filter(enrollments__course_id=session.course_id).values_list("school_number", "full_name")
        )
    rows = [
        RosterRow(
            school_number=number,
            full_name=record.get("full_name", ""),
            status=record["status"],
            checked_in_at=_when(record.get("checked_in_at")),
            reason=record.get("reason") or "",
            source=record.get("source") or "",
            flags=tuple(record.get("flags") or ()),
            enrolled=number in enrolled or not session.course_id,
        )
        for number, record in records.items()
    ]
    rows.sort(key=lambda r: (r.checked_in_at is None, r.checked_in_at or 0, r.full_name))
    missing = [
        RosterRow(school_number=n, full_name=name, status=None) for n, name in enrolled.items() if n not in records
    ]
    missing.sort(key=lambda r: r.full_name)
    counts = Counter(r.status for r in rows)
    counts["missing"] = len(missing)
    return rows + missing, counts


def _when(ts) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=UTC) if ts else None
