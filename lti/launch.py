"""The signed launch, checked: pylti1p3's checks, then what it leaves out.

pylti1p3 checks the state cookie of the browser that began the login, the nonce it issued, the
registration (issuer and client id), the signature against the platform's JWKS (and ``exp``), the
deployment and the message. It never checks ``azp`` and never forgets a nonce, so a launch posted again
would pass: ``validate`` adds the audience rule of OpenID Connect and spends the nonce once in Redis.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from lti_tool.models import LtiDeployment, LtiLaunch, LtiRegistration
from lti_tool.utils import DjangoToolConfig, _prepare_deployment
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.exception import LtiException

from attendance import live

logger = logging.getLogger(__name__)


class LaunchRefused(Exception):
    """Why a launch is refused (shown to the person, with the status)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ToolConfig(DjangoToolConfig):
    """django-lti's configuration, except that an unknown or inactive deployment is refused (django-lti
    would record it) and nothing is written for it."""

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        """A login initiation may leave the client id out: then the issuer's one active registration."""
        if client_id is None:
            found = LtiRegistration.objects.active().filter(issuer=iss)[:2]
            if len(found) != 1:
                return None
            client_id = found[0].client_id
        return super().find_registration_by_params(iss, client_id, *args, **kwargs)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        self.deployment = LtiDeployment.objects.filter(
            registration__issuer=iss,
            registration__client_id=client_id,
            registration__is_active=True,
            deployment_id=deployment_id,
            is_active=True,
        ).first()
        return _prepare_deployment(self.deployment) if self.deployment else None


class PlatformSession(requests.Session):
    """Calls to a platform never wait longer than LTI_TIMEOUT (pylti1p3 sets no timeout)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_TIMEOUT)
        return super().request(*args, **kwargs)


def _check_audience(claims: dict, client_id: str) -> None:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    azp = claims.get("azp")
    if client_id not in audiences or (azp is not None and azp != client_id) or (len(audiences) > 1 and azp is None):
        raise LaunchRefused(_("This launch was meant for another tool."), status=403)


def validate(request) -> LtiLaunch:
    """The launch posted by the platform, checked; LaunchRefused with the reason otherwise."""
    message_launch = DjangoMessageLaunch(
        request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage(), requests_session=PlatformSession()
    )
    try:
        message_launch.validate()
    except LtiException as exc:
        logger.warning("LTI launch refused: %s", exc)
        raise LaunchRefused(_refusal(str(exc)), status=_status(str(exc))) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning("LTI launch refused, malformed: %r", exc)
        raise LaunchRefused(_("This launch could not be read.")) from exc
    claims = message_launch.get_launch_data()
    _check_audience(claims, message_launch.get_client_id())
    if not live.use_once("lti-nonce", f"{claims['iss']}|{claims['nonce']}", settings.LTI_NONCE_TTL):
        logger.warning("LTI launch refused: nonce used before (%s)", claims["iss"])
        raise LaunchRefused(_("This launch was already used. Open ATTN from the LMS again."), status=403)
    return LtiLaunch(message_launch)


def _status(error: str) -> int:
    return 403 if error.startswith(("Registration not found", "Client id", "Unable to find deployment")) else 400


def _refusal(error: str) -> str:
    """pylti1p3's reason, in the person's words."""
    if error.startswith(("State not found", "Missing state", "Missing %s cookie")):
        return _(
            "Your browser did not keep ATTN's cookie during the launch (a private window, or cookies blocked in "
            "the LMS's frame). Open ATTN from the LMS again, in a new window."
        )
    if error.startswith(("Registration not found", "Client id")):
        return _("This LMS is not registered here for this tool: ask an administrator.")
    if error.startswith("Unable to find deployment"):
        return _("This deployment of ATTN in the LMS is not registered or not active here: ask an administrator.")
    if error.startswith("Must support resource link placement types"):  # a content picker that takes no tool links
        return _("This place in the LMS does not take a tool's link: add ATTN as an activity instead.")
    if error.startswith("Invalid Nonce") or "nonce" in error:
        return _("This launch was not started here, or it is too old. Open ATTN from the LMS again.")
    return _("This launch could not be verified. Open ATTN from the LMS again.")
