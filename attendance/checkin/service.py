"""The student's check-in: one entry point per action, each returning one outcome.

The view hands over the request's facts (a ``Visitor``: the student, their
address, their device, their position) and renders the ``Outcome``.  Every
path applies the same rules in the same order: the session is open, the
student may join it (``admission``), the code or link is valid, then the
network and location checks, then the atomic write in Redis.

The paths live in modules of their own — ``typed_code``, ``links`` (QR, tap,
remote), ``admission`` (the enrolment rule), ``write`` (every path's write) —
and this module is what the views call: the student's reads, and each entry
point under one name.
"""

from __future__ import annotations

from django.conf import settings

from .. import clock, live
from ..models import AttendanceRecord, Status
from .admission import admission, joinable_sessions, lock_message
from .links import check_in_by_link, check_in_remote, link_for_qr, link_for_tap, open_link, remote_link_valid
from .outcomes import (
    LINK_ELSEWHERE,
    LINK_EXPIRED,
    LINK_SALT,
    LINK_TAKEN,
    LOCKED_OUT,
    NOT_CONFIRMED,
    PHOTO_NEEDED,
    CheckInView,
    Kind,
    Outcome,
    ShownRecord,
    StudentSessions,
    Visitor,
)
from .typed_code import check_in_with_code
from .write import ELSEWHERE, count_photo_upload, live_challenge, new_record, record_check_in

__all__ = [
    "ELSEWHERE",
    "LINK_ELSEWHERE",
    "LINK_EXPIRED",
    "LINK_SALT",
    "LINK_TAKEN",
    "LOCKED_OUT",
    "NOT_CONFIRMED",
    "PHOTO_NEEDED",
    "CheckInView",
    "Kind",
    "Outcome",
    "ShownRecord",
    "StudentSessions",
    "Visitor",
    "admission",
    "check_in_by_link",
    "check_in_remote",
    "check_in_result",
    "check_in_with_code",
    "count_photo_upload",
    "link_for_qr",
    "link_for_tap",
    "live_challenge",
    "new_record",
    "open_link",
    "open_sessions_for_student",
    "record_check_in",
    "remote_link_valid",
]


def open_sessions_for_student(*, student, query: str = "", now: float | None = None) -> StudentSessions:
    """Open sessions of the student's courses, and ad-hoc ones matching a search (no writes)."""
    now = clock.now() if now is None else now
    joinable = joinable_sessions(student, now, remember=False, started_only=False)
    found = [s for s in joinable.sessions if s.has_started(now)]
    query = query.strip().lower()
    records = {sid: ShownRecord.of(record) for sid, record in joinable.records.items()}
    mine = [s for s in found if s.course_id]
    return StudentSessions(
        upcoming=sorted(
            (s for s in joinable.sessions if s.course_id and not s.has_started(now)), key=lambda s: s.starts_at
        ),
        mine=mine,
        adhoc=[
            s
            for s in found
            if not s.course_id and query and (query in s.lesson_name.lower() or query in s.teacher_name.lower())
        ],
        records=records,
        **_code_lock(joinable, mine, records, now),
    )


def _code_lock(joinable, mine, records, now: float) -> dict:
    """The sessions whose code the student typed wrong too often (and is not in yet), and whether the code
    field has nothing left to take: locked out across sessions, or out of each of their courses' sessions."""
    limit = settings.CHECKIN_MAX_WRONG_CODES
    locked_out = {
        sid
        for sid, wrong in joinable.wrong_codes.items()
        if wrong >= limit and (sid not in records or records[sid].status == Status.REJECTED)
    }
    taking = [s for s in mine if s.require_code and (s.id not in records or records[s.id].status == Status.REJECTED)]
    if joinable.locked_until > now:
        closed = lock_message(joinable.locked_until, now)
    elif taking and all(s.id in locked_out for s in taking):
        closed = str(LOCKED_OUT)
    else:
        closed = ""
    return {"locked_out": locked_out, "closed": closed}


def check_in_result(*, student, sid: str) -> CheckInView | None:
    """The student's record in a session: live while it is, persisted after (None: none)."""
    record = live.get_record(sid, student.school_number)
    if record is not None:
        session = live.get_session(sid)
        shown = ShownRecord.of(record)
        title = session.title if session else ""
    else:
        stored = (
            AttendanceRecord.objects.alive()
            .filter(attendance_id=sid, student=student, attendance__is_deleted=False)
            .select_related("attendance")
            .first()
        )
        if stored is None:
            return None
        shown = ShownRecord(status=stored.status, reason=stored.fail_reason, checked_in_at=stored.checked_in_at)
        title = stored.attendance.lesson_name
    return CheckInView(title=title, record=shown, pending=shown.status == Status.PENDING)
