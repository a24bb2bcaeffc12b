"""gunicorn's access log without check-in secrets: codes and link tokens are cut out of paths.

Used as ``--logger-class attn_site.gunicorn_logging.RedactingLogger`` (``make run`` and the Dockerfile).
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# /c/<sid>/<code>/ (the QR code's target) and /checkin/<sid>/go/<token>/ (the signed link).
_SECRETS = [
    (re.compile(r"(/c/[^/\s?]+/)[^/\s?]+"), r"\1<code>"),
    (re.compile(r"(/checkin/[^/\s?]+/go/)[^/\s?]+"), r"\1<token>"),
]


def redact(text: str | None) -> str | None:
    """Return the text with check-in codes and link tokens replaced by placeholders."""
    if not text:
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{referer}i"):
            if name in atoms:
                atoms[name] = redact(atoms[name])
        return atoms
