"""The live selfie: two frames from the camera, looking straight and then turned the way the server asked.

The server draws a direction when the photo step is shown (``live.issue_challenge``, kept in Redis per
student and session, one use, LIVE_CHALLENGE_SECONDS); the check-in takes it back once
(``live.take_challenge``) and the worker judges the two frames here: one face in each, the same person,
and the head turned the asked way by at least PHOTO_TURN_MIN (``faces.yaw``), sent within the
challenge's time.  A still (a printed photo, a picture on a second screen) shows no turn.  A selfie chosen
from a file (the fallback) has no live check and is flagged so for the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from . import faces

LEFT, RIGHT = "left", "right"
DIRECTIONS = (LEFT, RIGHT)

TURNED = "turned"  # the live check passed
NO_TURN = "no_turn"
WRONG_WAY = "wrong_way"
OTHER_PERSON = "other_person"
TURNED_FACE = "turned_face"  # no single face in the turned frame
LATE = "late"
NO_LIVE_CHECK = "no_live_check"  # the fallback: a photo chosen from a file
FAILED = (NO_TURN, WRONG_WAY, OTHER_PERSON, TURNED_FACE, LATE)

# What the student and the teacher read when the live check failed (the record's reason, stored in English).
REASONS = {
    NO_TURN: gettext_noop(
        "The head did not turn between the two pictures: a still photo does not pass the live check."
    ),
    WRONG_WAY: gettext_noop("The head turned the other way than the one asked for."),
    OTHER_PERSON: gettext_noop("The two pictures of the live check show different people."),
    TURNED_FACE: gettext_noop("The second picture of the live check does not show one face."),
    LATE: gettext_noop("The live check's pictures came too late after it was asked for."),
}

# The flag each result puts on the record, for the teacher (``reasons.FLAG_WORDS`` says them).
FLAGS = {result: f"live_{result}" for result in (*FAILED, TURNED)} | {NO_LIVE_CHECK: NO_LIVE_CHECK}

ASKED = {LEFT: _("asked to turn left"), RIGHT: _("asked to turn right")}
RESULT_TEXT = {
    "checking": _("checking"),
    TURNED: _("turned as asked"),
    NO_TURN: _("did not turn"),
    WRONG_WAY: _("turned the wrong way"),
    OTHER_PERSON: _("two different people"),
    TURNED_FACE: _("no face when turned"),
    LATE: _("too late"),
    "timeout": _("not verified in time"),
}


@dataclass(frozen=True)
class LiveVerdict:
    result: str  # TURNED or one of FAILED
    turn: float | None = None  # the yaw's change from the first frame to the second (+ towards the left)


def judge(straight: faces.Face, turned: faces.Face, direction: str, *, seconds: float | None) -> LiveVerdict:
    """Judge the two frames of a live selfie against the asked direction; ``seconds`` from the challenge to
    the check-in (None: unknown, judged late)."""
    if seconds is None or not 0 <= seconds <= settings.LIVE_CHALLENGE_SECONDS:
        return LiveVerdict(LATE)
    if straight.found != faces.ONE or turned.found != faces.ONE:
        return LiveVerdict(TURNED_FACE)
    if faces.distance(straight.encoding, turned.encoding) > settings.PHOTO_TOLERANCE:
        return LiveVerdict(OTHER_PERSON)
    turn = round(turned.yaw - straight.yaw, 4)
    asked = turn if direction == LEFT else -turn
    if asked >= settings.PHOTO_TURN_MIN:
        return LiveVerdict(TURNED, turn)
    if -asked >= settings.PHOTO_TURN_MIN:
        return LiveVerdict(WRONG_WAY, turn)
    return LiveVerdict(NO_TURN, turn)


def live_text(challenge: str, result: str) -> str:
    """What the teacher reads about the live check: "asked to turn left: turned as asked", or "no live check"."""
    if result == NO_LIVE_CHECK:
        return str(_("no live check (a photo from a file)"))
    if challenge not in ASKED:
        return ""
    asked = str(ASKED[challenge])
    return f"{asked}: {RESULT_TEXT[result]}" if result in RESULT_TEXT else asked
