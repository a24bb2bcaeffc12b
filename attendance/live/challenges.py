"""The live selfie's challenge: the direction one student is asked to turn the head, used once.

Drawn at random when the photo step is shown and kept LIVE_CHALLENGE_SECONDS; showing the step again
while it lives shows the same direction (reloading does not draw again until it expires).  The check-in
takes it back with GETDEL, so a challenge checks one pair of pictures and no more.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from django.conf import settings

from .keys import challenge_key
from .topology import topology

DIRECTIONS = ("left", "right")


@dataclass(frozen=True)
class Challenge:
    id: str
    direction: str  # "left" or "right": the student's own left or right
    issued_at: float


def issue_challenge(sid: str, school_number: str, now: float) -> Challenge:
    """The student's live challenge in the session: the one still standing, or a new one."""
    fresh = Challenge(secrets.token_urlsafe(12), secrets.choice(DIRECTIONS), now)
    key, client = challenge_key(sid, school_number), topology().client()
    if client.set(key, json.dumps(asdict(fresh)), nx=True, ex=settings.LIVE_CHALLENGE_SECONDS):
        return fresh
    standing = _parse(client.get(key))
    if standing is None:  # expired between the two calls
        client.set(key, json.dumps(asdict(fresh)), ex=settings.LIVE_CHALLENGE_SECONDS)
    return standing or fresh


def take_challenge(sid: str, school_number: str, challenge_id: str) -> Challenge | None:
    """Use the student's challenge: it if ``challenge_id`` names it and it has not expired, else None.

    Either way it is gone: a second use of the same challenge finds nothing.
    """
    challenge = _parse(topology().client().getdel(challenge_key(sid, school_number)))
    if challenge is None or not challenge_id or not secrets.compare_digest(challenge.id, challenge_id):
        return None
    return challenge


def _parse(raw) -> Challenge | None:
    try:
        return Challenge(**json.loads(raw)) if raw else None
    except (TypeError, ValueError):
        return None
