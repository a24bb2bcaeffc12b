"""Logging filters: a refused request is one line, not a traceback."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Django logs a 403 (PermissionDenied) with its traceback; a client's 4xx is not our error: keep the line only."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True
