"""A record's reason and flags in the reader's language.

The system's own reasons are stored in English (marked with ``gettext_noop`` where they are made), so a record
reads the same whoever wrote it and in whatever language the worker ran; pages translate them when they show
them. A teacher's typed reason has no translation and shows as typed. A stored reason may hold several of the
system's sentences (a rejected check-in that failed two checks), and one carries numbers (the distance).
"""

import re

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .clock import to_datetime

# The reasons with numbers in them: (pattern of the stored English, the msgid it was formatted from).
DISTANCE = gettext_noop("You are %(metres)s m from the classroom (allowed: %(radius)s m).")
MEETING = gettext_noop("In the online meeting for %(minutes)s of %(length)s minutes.")
_PATTERNS = [
    (re.compile(r"^You are (?P<metres>[\d,.]+) m from the classroom \(allowed: (?P<radius>\d+) m\)\.$"), DISTANCE),
    (re.compile(r"^In the online meeting for (?P<minutes>\d+) of (?P<length>\d+) minutes\.$"), MEETING),
]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def distance_reason(metres: float, radius: int) -> str:
    """The location check's reason, stored in English."""
    return DISTANCE % {"metres": f"{metres:,.0f}", "radius": radius}


def meeting_reason(minutes: int, length: int) -> str:
    """A meeting report's reason, stored in English."""
    return MEETING % {"minutes": minutes, "length": length}


def _sentence(text: str) -> str:
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _PATTERNS:
        match = pattern.match(text)
        if match:
            return gettext(msgid) % {name: _number(value) for name, value in match.groupdict().items()}
    return text


def _number(stored: str) -> str:
    """A whole number stored in English ("4,989") as the reader's language writes it ("4.989" in Turkish)."""
    return number_format(int(stored.replace(",", "").split(".")[0]), force_grouping=True)


def translate(reason: str) -> str:
    if not reason:
        return ""
    whole = gettext(reason)
    if whole != reason:
        return whole
    return " ".join(_sentence(part) for part in _SENTENCE_END.split(reason))


# What each flag means, as a teacher says it.
FLAG_WORDS = {
    "network": _("outside the allowed network"),
    "location": _("too far from the room"),
    "no_location": _("location not shared"),
    "shared_device": _("phone used for another student"),
    "device_elsewhere": _("phone used in another open session"),
    "retried": _("checked in again after a rejection"),
    "photo_mismatch": _("photo did not match"),
    "photo_no_face": _("no face in photo"),
    "photo_several_faces": _("several faces in photo"),
    "photo_unreadable": _("photo unreadable"),
    "photo_no_reference": _("no reference photo yet"),
    "photo_other_reference": _("another student's reference face"),
    "no_live_check": _("no live check (a photo from a file)"),
    "live_turned": _("turned the head as asked"),
    "live_no_turn": _("live check: the head did not turn"),
    "live_wrong_way": _("live check: turned the wrong way"),
    "live_other_person": _("live check: two different people"),
    "live_turned_face": _("live check: no face when turned"),
    "live_late": _("live check: sent too late"),
    "spot_check": _("drawn for a spot check"),
    "spot_check_passed": _("here at a spot check"),
    "spot_check_failed": _("not in the room at a spot check"),
}

# The spot check's marks on a record: drawn (waiting for the teacher's answer), then passed or failed.
SPOT_CHECK_DRAWN, SPOT_CHECK_PASSED, SPOT_CHECK_FAILED = "spot_check", "spot_check_passed", "spot_check_failed"
SPOT_CHECK_FLAGS = frozenset({SPOT_CHECK_DRAWN, SPOT_CHECK_PASSED, SPOT_CHECK_FAILED})
# Flags that say nothing against the check-in: the roster shows them without the warning mark.
QUIET_FLAGS = frozenset({SPOT_CHECK_DRAWN, SPOT_CHECK_PASSED, "live_turned"})


# "same_face:S1234": the photo check found this face on another student's selfie or reference too.
SAME_FACE_PREFIX = "same_face:"


def flag_words(flags) -> list[str]:
    """Flags as a teacher says them, in the reader's language."""
    return [_flag_word(flag) for flag in flags]


def _flag_word(flag: str) -> str:
    if flag.startswith(SAME_FACE_PREFIX):
        return gettext("same face as %(number)s") % {"number": flag.removeprefix(SAME_FACE_PREFIX)}
    return str(FLAG_WORDS.get(flag, flag.replace("_", " ")))


def earlier_attempts(entries) -> list[str]:
    """The rejected attempts a later check-in replaced, one line each in the reader's language:
    "Rejected at 09:04: You are 1.634 m from the classroom … (too far from the room)"."""
    lines = []
    for entry in entries or ():
        at = to_datetime(entry.get("at"))
        when = timezone.localtime(at).strftime("%H:%M") if at else "?"
        reason = translate(entry.get("reason", ""))
        line = gettext("Rejected at %(time)s: %(reason)s") % {"time": when, "reason": reason}
        words = flag_words(entry.get("flags") or ())
        lines.append(f"{line} ({', '.join(words)})" if words else line)
    return lines
