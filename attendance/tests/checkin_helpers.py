"""Helpers of the student check-in tests: the pages' URLs, and a check-in as the browser makes it."""

from django.urls import reverse

from attendance import live

from .live_helpers import check_in_as

HOME = reverse("attendance:student_home")


def result_url(session):
    return reverse("attendance:result", args=[session.id])


def qr_url(session, typed):
    return reverse("attendance:qr_link", args=[session.id, typed])


def record_of(session, number="S1001"):
    return live.get_record(session.id, number)


def type_code(client, typed, **extra):
    return client.post(HOME, {"code": typed, **extra})


def wrong_code_page(client, typed, **extra) -> str:
    """Type a code the server refuses: it redirects to the check-in page (post/redirect/get), which says why."""
    response = type_code(client, typed, **extra)
    assert (response.status_code, response.url) == (302, HOME), response
    return client.get(HOME).content.decode()


def confirm_url_for(client, session):
    """Follow the session's tap or QR entry to its signed confirm link."""
    response = client.get(reverse("attendance:tap", args=[session.id]))
    assert response.status_code == 302, response
    return response.url


def post_confirm(client, url, **extra):
    """Post the confirm form as the browser does: with its hidden position fields."""
    return client.post(url, {"latitude": "", "longitude": ""}, **extra)


def check_in_service(session, student, now, **options):
    return check_in_as(session, student, now=now, **options).record
