from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


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
