"""Logging filters: a refused request is one line, not a traceback; no secret of a path in a line; one mail per
error, not per request."""

import hashlib
import logging
import time
import traceback

from .redaction import redact


class ClientErrorsWithoutTraceback(logging.Filter):
    """Django logs a 403 (PermissionDenied) with its traceback; a client's 4xx is not our error: keep the line only."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True


class RedactSecrets(logging.Filter):
    """Cut codes and link tokens out of the paths a log line names (Django's "Not Found: /remote/…/<token>/")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


class OneMailPerError(logging.Filter):
    """Let one mail through per distinct error every ERROR_MAIL_MINUTES (on the mail_admins handler).

    An outage answers every request with the same error: without this each one
    would mail the administrators.  The count is kept in the cache, so every
    process and node shares it; while the cache is down too, each process keeps
    its own.
    """

    def __init__(self):
        super().__init__()
        self._sent: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        from django.conf import settings
        from django.core.cache import cache

        key, window = error_key(record), settings.ERROR_MAIL_MINUTES * 60
        try:
            return cache.add(f"error-mail:{key}", 1, window)
        except Exception:  # the cache is down as well: this process decides alone
            now = time.monotonic()
            if now - self._sent.get(key, -window) < window:
                return False
            self._sent[key] = now
            return True


def error_key(record: logging.LogRecord) -> str:
    """What makes two log records the same error: the logger, the message before its arguments (not the
    path of the request), the status, and the exception's type and the line that raised it."""
    parts = [record.name, str(record.msg), str(getattr(record, "status_code", ""))]
    if record.exc_info and record.exc_info[1] is not None:
        exc, raised_at = record.exc_info[1], traceback.extract_tb(record.exc_info[2])[-1:]
        parts += [type(exc).__qualname__, *(f"{frame.filename}:{frame.lineno}" for frame in raised_at)]
    return hashlib.sha1("\x00".join(parts).encode(), usedforsecurity=False).hexdigest()
