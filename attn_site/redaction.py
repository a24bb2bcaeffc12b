"""Secrets that travel in URL paths, cut out before a path reaches a log.

Check-in codes and link tokens (valid for minutes), remote links (valid for a session) and invitation
links (valid INVITATION_DAYS, and they set a password). gunicorn's access log
(``gunicorn_logging.RedactingLogger``) and Django's request log (``log_filters.RedactSecrets``) use
``redact``; deploy/nginx.conf's ``map`` cuts the same paths out of the proxy's log.
"""

from __future__ import annotations

import re

_PART = r"[^/\s?\"']+"
_SECRETS = [
    (re.compile(rf"(/c/{_PART}/){_PART}"), r"\1<code>"),  # the QR code's target
    (re.compile(rf"(/checkin/{_PART}/go/){_PART}"), r"\1<token>"),  # the signed confirmation link
    (re.compile(rf"(/remote/{_PART}/){_PART}"), r"\1<token>"),  # a hybrid session's remote link
    (re.compile(rf"(/invitation/){_PART}/{_PART}"), r"\1<uid>/<token>"),  # an invitation to set a password
    # A typed code carried through the login or back to the form (?code=…, or inside ?next=…%3Fcode%3D…).
    (re.compile(r"((?:[?&]|%3F|%26)code(?:=|%3D))\d+", re.IGNORECASE), r"\1<code>"),
]


def redact(text: str | None) -> str | None:
    """Return the text with check-in codes, link tokens and invitation tokens replaced by placeholders."""
    if not text:
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text
