"""Login sessions in the Redis cache, where Redis being down is an error, not a logout."""

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

from .middleware import ServiceUnavailableMiddleware


class SessionStore(CacheSessionStore):
    def load(self):
        # Django's cache store reads any cache error as "no session", so with Redis
        # down every user would look logged out and be sent to the login page.
        # Let the error reach ServiceUnavailableMiddleware, which answers 503.
        try:
            session_data = self._cache.get(self.cache_key)
        except Exception as exc:
            if ServiceUnavailableMiddleware.is_redis_down(exc):
                raise
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
