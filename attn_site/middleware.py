import logging

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from attendance.live import is_unavailable

from .htmx import sent_by_htmx

logger = logging.getLogger("attendance")


class HealthProbeMiddleware:
    """Answer the container's health probes before host checks and the HTTPS redirect.

    The probe calls http://127.0.0.1:8000/healthz from inside the container: not
    an allowed host, and not HTTPS.  Only these two read-only JSON paths skip
    those checks; every page for people still gets both.
    """

    PATHS = ("/healthz", "/healthz/sweep")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in self.PATHS and request.method in ("GET", "HEAD"):
            from adminpanel import views

            return views.healthz(request) if request.path_info == "/healthz" else views.healthz_sweep(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy header, left off the responses no browser applies it to.

    A redirect's body is never rendered, and what htmx fetches is swapped into a page that came with its
    own policy (a fetched response's header is ignored).  django-csp builds the policy for them anyway,
    twice (the policy and the report-only one), before it looks at an exemption: a tenth of what a
    check-in paid beyond the floor, and of every poll of the live roster.
    """

    def process_response(self, request, response):
        if response.status_code in REDIRECTS or sent_by_htmx(request):
            return response
        return super().process_response(request, response)


REDIRECTS = frozenset((301, 302, 303, 307, 308))


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header (Django has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class PrivatePagesMiddleware:
    """``Cache-Control: no-store, private`` on every response to a logged-in user.

    Their pages hold names, records, remote links and CSRF tokens: no shared
    proxy may keep them, nor the browser's back button after a logout on a
    shared PC.  Static files (whitenoise) and the health probes answer before
    this middleware and keep their own headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 500 and "no-store" not in response.get("Cache-Control", "") and _logged_in(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _logged_in(request) -> bool:
    """Whether the request came from a logged-in user; False when the login session cannot be read (an outage:
    the page is the 503 page, or an anonymous one that never needed the session)."""
    try:
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
    except Exception as exc:
        if not ServiceUnavailableMiddleware.is_down(exc):
            raise
        return False


class ServiceUnavailableMiddleware:
    """Answer 503 with a "try again" page when Redis or PostgreSQL cannot be reached.

    It sits first in MIDDLEWARE so it also covers the cache-backed login
    session, which is read and saved by the middleware after it.  An outage is
    not a bug: the page says to try again, nothing is half-written (a check-in
    goes to Redis in one script, a database write in one transaction).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except Exception as exc:
            if not self.is_down(exc):
                raise
            return self.unavailable(request, exc)

    def process_exception(self, request, exception):
        if self.is_down(exception):
            return self.unavailable(request, exception)
        return None

    @classmethod
    def is_down(cls, exc: BaseException) -> bool:
        return cls.is_redis_down(exc) or cls.is_database_down(exc)

    @staticmethod
    def is_redis_down(exc: BaseException) -> bool:
        # The cache's errors are redis-py's too: django-redis wraps them in ConnectionInterrupted
        # but its cache re-raises the error inside, out of memory included.
        return is_unavailable(exc)

    @staticmethod
    def is_database_down(exc: BaseException) -> bool:
        """A connection that could not be made or broke, not a bad query (a statement error stays a 500)."""
        if not isinstance(exc, OperationalError | InterfaceError):
            return False
        return any(_unusable(conn.connection) for conn in connections.all(initialized_only=True))

    def unavailable(self, request, exc):
        what = "Redis" if self.is_redis_down(exc) else "PostgreSQL"
        logger.error("%s unavailable: %s", what, exc)
        return render(request, "503.html", status=503)


def _unusable(raw) -> bool:
    return raw is None or raw.closed or raw.broken


class NulCharacterMiddleware:
    """A NUL character in the address (the path or the query) is a 400 at once: PostgreSQL cannot hold
    one in text, so a lookup with it (a school number in a roster URL, ?course=%00) would be a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in _query_items(request)):
            return render(request, "400.html", status=400)
        return self.get_response(request)


def _query_items(request):
    for key, values in request.GET.lists():
        for value in values:
            yield key, value
