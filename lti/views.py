"""The LMS's ways in: the OIDC login initiation, the launch, and the tool's public keys (JWKS)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoOIDCLogin
from pylti1p3.exception import LtiException, OIDCException

from attendance.access import get_course_for_teacher, teacher_required

from . import deep_linking, registration, services
from .forms import DeepLinkForm
from .launch import LaunchRefused, ToolConfig
from .middleware import FRAME_ANCESTORS, frame_origins, origin

logger = logging.getLogger(__name__)
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")
PROCEED = "lti1p3_new_window"  # pylti1p3's mark of a login whose cookie check is done


def _framed(response, origins: list[str]):
    """A page the platform may show in its frame."""
    response.xframe_options_exempt = True
    response._csp_replace = {"frame-ancestors": ["'self'", *origins]}
    return response


def _refused(request, error: str, status: int):
    page = render(request, "lti/refused.html", {"error": error}, status=status)
    return _framed(page, services.platform_origins())


@csrf_exempt  # the platform posts it; nothing here acts for a logged-in person
@require_http_methods(["GET", "POST"])
def oidc_login(request):
    """Third-party login initiation: check that this browser keeps cookies in the frame, then off to the
    platform's authorisation endpoint with a state (cookie) and a nonce."""
    params = request.POST if request.method == "POST" else request.GET
    config = ToolConfig()
    if not config.find_registration_by_params(params.get("iss", ""), params.get("client_id") or None):
        return _refused(request, _("This LMS is not registered here for this tool: ask an administrator."), 400)
    origins = services.platform_origins()
    if not params.get(PROCEED):
        query = {key: params[key] for key in LOGIN_PARAMS if params.get(key)}
        proceed = f"{reverse('lti:login')}?{urlencode({**query, PROCEED: '1'})}"
        return _framed(render(request, "lti/cookie_check.html", {"proceed": proceed}), origins)
    oidc = DjangoOIDCLogin(request, config, launch_data_storage=DjangoCacheDataStorage())
    try:
        response = oidc.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (OIDCException, LtiException) as exc:
        logger.warning("LTI login refused: %s", exc)
        return _refused(request, _("This login from the LMS could not be started. Open ATTN from the LMS again."), 400)
    return _framed(response, origins)


@csrf_exempt  # the platform posts it; the signed id_token, the state cookie and the nonce stand for the token
@require_POST
def launch(request):
    """The signed launch: log the person in and take them to their course (teacher) or the check-in (student)."""
    try:
        landing = services.launch_accept(request)
    except LaunchRefused as exc:
        return _refused(request, str(exc), exc.status)
    login(request, landing.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[FRAME_ANCESTORS] = landing.frame_origins
    if landing.deep_link:
        request.session[deep_linking.PENDING] = landing.deep_link
    return redirect(landing.url)


@teacher_required
@require_http_methods(["GET", "POST"])
def deep_link(request):
    """The content picker's page: the instructor names the course's "Attendance" link (or places nothing),
    and the signed answer is posted back to the LMS."""
    try:
        pending = deep_linking.pending_for(request.session)
    except LaunchRefused as exc:
        return _refused(request, str(exc), exc.status)
    course = get_course_for_teacher(request.user, pending["course"])
    form = DeepLinkForm(request.POST if request.method == "POST" else None, initial={"title": _("Attendance")})
    placing = "cancel" not in request.POST
    if request.method == "GET" or (placing and not form.is_valid()):
        context = {"form": form, "course": course}
        return render(request, "lti/deep_link.html", context, status=400 if form.is_bound else 200)
    title = form.cleaned_data["title"] if placing else None
    try:
        token = deep_linking.answer(pending=pending, request=request, title=title)
    except LaunchRefused as exc:
        return _refused(request, str(exc), exc.status)
    del request.session[deep_linking.PENDING]
    page = render(request, "lti/deep_link_return.html", {"return_url": pending["return_url"], "jwt": token})
    page._csp_update = {"form-action": [origin(pending["return_url"])]}  # the answer goes to the LMS
    return page


@require_GET
def register(request, token):
    """Dynamic registration, opened by the LMS with an administrator's link: ATTN registers itself there and
    records the platform here, then tells the LMS's page to close."""
    try:
        platform = registration.register(request, token)
    except LaunchRefused as exc:
        return _refused(request, str(exc), exc.status)
    page = render(request, "lti/registered.html", {"platform": platform})
    return _framed(page, frame_origins(platform.issuer, platform.auth_url))
