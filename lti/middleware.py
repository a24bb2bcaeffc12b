"""Pages of a session launched from an LMS may be shown in that LMS's frame, and only there.

A launch notes its platform's origins in the login session. Every response to that session then allows
those origins (and this site) as frame ancestors instead of none, drops X-Frame-Options, and, over HTTPS,
sends the login session's and CSRF cookies with SameSite=None (a browser keeps no other cookie set inside a
third-party frame). Every other session keeps the site's default: no framing, SameSite=Lax.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)
FRAME_ANCESTORS = "lti_frame_ancestors"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$")


def origin(url: str) -> str:
    """The origin of a URL, or "" when it is not a plain http(s) origin (nothing that could bend the CSP)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc or ""):
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def frame_origins(*urls: str) -> list[str]:
    found = [origin(url) for url in (*urls, *settings.LTI_FRAME_ANCESTORS)]
    return sorted({o for o in found if o})


class LmsFrameMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            origins = request.session.get(FRAME_ANCESTORS) if hasattr(request, "session") else None
        except Exception:  # the login sessions' Redis may be down: the page keeps the default
            logger.warning("LMS frame: the login session could not be read")
            origins = None
        if origins:
            self._allow_frame(request, response, origins)
        return response

    @staticmethod
    def _allow_frame(request, response, origins: list[str]) -> None:
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        replace = dict(getattr(response, "_csp_replace", None) or {})
        replace["frame-ancestors"] = ["'self'", *origins]
        response._csp_replace = replace
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
