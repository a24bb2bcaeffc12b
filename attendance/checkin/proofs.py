"""Check-in verification: rotating codes, network, location and the client address."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets

from django.conf import settings
from django.utils.translation import gettext_noop

from .. import reasons

CODE_DIGITS = 6
EARTH_RADIUS_M = 6_371_000


def new_secret() -> str:
    return secrets.token_hex(16)


def remote_token(secret: str) -> str:
    """The hybrid session's remote link token: fixed for the session, known only to its teacher's page."""
    return hmac.new(secret.encode(), b"remote attendance", hashlib.sha256).hexdigest()[:24]


def current_step(now: float) -> int:
    return int(now // settings.CODE_STEP_SECONDS)


def code_for(secret: str, step: int) -> str:
    """Return the code of one time step (HOTP-like truncation of an HMAC)."""
    digest = hmac.new(secret.encode(), step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def code_is_valid(secret: str, code: str, now: float) -> bool:
    """Accept the current step's code and the previous one's."""
    step = current_step(now)
    code = (code or "").strip()
    # compare_digest raises on non-ASCII text, and \d also matches other scripts' digits.
    if not (code.isascii() and code.isdigit()):
        return False
    return any(hmac.compare_digest(code_for(secret, s), code) for s in (step, step - 1))


def seconds_left_in_step(now: float) -> int:
    step = settings.CODE_STEP_SECONDS
    return max(1, int(step - (now % step)))


def address_group(ip: str) -> str:
    """The client an address stands for when guesses are counted: an IPv6 address by its /64 (one home or
    phone is given a whole /64 to pick from), any other as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def network_problem(session, ip: str) -> str | None:
    """Return why the address fails the session's network check, or None."""
    if session.network_mode == "off" or (session.network_mode == "same" and ip and ip == session.teacher_ip):
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return gettext_noop("Your network address could not be read.")
    if session.network_mode == "same":
        if ip != session.teacher_ip:
            return gettext_noop("You are not on the classroom network (your address differs from the teacher's).")
        return None
    for network in session.allowed_networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return None
        except ValueError:
            continue
    return gettext_noop("You are not on one of the course's allowed networks.")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def location_problem(session, position: tuple[float, float] | None) -> str | None:
    """Return why the position fails the session's location check, or None."""
    if not session.location_radius_m or session.latitude is None:
        return None
    if position is None:
        return gettext_noop("Your location was not shared, and this session asks for it.")
    metres = distance_m(session.latitude, session.longitude, *position)
    if metres > session.location_radius_m:
        return reasons.distance_reason(metres, session.location_radius_m)
    return None
