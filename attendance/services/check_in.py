"""The student's check-in: one entry point per action, each returning one outcome.

The view hands over the request's facts (a ``Visitor``: the student, their
address, their device, their position) and renders the ``Outcome``.  Every
path applies the same rules in the same order: the session is open, the
student may join it (``_may_join``), the code or link is valid, then the
network and location checks, then the atomic write in Redis.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_q.tasks import async_task

from .. import clock, live, verification
from ..models import ATTENDED, AttendanceRecord, Source, Status
from ..photos import images, retention

LINK_SALT = "attendance.checkin-link"
LOCKED_OUT = _("Too many wrong codes for this session. Ask your teacher to add you.")
LINK_EXPIRED = _("This check-in link has expired. Type the code shown on the screen.")
LINK_ELSEWHERE = _(
    "This check-in link was opened in another browser. Scan the QR code in the room, or type the code on the screen."
)
LINK_TAKEN = _("Another student already checked in with this link. Scan the QR code or type the code yourself.")
NOT_CONFIRMED = _("Your check-in could not be confirmed yet: please try again in a moment.")
PHOTO_NEEDED = _("This session checks a photo of you: take a selfie to check in.")


@dataclass(frozen=True)
class Visitor:
    """What a check-in request tells about the student."""

    student: object
    ip: str
    device: str
    position: tuple[float, float] | None = None
    browser: str = ""  # the nonce the browser got when it opened a QR link (its cookie)
    photo: bytes | None = None  # the selfie of a photo-check session, already cleaned (photos.images.clean)


@dataclass(frozen=True)
class ShownRecord:
    """A student's record as their own pages show it, live or saved."""

    status: str
    reason: str = ""
    checked_in_at: datetime | None = None
    photo: str = ""

    @classmethod
    def of(cls, record: live.LiveRecord) -> ShownRecord:
        return cls(status=record.status, reason=record.reason, checked_in_at=record.checked_in_dt, photo=record.photo)


@dataclass
class StudentSessions:
    mine: list[live.LiveSession] = field(default_factory=list)
    adhoc: list[live.LiveSession] = field(default_factory=list)
    upcoming: list[live.LiveSession] = field(default_factory=list)  # the student's course sessions not started yet
    records: dict[str, ShownRecord] = field(default_factory=dict)  # session id → the student's record there

    def listed(self, sessions: list[live.LiveSession]) -> list[tuple[live.LiveSession, ShownRecord | None]]:
        """Each session with the student's record in it (status and time), or None."""
        return [(session, self.records.get(session.id)) for session in sessions]


class Kind(Enum):
    CHECKED_IN = "checked_in"  # a record was stored (or the student already had one)
    CONFIRM = "confirm"  # go on to the confirmation page with ``link``
    WRONG_CODE = "wrong_code"  # the typed code matched no session: ``error`` belongs on the form
    REFUSED = "refused"  # no record: ``error`` says why and what to do
    NOT_FOUND = "not_found"  # the student may not see this session at all


@dataclass
class Outcome:
    kind: Kind
    session: live.LiveSession | None = None
    record: live.LiveRecord | None = None
    error: str = ""
    link: str = ""
    sessions: StudentSessions | None = None  # with a wrong code: the page lists them again
    browser: str = ""  # a new QR link's nonce: the view keeps it in the browser
    locked: bool = False  # refused for too many wrong codes, not for this code


@dataclass
class CheckInView:
    title: str
    record: ShownRecord
    pending: bool


# --- reads --------------------------------------------------------------------


def open_sessions_for_student(*, student, query: str = "", now: float | None = None) -> StudentSessions:
    """Open sessions of the student's courses, and ad-hoc ones matching a search (no writes)."""
    now = clock.now() if now is None else now
    joinable = _joinable(student, now, remember=False, started_only=False)
    found = [s for s in joinable.sessions if s.has_started(now)]
    query = query.strip().lower()
    return StudentSessions(
        upcoming=sorted(
            (s for s in joinable.sessions if s.course_id and not s.has_started(now)), key=lambda s: s.starts_at
        ),
        mine=[s for s in found if s.course_id],
        adhoc=[
            s
            for s in found
            if not s.course_id and query and (query in s.lesson_name.lower() or query in s.teacher_name.lower())
        ],
        records={sid: ShownRecord.of(record) for sid, record in joinable.records.items()},
    )


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


