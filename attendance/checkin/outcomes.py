"""What a check-in takes and gives back: the request's facts (``Visitor``), the ``Outcome`` each entry point
returns, a record as the student's pages show it, and the messages a student reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import live

LINK_SALT = "attendance.checkin-link"
LOCKED_OUT = _("Too many wrong codes for this session. Ask your teacher to add you.")
LINK_EXPIRED = _("This check-in link has expired. Type the code shown on the screen.")
LINK_ELSEWHERE = _(
    "This check-in link was opened in another browser. Scan the QR code in the room, or type the code on the screen."
)
LINK_TAKEN = _("Another student already checked in with this link. Scan the QR code or type the code yourself.")
NOT_CONFIRMED = _("Your check-in could not be confirmed yet: please try again in a moment.")
PHOTO_NEEDED = _("This session checks a photo of you: take a selfie to check in.")
CHALLENGE_GONE = _(
    "The live check has expired or was used already: take the two pictures again (look straight, then turn)."
)


def not_started(session: live.LiveSession) -> str:
    """A session opened ahead of its start takes no check-in before it (every path, and the script's own rule)."""
    starts = timezone.localtime(session.starts_dt)
    return gettext("%(session)s has not started yet: check in from %(time)s.") % {
        "session": session.title,
        "time": f"{starts:%H:%M}",
    }


@dataclass(frozen=True)
class Visitor:
    """What a check-in request tells about the student."""

    student: object
    ip: str
    device: str
    position: tuple[float, float] | None = None
    browser: str = ""  # the nonce the browser got when it opened a QR link (its cookie)
    photo: bytes | None = None  # the selfie of a photo-check session, already cleaned (photos.images.clean)
    turned: bytes | None = None  # the live selfie's second frame, head turned (None: a photo from a file)
    challenge: str = ""  # the id of the live challenge the page showed (``live.issue_challenge``)


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
    locked_out: set[str] = field(default_factory=set)  # sessions whose code the student may no longer type
    closed: str = ""  # why the student may type no code at all now ("": they may)

    def listed(self, sessions: list[live.LiveSession]) -> list[tuple[live.LiveSession, ShownRecord | None]]:
        """Each session with the student's record in it (status and time), or None."""
        return [(session, self.records.get(session.id)) for session in sessions]


class Kind(Enum):
    CHECKED_IN = "checked_in"  # a record was stored (or the student already had one)
    CONFIRM = "confirm"  # go on to the confirmation page with ``link``
    WRONG_CODE = "wrong_code"  # the typed code matched no session: ``error`` belongs on the form
    REFUSED = "refused"  # no record: ``error`` says why and what to do
    NOT_FOUND = "not_found"  # the student may not see this session at all
    RETAKE = "retake"  # no record: the live selfie's challenge is gone, the page asks for new pictures


@dataclass
class Outcome:
    kind: Kind
    session: live.LiveSession | None = None
    record: live.LiveRecord | None = None
    error: str = ""
    link: str = ""
    sessions: StudentSessions | None = None  # with a wrong code: the page lists them again
    browser: str = ""  # a new QR link's nonce: the view keeps it in the browser


@dataclass
class CheckInView:
    title: str
    record: ShownRecord
    pending: bool
