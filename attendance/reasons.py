"""A record's reason in the reader's language.

The system's own reasons are stored in English (marked with ``gettext_noop`` where they are made), so a record
reads the same whoever wrote it and in whatever language the worker ran; pages translate them when they show
them. A teacher's typed reason has no translation and shows as typed. A stored reason may hold several of the
system's sentences (a rejected check-in that failed two checks), and one carries numbers (the distance).
"""

import re

from django.utils.translation import gettext, gettext_noop

# The reasons with numbers in them: (pattern of the stored English, the msgid it was formatted from).
DISTANCE = gettext_noop("You are %(metres)s m from the classroom (allowed: %(radius)s m).")
_PATTERNS = [
    (re.compile(r"^You are (?P<metres>[\d,.]+) m from the classroom \(allowed: (?P<radius>\d+) m\)\.$"), DISTANCE)
]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def distance_reason(metres: float, radius: int) -> str:
    """The location check's reason, stored in English."""
    return DISTANCE % {"metres": f"{metres:,.0f}", "radius": radius}


def _sentence(text: str) -> str:
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _PATTERNS:
        match = pattern.match(text)
        if match:
            return gettext(msgid) % match.groupdict()
    return text


def translate(reason: str) -> str:
    if not reason:
        return ""
    whole = gettext(reason)
    if whole != reason:
        return whole
    return " ".join(_sentence(part) for part in _SENTENCE_END.split(reason))
