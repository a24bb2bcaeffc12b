"""The root URLconf's order: the class hour's pages first, and no route shadowed by one listed before it."""

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from attn_site import urls


def _route(entry) -> str:
    return str(entry.pattern)


def _names(resolver: URLResolver, namespace: str = ""):
    """Every named route without arguments under ``resolver``, as "namespace:name"."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name and "(?P" not in entry.pattern.regex.pattern:
            yield f"{namespace}{entry.name}"


def test_the_check_in_is_resolved_before_the_operators_the_admins_and_the_lms_prefixes():
    """Every request to a page of the class hour (a check-in, the live roster) would otherwise try and miss
    "ops/", "admin/" and "lti/" first: the check-in is the hot path."""
    order = [_route(entry) for entry in urls.urlpatterns]
    attendance = next(i for i, entry in enumerate(urls.urlpatterns) if getattr(entry, "app_name", "") == "attendance")
    for prefix in ("ops/", "admin/", "lti/"):
        assert attendance < order.index(prefix), order
    assert resolve("/checkin/").view_name == "attendance:student_home"


def test_no_route_is_shadowed_by_one_listed_before_it():
    """Each named route's own address leads back to it: no attendance route (listed before the operators',
    the admin's and the LMS's prefixes) catches one of theirs."""
    names = list(_names(get_resolver()))
    assert {"adminpanel:operations", "admin:index", "lti:login", "accounts:whoami"} <= set(names)
    for name in names:
        assert resolve(reverse(name)).view_name == name, name
    for entry in next(e for e in urls.urlpatterns if getattr(e, "app_name", "") == "attendance").url_patterns:
        assert _route(entry).split("/")[0] not in {"ops", "admin", "lti", "accounts"}, _route(entry)
