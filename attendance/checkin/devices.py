"""The browser's cookies of the check-in: its device id, and the nonce of the QR link it opened."""

from __future__ import annotations

import secrets
from functools import wraps

from django.conf import settings

DEVICE_COOKIE = "attn_device"
DEVICE_COOKIE_AGE = 400 * 86400  # the longest browsers keep a cookie
LINK_COOKIE = "attn_link"


def _valid(device: str) -> bool:
    return 16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum()


def device_cookie(view):
    """Pass the view the browser's device id (a new one if it had none) and keep it in the cookie."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        device = request.COOKIES.get(DEVICE_COOKIE, "")
        issued = not _valid(device)
        if issued:
            device = secrets.token_urlsafe(24)
        response = view(request, *args, device=device, **kwargs)
        if issued:
            response.set_cookie(
                DEVICE_COOKIE,
                device,
                max_age=DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    return wrapper


def link_nonce(request) -> str:
    """The nonce of the QR link this browser opened last (empty: none)."""
    return request.COOKIES.get(LINK_COOKIE, "")[:64]


def keep_link_nonce(response, nonce: str):
    """Keep a QR link's nonce in the browser that opened it, for as long as the link lasts."""
    response.set_cookie(
        LINK_COOKIE,
        nonce,
        max_age=settings.CHECKIN_LINK_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
