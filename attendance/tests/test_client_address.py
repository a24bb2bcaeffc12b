"""The client's address and scheme come from forwarding headers only when a configured proxy sent them."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from attendance import live
from attendance.models import Status
from attn_site.proxies import client_ip
from conftest import login

from .live_helpers import TEACHER_IP, start

PROXY = "172.16.0.2"
pytestmark = pytest.mark.django_db


def request_from(remote, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        ([], "198.51.100.7", "10.0.0.1", "198.51.100.7"),  # no proxy configured: the header is anyone's
        ([PROXY], "198.51.100.7", "10.0.0.1", "198.51.100.7"),  # sent straight to gunicorn, not through the proxy
        ([PROXY], PROXY, "10.0.0.1", "10.0.0.1"),
        ([PROXY], PROXY, "10.0.0.1, 203.0.113.9", "203.0.113.9"),  # the client prepended a made-up hop
        (["172.16.0.0/24"], "172.16.0.3", "10.0.0.1, 203.0.113.9, 172.16.0.2", "203.0.113.9"),
        (["172.16.0.0/24"], "172.16.0.3", "172.16.0.9, 172.16.0.2", "172.16.0.9"),  # every hop a proxy
        ([PROXY], PROXY, None, PROXY),
    ],
)
def test_it_reads_x_forwarded_for_only_from_a_trusted_proxy(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    assert client_ip(request_from(remote, **headers)) == expected


@pytest.mark.parametrize(
    "header",
    [{"HTTP_X_REAL_IP": TEACHER_IP}, {"HTTP_FORWARDED": f"for={TEACHER_IP}"}, {"HTTP_X_FORWARDED_FOR": TEACHER_IP}],
)
@pytest.mark.parametrize("trusted", [[], [PROXY]])
def test_a_spoofed_header_from_outside_does_not_pass_the_same_network_check(
    client, student, teacher, course, clock, settings, header, trusted
):
    settings.TRUSTED_PROXIES = trusted
    session = start(teacher, course, now=clock.now, require_code=False, network_mode="same")
    login(client, student)
    confirm = client.get(reverse("attendance:tap", args=[session.id])).url
    client.post(confirm, {"latitude": "", "longitude": ""}, REMOTE_ADDR="203.0.113.50", **header)
    assert live.get_record(session.id, student.school_number).status == Status.REJECTED


def test_real_ip_and_forwarded_are_not_read_even_from_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    request = request_from(PROXY, HTTP_X_REAL_IP=TEACHER_IP, HTTP_FORWARDED=f"for={TEACHER_IP}")
    assert client_ip(request) == PROXY


def test_the_address_forwarded_by_the_proxy_passes_the_same_network_check(
    client, student, teacher, course, clock, settings
):
    settings.TRUSTED_PROXIES = [PROXY]
    session = start(teacher, course, now=clock.now, require_code=False, network_mode="same")
    login(client, student)
    confirm = client.get(reverse("attendance:tap", args=[session.id])).url
    forwarded = f"203.0.113.1, {TEACHER_IP}"
    client.post(confirm, {"latitude": "", "longitude": ""}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert live.get_record(session.id, student.school_number).status == Status.PRESENT


@pytest.mark.parametrize("remote, expected", [("203.0.113.50", "203.0.113.50"), (PROXY, "10.7.7.7")])
def test_the_teachers_address_at_the_start_is_read_the_same_way(teacher_client, settings, remote, expected):
    settings.TRUSTED_PROXIES = [PROXY]
    data = {"lesson_name": "L", "duration_minutes": "60", "network_mode": "same", "location_radius_m": "100"}
    response = teacher_client.post(
        reverse("attendance:teacher_home"), data, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR="10.7.7.7"
    )
    assert live.get_session(response.url.split("/")[3]).teacher_ip == expected


@pytest.mark.parametrize("remote, secure", [("203.0.113.50", False), (PROXY, True)])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(settings, remote, secure):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(reverse("accounts:login"), REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO="https")
    # Believed: the request is HTTPS already and the page answers; not believed: the redirect to HTTPS.
    assert response.status_code == (200 if secure else 301)