# --- the enrolment rule, the same on every path -------------------------------


def admission(session: live.LiveSession, *, on_roster: bool | None = None, enrolled: set[int] | None = None) -> str:
    """Whether a student may join a session: ad-hoc sessions are open to every student, a course's only to its
    students — on the enrolled snapshot taken at the start (``on_roster``), or enrolled since (``enrolled``:
    the student's course ids, from the database).  With neither known, ``live.ON_ROSTER``: the check-in
    script admits the student if the snapshot holds them."""
    if not session.course_id or on_roster:
        return live.ADMITTED
    if enrolled is not None:
        return live.ADMITTED if session.course_id in enrolled else live.REFUSED
    return live.REFUSED if on_roster is False else live.ON_ROSTER


def _may_join(session: live.LiveSession, on_roster: bool, enrolled: set[int] | None) -> bool:
    return admission(session, on_roster=on_roster, enrolled=enrolled) == live.ADMITTED


def _enrolled_course_ids(student) -> set[int]:
    return set(student.enrollments.values_list("course_id", flat=True))


@dataclass
class _Joinable:
    sessions: list[live.LiveSession]
    locked_until: float
    device_used_in: dict[str, str]  # session id → who checked in with this device there
    records: dict[str, live.LiveRecord] = field(default_factory=dict)  # session id → the student's own record


def _joinable(student, now: float, *, remember: bool, device: str = "", started_only: bool = True) -> _Joinable:
    """Open sessions this student may join, their wrong-code lock-out, and where the device was used.

    The enrolled snapshot taken at the start answers without a query; only a
    student missing from a course session's snapshot (enrolled since) costs
    one, and on a check-in (``remember``) joins that snapshot.
    """
    view = live.open_sessions_for(now, student.school_number, device)
    found = [seen for seen in view.sessions if seen.session.has_started(now) or not started_only]
    enrolled = _enrolled_course_ids(student) if any(s.session.course_id and not s.enrolled for s in found) else None
    joinable = []
    for seen in found:
        if _may_join(seen.session, seen.enrolled, enrolled):
            joinable.append(seen.session)
            if remember and seen.session.course_id and not seen.enrolled:
                live.add_enrolled(seen.session, student.school_number, student.full_name)
    used = {seen.session.id: seen.device_owner for seen in view.sessions if seen.device_owner}
    records = {seen.session.id: seen.record for seen in view.sessions if seen.record}
    return _Joinable(sessions=joinable, locked_until=view.locked_until, device_used_in=used, records=records)


def _lock_message(until: float, now: float) -> str:
    minutes = max(1, round((until - now) / 60))
    return ngettext(
        "Too many wrong codes. Try again in %(minutes)d minute, or ask your teacher.",
        "Too many wrong codes. Try again in %(minutes)d minutes, or ask your teacher.",
        minutes,
    ) % {"minutes": minutes}


def _may_join_one(student, session: live.LiveSession, *, remember: bool) -> bool:
    if _may_join(session, live.is_enrolled(session.id, student.school_number), None):
        return True
    if not _may_join(session, False, _enrolled_course_ids(student)):
        return False
    if remember:
        live.add_enrolled(session, student.school_number, student.full_name)
    return True


# --- links: the QR code's target, the tap, the code with a location -----------


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


def _link(session: live.LiveSession, source: str, now: float, *, student=None, browser: str = "") -> str:
    """A signed link to the confirmation, bound to a student or (before the login) to a browser.

    The browser binding holds only a digest of the nonce kept in that browser's
    cookie: a forwarded link arrives without the cookie, and the digest does
    not give the nonce away.
    """
    payload = {"sid": session.id, "src": source, "at": int(now)}
    if student is not None:
        payload["u"] = student.pk
    if browser:
        payload["b"] = _digest(browser)
    return signing.dumps(payload, salt=LINK_SALT, compress=True)


@dataclass
class _Link:
    source: str
    browser_digest: str


