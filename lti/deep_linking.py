"""Deep linking: an instructor places "Attendance" in an LMS course from the LMS's content picker.

The picker's launch (LtiDeepLinkingRequest) is checked as every launch is (``launch.validate``); an
instructor's is kept in their login session (``PENDING``) while they choose on ATTN's page, and the choice
goes back as a signed LtiDeepLinkingResponse, auto-posted to the picker's return URL. The request is
spent by the answer: one answer per picker, within DEEP_LINK_SECONDS.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource

from attendance import clock

from .launch import LaunchRefused, ToolConfig
from .middleware import origin

PENDING = "lti_deep_link"
DEEP_LINK_SECONDS = 3600  # the picker waits this long for the instructor's choice
SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
RESOURCE_LINK = "ltiResourceLink"


def picker_request(lti_launch) -> dict:
    """What the picker asked (where to answer, its data), checked before anything is written."""
    claims = lti_launch.get_launch_data()
    picker = claims.get(SETTINGS) if isinstance(claims.get(SETTINGS), dict) else {}
    if RESOURCE_LINK not in (picker.get("accept_types") or []):
        raise LaunchRefused(_("This place in the LMS does not take a tool's link: add ATTN as an activity instead."))
    return_url = picker.get("deep_link_return_url")
    if not isinstance(return_url, str) or not origin(return_url):
        raise LaunchRefused(_("This launch could not be read."))
    return {
        "iss": claims["iss"],
        "client_id": lti_launch.get_message_launch().get_client_id(),
        "deployment_id": str(claims.get(DEPLOYMENT) or ""),
        "return_url": return_url,
        "data": picker.get("data"),
        "at": clock.now(),
    }


def pending_for(session) -> dict:
    """The picker waiting for this instructor's choice; LaunchRefused when there is none (or it is too old)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or clock.now() - pending.get("at", 0) > DEEP_LINK_SECONDS:
        raise LaunchRefused(_("Nothing is waiting to be placed in the LMS. Open the LMS's content picker again."))
    return pending


def answer(*, pending: dict, request, title: str | None) -> str:
    """The signed LtiDeepLinkingResponse: the course's "Attendance" link titled ``title``, or nothing (None)."""
    registration = ToolConfig().find_registration_by_params(pending["iss"], pending["client_id"])
    if registration is None:
        raise LaunchRefused(_("This LMS is not registered here for this tool: ask an administrator."), 403)
    picker = {"deep_link_return_url": pending["return_url"], "data": pending["data"]}
    resources = []
    if title is not None:
        link = DeepLinkResource().set_url(request.build_absolute_uri(reverse("lti:launch"))).set_title(title)
        resources.append(link)
    return DeepLink(registration, pending["deployment_id"], picker).get_response_jwt(resources)
