"""Whether htmx sent a request: the one definition for the views that answer it in place and the middleware."""


def sent_by_htmx(request) -> bool:
    """django-htmx's ``request.htmx``, read from the environ: its ``bool`` builds ``request.headers`` (every
    header of the request), a tenth of what a check-in paid beyond the floor."""
    return request.META.get("HTTP_HX_REQUEST") == "true"
