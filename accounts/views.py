from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import check_for_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language
from django_ratelimit.core import get_usage

from attn_site.proxies import client_ip

from .forms import LoginForm

User = get_user_model()


def _client(group, request) -> str:
    return client_ip(request)


def _spraying(request, *, count: bool) -> bool:
    """Whether this client address has used up its failed logins, whatever the school numbers (cache-based)."""
    rate = settings.LOGIN_FAILURES_PER_ADDRESS
    usage = get_usage(request, group="login-failures", key=_client, rate=rate, increment=count)
    return usage is not None and usage["count"] >= usage["limit"]


class LoginView(auth_views.LoginView):
    """Log in by school number; django-axes locks one school number from one address after repeated
    failures, and failures from one address across many school numbers are throttled here."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if _spraying(request, count=False):
            return render(request, "accounts/throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _spraying(self.request, count=True)
        left = self._tries_left(form)
        if left is not None:
            minutes = max(1, round(settings.AXES_COOLOFF_TIME * 60))
            message = ngettext(
                "%(left)d try left: then logging in from here pauses for %(minutes)d minutes.",
                "%(left)d tries left: then logging in from here pauses for %(minutes)d minutes.",
                left,
            )
            form.add_error(None, message % {"left": left, "minutes": minutes})
        return super().form_invalid(form)

    def _tries_left(self, form) -> int | None:
        """From the third wrong password on, how many are left before the lock-out (None: say nothing yet)."""
        username = self.request.POST.get("username", "")
        if not username:
            return None
        failures = AxesProxyHandler.get_failures(self.request, {"username": username})
        left = settings.AXES_FAILURE_LIMIT - failures
        return left if failures >= 3 and left > 0 else None


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out."))  # kept in a cookie: the login session is gone
        return response


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


@require_http_methods(["GET", "POST"])
def accept_invitation(request, uidb64, token):
    """Choose a password from a one-time invitation link, then log in with it."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, User.DoesNotExist):
        user = None
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
