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
from .admission import joinable_sessions, lock_message, may_join_one
from .outcomes import LINK_ELSEWHERE, LINK_EXPIRED, LINK_SALT, LINK_TAKEN, Kind, Outcome, Visitor
from .write import record_check_in


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


def signed_link(session: live.LiveSession, source: str, now: float, *, student=None, browser: str = "") -> str:
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
    elif not (
        browser and payload.get("b") and secrets.compare_digest(str(payload["b"]).encode(), _digest(browser).encode())
    ):
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
        return Outcome(Kind.REFUSED, session=session, error=lock_message(locked, now), locked=True)
    if not session.require_code or not proofs.code_is_valid(session.secret, code, now):
        live.count_guess(subject, now, limit=settings.CHECKIN_GUESS_LIMIT_PER_ADDRESS)
        return Outcome(Kind.REFUSED, session=session, error=_("This QR code has expired."))
    browser = secrets.token_urlsafe(18)
    return Outcome(
        Kind.CONFIRM, session=session, link=signed_link(session, Source.QR, now, browser=browser), browser=browser
    )


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
    found = joinable_sessions(visitor.student, now, remember=True, device=visitor.device, started_only=False)
    if session.id not in {s.id for s in found.sessions}:
        return Outcome(Kind.NOT_FOUND, error=_("You are not enrolled in this course."))
    seen_in = list(found.device_used_in)
    return record_check_in(session=session, visitor=visitor, source=Source.REMOTE, now=now, device_seen_in=seen_in)


def remote_link_valid(*, session: live.LiveSession, token: str) -> bool:
    # Bytes: compare_digest raises on non-ASCII text (a remote link with "é" in its token was a 500).
    expected = proofs.remote_token(session.secret).encode()
    return session.admits_remote and secrets.compare_digest(str(token).encode(), expected)
