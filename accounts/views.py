import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode
from django.utils.translation import check_for_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from attendance import clock

from . import sso, throttle
from .forms import LoginForm
from .sso import SignInRefused

User = get_user_model()
logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Log in by school number; wrong passwords slow logins to that account down, from any address, except in
    a browser that logged in to it before (accounts/throttle.py): never the address they came from."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso": sso.enabled(),
            "sso_name": settings.OIDC_PROVIDER_NAME,
            "passwords": sso.password_login_allowed(),
        }

    def post(self, request, *args, **kwargs):
        if not sso.password_login_allowed():
            raise PermissionDenied(_("Passwords are turned off here: sign in with your university account."))
        username, now = request.POST.get("username", "").strip(), clock.now()
        until = throttle.paused_until(request, username, now) if username else 0
        if until > now:
            return _paused(request, username, until - now)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.remember_browser(self.request, response, form.get_user().school_number)
        return response

    def form_invalid(self, form):
        message = self._warning()
        if message:
            form.add_error(None, message)
        return super().form_invalid(form)

    def _warning(self) -> str:
        """From the third wrong password on, how many are left before logins to the account pause."""
        username, now = self.request.POST.get("username", "").strip(), clock.now()
        if not username:
            return ""
        until = throttle.paused_until(self.request, username, now)
        if until > now:
            minutes = _minutes(until - now)
            return PAUSED % {"minutes": minutes}
        left = throttle.tries_left(username, now)
        if settings.LOGIN_FAILURE_LIMIT - left < 3:
            return ""
        return TRIES_LEFT % {"left": left}


TRIES_LEFT = ngettext_lazy(
    "%(left)d try left: then logging in to this account pauses, except in a browser that logged in to it before.",
    "%(left)d tries left: then logging in to this account pauses, except in a browser that logged in to it before.",
    "left",
)
PAUSED = ngettext_lazy(
    "Too many wrong passwords for this account: logging in to it pauses for %(minutes)d minute.",
    "Too many wrong passwords for this account: logging in to it pauses for %(minutes)d minutes.",
    "minutes",
)


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _paused(request, username: str, seconds: float):
    """429: logging in to this account from this browser is paused; the password was not checked."""
    ctx = {"username": username, "minutes": _minutes(seconds)}
    response = render(request, "accounts/locked_out.html", ctx, status=429)
    response["Retry-After"] = str(math.ceil(seconds))
    return response


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(SSO_ID_TOKEN)
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out."))  # kept in a cookie: the login session is gone
        end = _provider_logout_url(request, id_token) if id_token else ""
        response = redirect(end) if end else response
        # The message is in the user's language; the next page, without the user, would be in the browser's.
        _keep_language(response, request.LANGUAGE_CODE)
        return response


def _keep_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def home(request):
    """Send each role to its own start page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_teacher:
        return redirect(reverse("attendance:teacher_home"))
    return redirect(reverse("attendance:student_home"))


@login_required
@require_GET
def whoami(request):
    """Tell a client who is logged in (also the framework floor of the check-in benchmark)."""
    user = request.user
    return JsonResponse({"school_number": user.school_number, "full_name": user.full_name, "role": user.role})


INVITATION_USED = _("This invitation link has expired or was already used. Ask your department for a new one.")


@cache_control(no_store=True, private=True)  # its link sets a password; its visitor is not logged in yet
@require_http_methods(["GET", "POST"])
def accept_invitation(request, uidb64, token):
    """Choose a password from a one-time invitation link, then log in with it."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, User.DoesNotExist):
        user = None
    if not sso.password_login_allowed():
        raise Http404(_("Passwords are turned off here: sign in with your university account."))
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        return render(request, "accounts/invitation.html", {"error": INVITATION_USED}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your password is set. Log in with your school number and the new password."))
        return redirect("accounts:login")
    return render(
        request, "accounts/invitation.html", {"form": form, "person": user}, status=400 if form.errors else 200
    )


@require_POST
def switch_language(request):
    """The header's language switch: Django's set_language (the cookie, back to the page), and
    for a logged-in user the choice is kept on the account, so it follows them to every device."""
    response = set_language(request)
    language = request.POST.get("language", "")
    chosen = check_for_language(language) and language in dict(settings.LANGUAGES)
    if chosen and request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


# --- single sign-on (accounts/sso.py) ---

SSO_NEXT = "sso_next"
SSO_ID_TOKEN = "sso_id_token"


@require_GET
def sso_login(request):
    """Off to the university's login page; the page to come back to (a QR check-in link) rides along."""
    if not sso.enabled():
        raise Http404(_("Single sign-on is not set up here."))
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure())
    request.session[SSO_NEXT] = next_url if safe else ""
    callback = request.build_absolute_uri(reverse("accounts:sso_callback"))
    return sso.client().authorize_redirect(request, callback)


@require_GET
def sso_callback(request):
    """The provider sends the person back: check everything, then log in the account of their school number."""
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError  # the ID token's checks (signature, iss, aud, exp, nonce)

    if not sso.enabled():
        raise Http404(_("Single sign-on is not set up here."))
    try:
        token = sso.client().authorize_access_token(request, leeway=settings.OIDC_LEEWAY)
        claims = token.get("userinfo") or {}
        if not claims.get("sub"):
            raise SignInRefused(_("The university did not say who you are."))
        user = sso.user_for(sso.identity(claims))
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        logger.warning("Single sign-on refused: %r", exc)
        return render(
            request, "accounts/sso_refused.html", {"error": _("The sign-in could not be verified.")}, status=400
        )
    except SignInRefused as exc:
        status = 403
        return render(request, "accounts/sso_refused.html", {"error": str(exc), "unknown": exc.unknown}, status=status)
    next_url = request.session.pop(SSO_NEXT, "")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SSO_ID_TOKEN] = token.get("id_token", "")
    return redirect(next_url or "home")


def _provider_logout_url(request, id_token: str) -> str:
    """The provider's end-session endpoint, when it advertises one, coming back to the login page."""
    try:
        endpoint = sso.client().load_server_metadata().get("end_session_endpoint", "")
    except Exception:
        logger.warning("Single sign-on: the provider's configuration could not be read for the logout")
        return ""
    if not endpoint:
        return ""
    back = request.build_absolute_uri(reverse("accounts:login"))
    return f"{endpoint}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': back})}"


def csrf_failure(request, reason=""):
    """A form refused for its missing or stale security token (cookies cleared, a page open for days):
    say what happened and what to do, in the reader's language, instead of Django's English page."""
    page = urlsplit(request.headers.get("Referer", ""))
    same_site = page.netloc == request.get_host() and url_has_allowed_host_and_scheme(page.path, allowed_hosts=None)
    back = page.path if same_site and page.path else "/"  # the form's page (a form's target may take POST only)
    if request.POST.get("code", "").isdigit():  # the check-in page fills a typed code in again
        back += "?" + urlencode({"code": request.POST["code"][:6]})
    return render(request, "403_csrf.html", {"back": back}, status=403)