def _read_link(token: str, session: live.LiveSession, student, browser: str, now: float):
    """Return the valid link, or the outcome that refuses it."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None, Outcome(Kind.REFUSED, error=LINK_EXPIRED)
    if not isinstance(payload, dict) or payload.get("sid") != session.id:
        return None, Outcome(Kind.NOT_FOUND, error=_("This link belongs to another session."))
    at = payload.get("at")
    if not isinstance(at, int) or not 0 <= now - at <= settings.CHECKIN_LINK_MAX_AGE:
        return None, Outcome(Kind.REFUSED, error=LINK_EXPIRED)
    if "u" in payload:
        if payload["u"] != student.pk:
            return None, Outcome(Kind.REFUSED, error=LINK_ELSEWHERE)
    elif not (browser and payload.get("b") and secrets.compare_digest(str(payload["b"]), _digest(browser))):
        return None, Outcome(Kind.REFUSED, error=LINK_ELSEWHERE)
    source = payload.get("src")
    source = source if source in (Source.QR, Source.TAP, Source.CODE) else Source.QR
    return _Link(source=source, browser_digest=str(payload.get("b", ""))), None


def link_for_qr(*, session: live.LiveSession, code: str, ip: str, now: float | None = None) -> Outcome:
    """The QR code's target: the code is checked now, then a signed link carries it through the login.

    Nobody need be logged in here, so wrong codes count against the client address.
    """
    now = clock.now() if now is None else now
    subject = f"ip:{ip}"
    locked = live.guess_locked_until(subject)
    if locked > now:
        return Outcome(Kind.REFUSED, session=session, error=_lock_message(locked, now), locked=True)
    if not session.require_code or not verification.code_is_valid(session.secret, code, now):
        live.count_guess(subject, now, limit=settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS)
        return Outcome(Kind.REFUSED, session=session, error=_("This QR code has expired."))
    browser = secrets.token_urlsafe(18)
    return Outcome(Kind.CONFIRM, session=session, link=_link(session, Source.QR, now, browser=browser), browser=browser)


def link_for_tap(*, student, session: live.LiveSession, now: float | None = None) -> Outcome:
    """A no-code session's "Check in" button: a link to the confirmation, for its students only."""
    now = clock.now() if now is None else now
    if session.require_code:
        return Outcome(Kind.NOT_FOUND, error=_("This session needs a code."))
    if not _may_join_one(student, session, remember=False):
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    return Outcome(Kind.CONFIRM, session=session, link=_link(session, Source.TAP, now, student=student))


def open_link(
    *, student, session: live.LiveSession, token: str, browser: str = "", now: float | None = None
) -> Outcome:
    """The confirmation page of a link: whether this student, in this browser, may use it (no writes)."""
    now = clock.now() if now is None else now
    _link_read, refused = _read_link(token, session, student, browser, now)
    if refused:
        return refused
    if not _may_join_one(student, session, remember=False):
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    return Outcome(Kind.CONFIRM, session=session, link=token)


