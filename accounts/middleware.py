from django.utils import translation

from attn_site.middleware import ServiceUnavailableMiddleware


class UserLanguageMiddleware:
    """A logged-in user's own language choice wins over the browser's Accept-Language.

    Runs after LocaleMiddleware (which picked the cookie's or the browser's language) and
    AuthenticationMiddleware; the user row is read for the request anyway, so this costs nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        except Exception as exc:
            if not ServiceUnavailableMiddleware.is_down(exc):
                raise
            language = ""  # the login session (Redis) or the user (PostgreSQL): the view answers 503 itself
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
