"""The write of every path, once the path's own rules (code, link, enrolment) have passed: the network and
location checks, the selfie, and the check-in script's atomic decision and write (``attendance.live``)."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from .. import clock, live, storage
from ..models import ATTENDED, Source, Status
from ..photos import images, liveness, retention, verify
from . import proofs
from .outcomes import CHALLENGE_GONE, LOCKED_OUT, NOT_CONFIRMED, PHOTO_NEEDED, Kind, Outcome, Visitor, not_started


def new_record(student, *, status: str, source: str, now: float, reason: str = "", flags=()) -> live.LiveRecord:
    """A self-contained live record: the sweep needs nothing else to create the student."""
    return live.LiveRecord(
        school_number=student.school_number,
        full_name=student.full_name,
        status=status,
        checked_in_at=now,
        source=source,
        reason=reason,
        flags=list(flags),
    )


def _status_by_time(session: live.LiveSession, now: float) -> str:
    late_after = session.starts_at + session.late_threshold_minutes * 60
    return Status.PRESENT if now <= late_after else Status.LATE


# A record's reason is stored in English and shown in the reader's language (attendance.reasons).
ELSEWHERE = live.ELSEWHERE_REASON


def record_check_in(
    *, session: live.LiveSession, visitor: Visitor, source: str, now: float, device_seen_in: list[str] = ()
) -> Outcome:
    """Run the network and location checks and store the student's record atomically.

    The write of every path once the path's own rules (code, link, enrolment)
    have passed: the check-in script flags a phone ``device_seen_in`` another
    open session and applies the device rule.
    """
    if not session.has_started(now):
        return Outcome(Kind.REFUSED, session=session, error=not_started(session))
    if not session.is_open(now):
        return Outcome(Kind.REFUSED, session=session, error=_("This session is closed."))
    record = new_check_in(session, visitor, source, now)
    if session.photo_check and record.status in ATTENDED:
        if not visitor.photo:
            return Outcome(Kind.REFUSED, session=session, error=PHOTO_NEEDED)
        record = _with_live_check(session, record, visitor)
        if record is None:
            return Outcome(Kind.RETAKE, session=session, error=CHALLENGE_GONE)
        return stored_outcome(session, *_check_in_with_photo(session, record, visitor, now, device_seen_in))
    return stored_outcome(session, *live.check_in(session, record, visitor.device, now, device_seen_in=device_seen_in))


def _check_in_with_photo(session: live.LiveSession, record: live.LiveRecord, visitor: Visitor, now, device_seen_in):
    """Store the selfie, write the record as pending and hand the photo to the worker.

    The record remembers what it becomes when the face matches (present or
    late, by the time of the check-in, not of the verification).
    """
    folder = f"{retention.CHECKINS}/{session.id}"
    name = images.save(folder, record.school_number, visitor.photo)
    if record.challenge:  # the second frame: named by no column, deleted with the folder's old files
        record = replace(record, photo_turned=images.save(folder, record.school_number, visitor.turned))
    record = replace(record, status=Status.PENDING, on_match=record.status, photo=name, photo_result="checking")
    outcome, stored = live.check_in(session, record, visitor.device, now, device_seen_in=device_seen_in)
    if outcome in ("ok", live.UNREPLICATED) and stored and stored.status == Status.PENDING:
        verify.ask(session.id, record.school_number, name)
    elif not (stored and stored.photo == name):
        for unused in (name, record.photo_turned):  # not written (already checked in, closed)
            if unused:
                storage.delete(unused)
    return outcome, stored


def _with_live_check(session: live.LiveSession, record: live.LiveRecord, visitor: Visitor) -> live.LiveRecord | None:
    """The record with its live challenge taken (used once), or flagged "no live check" for a photo chosen
    from a file; None when the pictures came with a challenge that has expired or was used already."""
    if not visitor.turned:
        flag = liveness.FLAGS[liveness.NO_LIVE_CHECK]
        return replace(record, live_result=liveness.NO_LIVE_CHECK, flags=[*record.flags, flag])
    challenge = live.take_challenge(session.id, record.school_number, visitor.challenge)
    if challenge is None:
        return None
    return replace(record, challenge=challenge.direction, challenge_at=challenge.issued_at, live_result="checking")


def live_challenge(*, student, session: live.LiveSession) -> live.Challenge:
    """The direction the photo step asks this student to turn the head (the standing one, or a new draw)."""
    return live.issue_challenge(session.id, student.school_number, clock.now())


def count_photo_upload(*, student, session: live.LiveSession) -> str:
    """Count a selfie posted to the session before it is read: "ok", "checked_in" or "too_many"."""
    return live.count_photo_upload(session, student.school_number)


def new_check_in(session: live.LiveSession, visitor: Visitor, source: str, now: float) -> live.LiveRecord:
    """The record a check-in writes: its status by the time, or rejected by the network and location checks."""
    if source == Source.REMOTE:  # elsewhere by design: no network nor location to check
        return new_record(visitor.student, status=Status.REMOTE, source=source, now=now)
    problems = {
        "network": proofs.network_problem(session, visitor.ip),
        # A position not shared is not one too far away: a flag of its own, in the teacher's words.
        "location" if visitor.position else "no_location": proofs.location_problem(session, visitor.position),
    }
    failed = {name: text for name, text in problems.items() if text}
    if failed:
        status, reason = Status.REJECTED, " ".join(failed.values())
    else:
        status, reason = _status_by_time(session, now), ""
    return new_record(visitor.student, status=status, source=source, now=now, reason=reason, flags=list(failed))


def stored_outcome(session: live.LiveSession, outcome: str, stored: dict | None) -> Outcome:
    if outcome == live.UNREPLICATED:
        return Outcome(Kind.REFUSED, session=session, error=NOT_CONFIRMED)
    if outcome == "locked":
        return Outcome(Kind.REFUSED, session=session, error=LOCKED_OUT)
    if outcome == "not_started":
        return Outcome(Kind.REFUSED, session=session, error=not_started(session))
    if outcome in ("closed", "missing"):
        return Outcome(Kind.REFUSED, session=session, error=_("This session is closed."))
    return Outcome(Kind.CHECKED_IN, session=session, record=stored)
