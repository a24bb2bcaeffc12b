from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_ratelimit.core import get_usage

from attn_site.proxies import client_ip

from .forms import LoginForm


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
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You are logged out.")  # kept in a cookie: the login session is gone
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
