"""Links to the confirmation page: the QR code's target (through the login), the tap of a no-code session,
the typed code that still needs a position or a selfie; and the hybrid session's remote link.

A link is signed and short-lived, and bound to a student or, before the login, to one browser.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from .. import clock, live
from ..models import Source
from . import proofs
from .admission import count_wrong_code, joinable_sessions, lock_message, may_join_one, wrong_code_error
from .outcomes import LINK_ELSEWHERE, LINK_EXPIRED, LINK_SALT, LINK_TAKEN, Kind, Outcome, Visitor
from .write import record_check_in

QR_EXPIRED = _("This QR code has expired.")
QR_WRONG = _("The code of this QR link was wrong or had expired. Type the code shown on the screen.")


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


def signed_link(
    session: live.LiveSession, source: str, now: float, *, student=None, browser: str = "", code: str | None = None
) -> str:
    """A signed link to the confirmation, bound to a student or (before the login) to a browser.

    The browser binding holds only a digest of the nonce kept in that browser's
    cookie: a forwarded link arrives without the cookie, and the digest does
    not give the nonce away.  ``code``: a QR code not judged yet (the
    confirmation judges it, as of ``now``, against the student's own limits).
    """
    payload = {"sid": session.id, "src": source, "at": int(now)}
    if student is not None:
        payload["u"] = student.pk
    if browser:
        payload["b"] = _digest(browser)
    if code is not None:
        payload["c"] = code[:16]
    return signing.dumps(payload, salt=LINK_SALT, compress=True)


@dataclass
class _Link:
    source: str
    browser_digest: str
    at: int
    code: str | None  # a QR code still to judge


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
    elif not (
        browser and payload.get("b") and secrets.compare_digest(str(payload["b"]).encode(), _digest(browser).encode())
    ):
        return None, Outcome(Kind.REFUSED, error=LINK_ELSEWHERE)
    source = payload.get("src")
    source = source if source in (Source.QR, Source.TAP, Source.CODE) else Source.QR
    code = payload.get("c")
    code = str(code) if code is not None else None
    return _Link(source=source, browser_digest=str(payload.get("b", "")), at=at, code=code), None


def link_for_qr(*, session: live.LiveSession, code: str, ip: str, now: float | None = None) -> Outcome:
    """The QR code's target: the code is checked now, then a signed link carries it through the login.

    Nobody need be logged in here, so wrong codes count against the client address in this session (an IPv6
    address by its /64) and against the session.  While either is locked out the code is not judged here:
    the link carries it through the login, and the confirmation judges it against the student's own
    limits.  So a guesser learns nothing more without an account, and a classmate's right code gets through.
    """
    now = clock.now() if now is None else now
    subjects = [f"qr:{session.id}:{proofs.address_group(ip)}", f"qr:{session.id}"]
    browser = secrets.token_urlsafe(18)
    if session.require_code and max(live.guesses_locked_until(subjects)) > now:
        link = signed_link(session, Source.QR, now, browser=browser, code=code)
        return Outcome(Kind.CONFIRM, session=session, link=link, browser=browser)
    if not session.require_code or not proofs.code_is_valid(session.secret, code, now):
        _count_wrong_qr_code(session, subjects, now)
        return Outcome(Kind.REFUSED, session=session, error=QR_EXPIRED)
    return Outcome(
        Kind.CONFIRM, session=session, link=signed_link(session, Source.QR, now, browser=browser), browser=browser
    )


def _count_wrong_qr_code(session: live.LiveSession, subjects: list[str], now: float) -> None:
    """Count a wrong QR code against the address in this session (the growing lock-out) and against the
    session (after CHECKIN_QR_GUESS_LIMIT_PER_SESSION, for the rest of its life)."""
    per_address, per_session = subjects
    live.count_guess(per_address, now, limit=settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS)
    rest = max(60, int(session.expire_at - now))
    limit = settings.CHECKIN_QR_GUESS_LIMIT_PER_SESSION
    live.count_guess(per_session, now, limit=limit, window=rest, lock_seconds=rest, lock_max_seconds=rest)


def link_for_tap(*, student, session: live.LiveSession, now: float | None = None) -> Outcome:
    """A no-code session's "Check in" button: a link to the confirmation, for its students only."""
    now = clock.now() if now is None else now
    if session.require_code:
        return Outcome(Kind.NOT_FOUND, error=_("This session needs a code."))
    if not may_join_one(student, session, remember=False):
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    return Outcome(Kind.CONFIRM, session=session, link=signed_link(session, Source.TAP, now, student=student))


def open_link(
    *, student, session: live.LiveSession, token: str, browser: str = "", now: float | None = None
) -> Outcome:
    """The confirmation page of a link: whether this student, in this browser, may use it (no writes)."""
    now = clock.now() if now is None else now
    _link_read, refused = _read_link(token, session, student, browser, now)
    if refused:
        return refused
    if not may_join_one(student, session, remember=False):
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
    found = joinable_sessions(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    if session.id not in {s.id for s in found.sessions}:
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    if found.locked_until > now:
        return Outcome(Kind.REFUSED, session=session, error=lock_message(found.locked_until, now))
    if link.code is not None and not proofs.code_is_valid(session.secret, link.code, link.at):
        _tries, locked = count_wrong_code(visitor.student, [session], now)
        return Outcome(Kind.REFUSED, session=session, error=lock_message(locked, now) if locked > now else QR_WRONG)
    if link.browser_digest and not live.use_link(session, link.browser_digest, visitor.student.school_number):
        return Outcome(Kind.REFUSED, session=session, error=LINK_TAKEN)
    seen_in = list(found.device_used_in)
    return record_check_in(session=session, visitor=visitor, source=link.source, now=now, device_seen_in=seen_in)


def check_in_remote(
    *, visitor: Visitor, session: live.LiveSession, token: str, code: str, now: float | None = None
) -> Outcome:
    """Check in through a hybrid session's remote link with the code the teacher's shared screen shows:
    "present (remote)", without the network and location checks (the student is elsewhere); the enrolment,
    wrong-code, device and photo checks apply as in the room.  The link alone checks nobody in: forwarded
    outside the call, it is worth nothing without the screen."""
    now = clock.now() if now is None else now
    if not remote_link_valid(session=session, token=token):
        return Outcome(Kind.NOT_FOUND, error=_("This remote link is not valid."))
    found = joinable_sessions(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    if session.id not in {s.id for s in found.sessions}:
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    if found.locked_until > now:
        return Outcome(Kind.REFUSED, session=session, error=lock_message(found.locked_until, now))
    if session.has_started(now) and not proofs.code_is_valid(session.secret, code, now):
        return Outcome(Kind.WRONG_CODE, session=session, error=wrong_code_error(visitor.student, [session], now))
    seen_in = list(found.device_used_in)
    return record_check_in(session=session, visitor=visitor, source=Source.REMOTE, now=now, device_seen_in=seen_in)


def remote_link_valid(*, session: live.LiveSession, token: str) -> bool:
    # Bytes: compare_digest raises on non-ASCII text (a remote link with "é" in its token was a 500).
    expected = proofs.remote_token(session.secret).encode()
    return session.admits_remote and secrets.compare_digest(str(token).encode(), expected)
