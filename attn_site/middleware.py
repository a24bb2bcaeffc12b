import logging

from django.shortcuts import render
from django_redis.exceptions import ConnectionInterrupted

from attendance.live import UNAVAILABLE

logger = logging.getLogger("attendance")


class RedisUnavailableMiddleware:
    """Answer 503 with a "try again" page when Redis cannot be reached.

    It sits first in MIDDLEWARE so it also covers the cache-backed login
    session, which is read and saved by the middleware after it.
    """

    errors = (*UNAVAILABLE, ConnectionInterrupted)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except self.errors as exc:
            return self.unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, self.errors):
            return self.unavailable(request, exception)
        return None

    def unavailable(self, request, exc):
        logger.error("Redis unavailable: %s", exc)
        return render(request, "503.html", status=503)
