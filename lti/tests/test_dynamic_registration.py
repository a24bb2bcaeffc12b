"""Dynamic registration end to end with the loopback platform: an administrator's link, opened by the LMS,
registers ATTN there and the platform here, and a launch works; the link is signed, works once, and the
platform's configuration must come from its own issuer."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
import requests
from django.urls import reverse
from lti_tool.models import LtiDeployment, LtiRegistration

from tests.factories import TeacherFactory
from tests.lti_platform import platform, walk

TEACHER = {"user": "lms-t1", "number": "T7001", "name": "Ilse Instructor", "role": "Instructor"}


@pytest.fixture(scope="module")
def issuer():
    with platform() as url:
        yield url


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def registration_link(admin_client) -> str:
    page = admin_client.get(reverse("admin:lti_tool_ltiregistration_add")).text
    return unescape(re.search(r"<code>(http://testserver/lti/register/[^<]+)</code>", page).group(1))


def opened_by_the_lms(client, issuer, link, **override):
    """The LMS opens the tool's registration link with its configuration URL and a registration token."""
    started = requests.post(f"{issuer}/control/registration-token", timeout=10).json()
    query = {"openid_configuration": started["openid_configuration"], "registration_token": started["token"]}
    return client.get(f"{link.removeprefix('http://testserver')}?{urlencode({**query, **override})}")


@pytest.mark.django_db
def test_dynamic_registration_end_to_end(admin_client, client, issuer):
    link = registration_link(admin_client)
    lms = client.__class__()
    response = opened_by_the_lms(lms, issuer, link)
    assert response.status_code == 200 and "ATTN is registered" in response.text
    assert f"frame-ancestors 'self' {issuer}" in response["Content-Security-Policy"]
    registration = LtiRegistration.objects.get(issuer=issuer)
    assert (registration.client_id, registration.token_url, registration.is_active) == ("attn", f"{issuer}/token", True)
    assert LtiDeployment.objects.get(registration=registration).is_active
    sent = requests.get(f"{issuer}/control/registrations", timeout=10).json()[-1]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/" and sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "contextmembership.readonly" in sent["scope"]
    messages = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]["messages"]
    assert {m["type"] for m in messages} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}  # the content picker
    assert walk(client.__class__(), issuer, **TEACHER).response.status_code == 302  # and a launch works
    # The link works once.
    again = opened_by_the_lms(lms, issuer, link)
    assert again.status_code == 403 and "already used" in again.text


@pytest.mark.django_db
def test_a_forged_or_expired_link_registers_nothing(client, issuer, settings):
    response = opened_by_the_lms(client, issuer, "http://testserver/lti/register/made-up:token:here/")
    assert response.status_code == 403 and "not valid" in response.text
    assert not LtiRegistration.objects.exists()


@pytest.mark.django_db
def test_a_configuration_not_from_its_issuer_is_refused(admin_client, client, issuer):
    link = registration_link(admin_client)
    response = opened_by_the_lms(
        client, issuer, link, openid_configuration=f"{issuer}/.well-known/openid-configuration"
    )
    assert response.status_code == 200  # the right one works
    link = registration_link(admin_client)
    elsewhere = "http://localhost:" + issuer.rsplit(":", 1)[1] + "/.well-known/openid-configuration"
    response = opened_by_the_lms(client, issuer, link, openid_configuration=elsewhere)
    assert response.status_code == 400 and "its own address" in response.text
    response = opened_by_the_lms(client, issuer, registration_link(admin_client), openid_configuration="")
    assert response.status_code == 400


@pytest.mark.django_db
def test_only_administrators_see_the_registration_link(client):
    client.force_login(TeacherFactory())
    assert client.get(reverse("admin:lti_tool_ltiregistration_add")).status_code == 302
