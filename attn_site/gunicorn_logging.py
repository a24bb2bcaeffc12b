"""gunicorn's access log without the secrets in paths: codes, link tokens, remote and invitation links (``redaction``).

Used as ``--logger-class attn_site.gunicorn_logging.RedactingLogger`` (``make run`` and the Dockerfile).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .redaction import redact

__all__ = ["RedactingLogger", "redact"]


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{referer}i"):
            if name in atoms:
                atoms[name] = redact(atoms[name])
        return atoms
