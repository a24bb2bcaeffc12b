"""The device cookie: the one place that reads a phone's device id and issues a new one."""

from __future__ import annotations

import secrets
from functools import wraps

from django.conf import settings

DEVICE_COOKIE = "attn_device"
DEVICE_COOKIE_AGE = 400 * 86400  # the longest browsers keep a cookie


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
