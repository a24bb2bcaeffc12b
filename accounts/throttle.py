"""Password guessing slowed per account, never per address: a correct password is not refused for what
others did behind the same address (a campus NAT).

Wrong passwords count against the account, from any address, with the growing lock-out of wrong codes
(``attendance.live.count_guess``): LOGIN_FAILURE_LIMIT of them within LOGIN_FAILURE_WINDOW seconds pause
logins to that account for LOGIN_SLOWDOWN_SECONDS, doubled at each further pause up to
LOGIN_SLOWDOWN_MAX_SECONDS.  A browser that logged in to the account before (a signed cookie set at the
login) is not paused; its own wrong passwords are counted too, and once it makes LOGIN_FAILURE_LIMIT of them
it is paused like any other browser.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from attendance import clock, live

KNOWN_COOKIE = "attn_known"
KNOWN_SALT = "accounts.known-browser"
KNOWN_MAX = 8  # accounts one browser remembers (a shared PC)


class LoginSlowed(PermissionDenied):
    """The account is paused for this browser: the password was not checked."""


def _subject(username: str) -> str:
    return f"login:{username}"


def _known(request) -> dict[str, str]:
    """The accounts this browser logged in to before: school number → this browser's id for it."""
    try:
        known = signing.loads(
            request.COOKIES.get(KNOWN_COOKIE, ""), salt=KNOWN_SALT, max_age=settings.LOGIN_KNOWN_BROWSER_DAYS * 86400
        )
    except signing.BadSignature:
        return {}
    return {str(k): str(v) for k, v in known.items()} if isinstance(known, dict) else {}


def paused_until(request, username: str, now: float) -> float:
    """When logging in to ``username`` from this browser may go on (0: now)."""
    subjects = [_subject(username)]
    browser = _known(request).get(username)
    if browser:
        subjects.append(f"{_subject(username)}:{browser}")
    account, *own = live.guesses_locked_until(subjects)
    if own:
        return own[0]  # a known browser waits only for its own wrong passwords
    return account


def tries_left(username: str, now: float) -> int:
    """Wrong passwords left before logging in to the account is paused."""
    return settings.LOGIN_FAILURE_LIMIT - live.guesses_so_far(_subject(username), now)


def count_failure(request, username: str, now: float) -> float:
    """Count a wrong password for the account (and this browser, if known); return the account's pause end."""
    rule = {
        "limit": settings.LOGIN_FAILURE_LIMIT,
        "window": settings.LOGIN_FAILURE_WINDOW,
        "lock_seconds": settings.LOGIN_SLOWDOWN_SECONDS,
        "lock_max_seconds": settings.LOGIN_SLOWDOWN_MAX_SECONDS,
    }
    browser = _known(request).get(username)
    if browser:
        live.count_guess(f"{_subject(username)}:{browser}", now, **rule)
    return live.count_guess(_subject(username), now, **rule)


def remember_browser(request, response, username: str) -> None:
    """Mark this browser as one that logged in to ``username`` (a signed, long-lived cookie)."""
    known = _known(request)
    browser = known.pop(username, None) or secrets.token_urlsafe(12)
    kept = dict(list(known.items())[-(KNOWN_MAX - 1) :])
    kept[username] = browser
    response.set_cookie(
        KNOWN_COOKIE,
        signing.dumps(kept, salt=KNOWN_SALT, compress=True),
        max_age=settings.LOGIN_KNOWN_BROWSER_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class SlowGuessingBackend:
    """First among the backends: refuses a paused login before any password is checked, on every password
    form (the login page and the admin's)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        now = clock.now()
        if request is not None and username and paused_until(request, username, now) > now:
            request._login_paused = True  # refused unchecked: not a wrong password to count
            raise LoginSlowed
        return None

    def get_user(self, user_id):
        # The first backend is the one a session made by ``force_login`` without a backend names.
        return ModelBackend().get_user(user_id)


@receiver(user_login_failed)
def _count_wrong_password(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if request is None or not username or getattr(request, "_login_paused", False):
        return
    count_failure(request, username, clock.now())
