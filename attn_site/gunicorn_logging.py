"""gunicorn's access log without the secrets in paths: codes, link tokens, remote and invitation links (``redaction``).

Used as ``--logger-class attn_site.gunicorn_logging.RedactingLogger`` (``make run`` and the Dockerfile).
"""

from __future__ import annotations

import os
import time

from gunicorn.glogging import Logger

from .redaction import redact

__all__ = ["RedactingLogger", "redact"]


class RedactingLogger(Logger):
    def __init__(self, cfg):
        # gunicorn's master logs before the app (and Django's TZ) is loaded: in UTC beside an access log
        # in the school's time. The school's zone for every line, as Django sets it for the workers.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")
        from django.conf import settings

        os.environ["TZ"] = settings.TIME_ZONE
        time.tzset()
        super().__init__(cfg)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{referer}i"):
            if name in atoms:
                atoms[name] = redact(atoms[name])
        return atoms
