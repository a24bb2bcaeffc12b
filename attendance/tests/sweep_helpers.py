"""Builders of live sessions in Redis and snapshots of what the sweep wrote, for the sweep tests."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from attendance import live
from attendance.models import Attendance, AttendanceRecord, Source, Status
from attendance.teaching import service as live_sessions

from .live_helpers import check_in_as


def live_record(number: str, name: str = "", status: str = Status.PRESENT, **extra) -> live.LiveRecord:
    fields = {"checked_in_at": time.time() - 600, "source": Source.CODE, **extra}
    return live.LiveRecord(school_number=number, full_name=name or f"Student {number}", status=status, **fields)


def due_session(
    *,
    records=(),
    course=None,
    teacher_number: str = "",
    teacher_name: str = "Tia Teacher",
    ended_minutes_ago: float = 1,
) -> live.LiveSession:
    """Store a session in Redis that ended a while ago, with its records, as the live path leaves it."""
    now = time.time()
    teacher_number = teacher_number or f"T-{uuid.uuid4().hex[:8]}"
    sid = live.new_session_id(teacher_number)
    session = live.LiveSession(
        id=sid,
        lesson_name=f"Lesson {sid[:8]}",
        teacher_number=teacher_number,
        teacher_name=teacher_name,
        starts_at=now - ended_minutes_ago * 60 - 3600,
        ends_at=now - ended_minutes_ago * 60,
        late_threshold_minutes=10,
        secret="0" * 32,
        course_id=course.pk if course else None,
        course_code=course.code if course else "",
        course_title=course.title if course else "",
    )
    assert live.create_session(session) is None
    for record in records:
        assert live.set_record(session, record)
    live.finish(session, now)
    return session


def raw_session(sid: str) -> tuple[dict, dict]:
    """Return the session's meta and records hashes exactly as stored."""
    conn = live.client()
    return conn.hgetall(live.session_keys(sid).meta), conn.hgetall(live.session_keys(sid).records)


def restore_session(sid: str, meta: dict, records: dict) -> None:
    """Put a session back as raw_session() saw it (as if the sweep had never deleted it)."""
    conn = live.client()
    with conn.pipeline(transaction=True) as pipe:
        pipe.hset(live.session_keys(sid).meta, mapping=meta)
        if records:
            pipe.hset(live.session_keys(sid).records, mapping=records)
        pipe.zadd(live.session_keys(sid).due, {sid: float(meta[b"ends"])})
        pipe.execute()


def corrupt_meta(sid: str) -> None:
    live.client().hset(live.session_keys(sid).meta, "data", "{this is not json")


def corrupt_record(sid: str, number: str) -> None:
    record = live_record(number, status="maybe")
    live.client().hset(live.session_keys(sid).records, number, record.to_json())


def is_live(sid: str) -> bool:
    """Whether the session is still in Redis: its meta, and its place in the due index."""
    conn = live.client()
    return bool(conn.exists(live.session_keys(sid).meta)) and conn.zscore(live.session_keys(sid).due, sid) is not None


def failures(sid: str) -> int:
    return int(live.client().hget(live.session_keys(sid).meta, "failures") or 0)


def snapshot() -> dict:
    """Every row the sweep writes, with every column, to compare two states of the database."""
    return {
        "users": sorted(User.objects.values_list("id", "school_number", "full_name", "role", "password")),
        "sessions": sorted(
            Attendance.objects.values_list(
                "id", "course_id", "lesson_name", "teacher_id", "starts_at", "ends_at", "persisted_at"
            )
        ),
        "records": sorted(
            AttendanceRecord.objects.values_list(
                "id", "attendance_id", "student_id", "status", "checked_in_at", "fail_reason", "source", "flags"
            )
        ),
    }


def start_live(teacher, course, *, minutes_left: float = 60) -> live.LiveSession:
    now = timezone.now()
    return live_sessions.session_start(
        teacher=teacher,
        course=course,
        lesson_name="Loops",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=minutes_left),
        late_threshold_minutes=10,
        require_code=False,
        network_mode="off",
        teacher_ip="10.0.0.1",
    ).session


def check_in(session, student) -> dict:
    return check_in_as(session, student, source=Source.TAP, ip="10.0.0.2").record


def record_of(sid, number: str) -> AttendanceRecord:
    return AttendanceRecord.objects.select_related("student").get(attendance_id=sid, student__school_number=number)
