"""LTI Dynamic Registration (Moodle ≥ 3.10, Canvas): the LMS opens ATTN's registration link, ATTN reads the
platform's configuration and registers itself there, then records the platform here.

A registration makes a platform whose launches log people in, so the link is an administrator's: the
admin's registration page shows a fresh one, signed with the secret key, valid LTI_REGISTRATION_LINK_HOURS,
used once (``live.use_once``). The platform's configuration must come from its issuer's own URL.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from lti_tool.models import LtiDeployment, LtiRegistration

from attendance import live

from .launch import LaunchRefused, PlatformSession
from .middleware import origin

logger = logging.getLogger(__name__)
SALT = "attn.lti.dynamic-registration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]


def new_link(request) -> str:
    """A registration link for an administrator to paste into the LMS."""
    token = signing.TimestampSigner(salt=SALT).sign(get_random_string(24))
    return request.build_absolute_uri(reverse("lti:register", args=[token]))


def _check_link(token: str) -> None:
    try:
        signing.TimestampSigner(salt=SALT).unsign(token, max_age=settings.LTI_REGISTRATION_LINK_HOURS * 3600)
    except signing.BadSignature as exc:  # SignatureExpired is one
        raise LaunchRefused(
            _("This registration link is not valid or has expired: ask an administrator for a new one."), 403
        ) from exc


def _platform_configuration(url: str, registration_token: str) -> dict:
    session = PlatformSession()
    try:
        response = session.get(url, headers={"Authorization": f"Bearer {registration_token}"})
        response.raise_for_status()
        config = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise LaunchRefused(_("The LMS's configuration could not be read."), 400) from exc
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
    if not isinstance(config, dict) or not all(isinstance(config.get(key), str) for key in needed):
        raise LaunchRefused(_("The LMS's configuration could not be read."), 400)
    if not origin(config["issuer"]) or not url.startswith(config["issuer"].rstrip("/") + "/"):
        raise LaunchRefused(_("The LMS's configuration does not come from its own address."), 400)
    return config


def _tool_configuration(request, config: dict) -> dict:
    launch = request.build_absolute_uri(reverse("lti:launch"))
    offered = set(config.get("scopes_supported") or SCOPES)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": request.build_absolute_uri(reverse("lti:login")),
        "redirect_uris": [launch],
        "client_name": "ATTN",
        "jwks_uri": request.build_absolute_uri(reverse("lti:jwks")),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scope for scope in SCOPES if scope in offered),
        TOOL_CONFIGURATION: {
            "domain": request.get_host(),
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "label": "Attendance"},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": "Attendance"},  # content picker
            ],
        },
    }


def register(request, token: str) -> LtiRegistration:
    """Register ATTN at the platform that opened the link, and the platform here (active, with its deployment)."""
    _check_link(token)
    url, registration_token = request.GET.get("openid_configuration", ""), request.GET.get("registration_token", "")
    if not origin(url) or not registration_token:
        raise LaunchRefused(_("Open this link from the LMS's tool registration page."), 400)
    config = _platform_configuration(url, registration_token)
    if not live.use_once("lti-registration", token, settings.LTI_REGISTRATION_LINK_HOURS * 3600):
        raise LaunchRefused(_("This registration link was already used: ask an administrator for a new one."), 403)
    try:
        response = PlatformSession().post(
            config["registration_endpoint"],
            json=_tool_configuration(request, config),
            headers={"Authorization": f"Bearer {registration_token}"},
        )
        response.raise_for_status()
        answer = response.json()
        client_id = str(answer["client_id"])
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        logger.warning("LTI dynamic registration refused by %s: %s", config["issuer"], exc)
        raise LaunchRefused(_("The LMS did not accept ATTN's registration."), 400) from exc
    deployment = str((answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id") or "")
    return _record(config, client_id, deployment)


@transaction.atomic
def _record(config: dict, client_id: str, deployment_id: str) -> LtiRegistration:
    name = str((config.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code") or config["issuer"])[:255]
    registration, _created = LtiRegistration.objects.update_or_create(
        issuer=config["issuer"],
        client_id=client_id,
        defaults={
            "name": name,
            "auth_url": config["authorization_endpoint"],
            "token_url": config["token_endpoint"],
            "keyset_url": config["jwks_uri"],
            "is_active": True,
        },
    )
    if deployment_id:
        LtiDeployment.objects.update_or_create(
            registration=registration, deployment_id=deployment_id, defaults={"is_active": True}
        )
    logger.info("LTI dynamic registration: %s, client %s", config["issuer"], client_id)
    return registration