def check_in_by_link(*, visitor: Visitor, session: live.LiveSession, token: str, now: float | None = None) -> Outcome:
    """Check in through a QR, tap or code link, once the student confirmed it."""
    now = clock.now() if now is None else now
    link, refused = _read_link(token, session, visitor.student, visitor.browser, now)
    if refused:
        return refused
    # One read answers both the enrolment rule and where this phone was used (not yet started
    # sessions included: record_check_in says "not started yet" rather than "not found").
    found = _joinable(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    if session.id not in {s.id for s in found.sessions}:
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    if link.browser_digest and not live.use_link(session, link.browser_digest, visitor.student.school_number):
        return Outcome(Kind.REFUSED, session=session, error=LINK_TAKEN)
    seen_in = list(found.device_used_in)
    return record_check_in(session=session, visitor=visitor, source=link.source, now=now, device_seen_in=seen_in)


def check_in_remote(*, visitor: Visitor, session: live.LiveSession, token: str, now: float | None = None) -> Outcome:
    """Check in through a hybrid session's remote link: "present (remote)", without the network and
    location checks (the student is elsewhere); the enrolment, device and photo checks apply as in the room."""
    now = clock.now() if now is None else now
    if not remote_link_valid(session=session, token=token):
        return Outcome(Kind.NOT_FOUND, error=_("This remote link is not valid."))
    found = _joinable(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    if session.id not in {s.id for s in found.sessions}:
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    seen_in = list(found.device_used_in)
    return record_check_in(session=session, visitor=visitor, source=Source.REMOTE, now=now, device_seen_in=seen_in)


def remote_link_valid(*, session: live.LiveSession, token: str) -> bool:
    return session.remote and secrets.compare_digest(str(token), verification.remote_token(session.secret))


# --- the typed code -----------------------------------------------------------


def check_in_with_code(*, visitor: Visitor, code: str, now: float | None = None) -> Outcome:
    """Find the session whose current code was typed and check in to it.

    A wrong or expired code never makes a record: it is a counted attempt, and
    after CHECKIN_MAX_WRONG_CODES of them the student is locked out of that session.
    """
    now = clock.now() if now is None else now
    fast = _check_in_with_code_fast(visitor, code, now)
    if fast is not None:
        return fast
    found = _joinable(visitor.student, now, remember=True, device=visitor.device)
    mine = StudentSessions(mine=[s for s in found.sessions if s.course_id])
    if found.locked_until > now:
        return Outcome(Kind.WRONG_CODE, error=_lock_message(found.locked_until, now), sessions=mine)
    candidates = [s for s in found.sessions if s.require_code]
    for session in candidates:
        if verification.code_is_valid(session.secret, code, now):
            if (session.location_radius_m and visitor.position is None) or (session.photo_check and not visitor.photo):
                link = _link(session, Source.CODE, now, student=visitor.student)
                return Outcome(Kind.CONFIRM, session=session, link=link)
            # The check-in script refuses a student locked out of this session.
            seen_in = list(found.device_used_in)
            return record_check_in(
                session=session, visitor=visitor, source=Source.CODE, now=now, device_seen_in=seen_in
            )
    if not candidates:
        error = _("None of your courses has a session taking codes right now.")
        return Outcome(Kind.WRONG_CODE, error=error, sessions=mine)
    # Count against the student's own courses' sessions; only without one against ad-hoc ones,
    # so a typo in one class does not lock them out of every ad-hoc session in the school.
    # Every wrong code also counts against the student across all sessions.
    counted = [s for s in candidates if s.course_id] or candidates
    tries = max(live.count_wrong_codes(counted, visitor.student.school_number))
    locked = live.count_guess(f"student:{visitor.student.school_number}", now, limit=settings.CHECKIN_GUESS_LIMIT)
    if locked > now:
        return Outcome(Kind.WRONG_CODE, error=_lock_message(locked, now), sessions=mine)
    limit = settings.CHECKIN_MAX_WRONG_CODES
    if tries >= limit:
        return Outcome(Kind.WRONG_CODE, error=LOCKED_OUT, sessions=mine)
    left = limit - tries
    error = ngettext(
        "That code is wrong or has expired. %(left)d try left.",
        "That code is wrong or has expired. %(left)d tries left.",
        left,
    ) % {"left": left}
    return Outcome(Kind.WRONG_CODE, error=error, sessions=mine)


_code_index: tuple[list | None, int, dict[str, list[live.LiveSession]]] = (None, 0, {})


def _sessions_by_code(sessions: list[live.LiveSession], now: float) -> dict[str, list[live.LiveSession]]:
    """The sessions each valid code opens, worked out once per snapshot and time step (not per check-in).

    The same two steps as ``verification.code_is_valid``: the current code and
    the previous one.  (A lookup is not constant-time as ``compare_digest`` is;
    guesses are counted and locked out long before timing could tell anything.)
    """
    global _code_index
    step = verification.current_step(now)
    snapshot, indexed_step, index = _code_index
    if snapshot is sessions and indexed_step == step:
        return index
    index = {}
    for session in sessions:
        if session.require_code:
            for code in {verification.code_for(session.secret, s) for s in (step, step - 1)}:
                index.setdefault(code, []).append(session)
    _code_index = (sessions, step, index)
    return index


def _check_in_with_code_fast(visitor: Visitor, code: str, now: float) -> Outcome | None:
    """The common case in one Redis round trip: a right code, typed by a student on the session's roster.

    The process's snapshot of the open sessions says whose code matches;
    one script checks the lock-out and the roster, flags a phone used in
    another open session and writes.  None (nothing written): the full path
    decides, with fresh reads (a wrong code, a session started since the
    snapshot, a student enrolled since the start, a location to ask for).
    """
    sessions = live.open_sessions_snapshot(now)
    matching = [
        s for s in _sessions_by_code(sessions, now).get(code.strip(), ()) if s.has_started(now) and s.is_open(now)
    ]
    if not matching or any((s.location_radius_m and visitor.position is None) or s.photo_check for s in matching):
        return None
    candidates = [live.Candidate(s, _new_check_in(s, visitor, Source.CODE, now), admission(s)) for s in matching]
    number, open_ids = visitor.student.school_number, [s.id for s in sessions]
    session, outcome, stored = live.check_in_by_code(candidates, number, visitor.device, now, open_ids=open_ids)
    if session is None:
        return None
    return _stored(session, outcome, stored)


# --- the write ----------------------------------------------------------------


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
        return Outcome(Kind.REFUSED, session=session, error=_("This session has not started yet."))
    if not session.is_open(now):
        return Outcome(Kind.REFUSED, session=session, error=_("This session is closed."))
    record = _new_check_in(session, visitor, source, now)
    if session.photo_check and record.status in ATTENDED:
        if not visitor.photo:
            return Outcome(Kind.REFUSED, session=session, error=PHOTO_NEEDED)
        return _stored(session, *_check_in_with_photo(session, record, visitor, now, device_seen_in))
    return _stored(session, *live.check_in(session, record, visitor.device, now, device_seen_in=device_seen_in))


def _check_in_with_photo(session: live.LiveSession, record: live.LiveRecord, visitor: Visitor, now, device_seen_in):
    """Store the selfie, write the record as pending and hand the photo to the worker.

    The record remembers what it becomes when the face matches (present or
    late, by the time of the check-in, not of the verification).
    """
    name = images.save(f"{retention.CHECKINS}/{session.id}", record.school_number, visitor.photo)
    record = replace(record, status=Status.PENDING, on_match=record.status, photo=name, photo_result="checking")
    outcome, stored = live.check_in(session, record, visitor.device, now, device_seen_in=device_seen_in)
    if outcome in ("ok", live.UNREPLICATED) and stored and stored.status == Status.PENDING:
        number = record.school_number
        async_task("attendance.tasks.verify_photo", session.id, number, name, task_name=f"photo-{session.id}-{number}")
    elif not (stored and stored.photo == name):
        images.delete(name)  # not written (already checked in, closed): nothing refers to it
    return outcome, stored


def _new_check_in(session: live.LiveSession, visitor: Visitor, source: str, now: float) -> live.LiveRecord:
    """The record a check-in writes: its status by the time, or rejected by the network and location checks."""
    if source == Source.REMOTE:  # elsewhere by design: no network nor location to check
        return new_record(visitor.student, status=Status.REMOTE, source=source, now=now)
    problems = {
        "network": verification.network_problem(session, visitor.ip),
        "location": verification.location_problem(session, visitor.position),
    }
    failed = {name: text for name, text in problems.items() if text}
    if failed:
        status, reason = Status.REJECTED, " ".join(failed.values())
    else:
        status, reason = _status_by_time(session, now), ""
    return new_record(visitor.student, status=status, source=source, now=now, reason=reason, flags=list(failed))


def _stored(session: live.LiveSession, outcome: str, stored: dict | None) -> Outcome:
    if outcome == live.UNREPLICATED:
        return Outcome(Kind.REFUSED, session=session, error=NOT_CONFIRMED)
    if outcome == "locked":
        return Outcome(Kind.REFUSED, session=session, error=LOCKED_OUT)
    if outcome in ("closed", "missing"):
        return Outcome(Kind.REFUSED, session=session, error=_("This session is closed."))
    return Outcome(Kind.CHECKED_IN, session=session, record=stored)
