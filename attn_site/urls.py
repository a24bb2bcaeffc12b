from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from accounts import sso
from accounts.views import home
from adminpanel.views import healthz, healthz_sweep

_admin_login = admin.site.login


def admin_login(request, extra_context=None):
    """The admin's own password form, unless passwords are off: then the login page (single sign-on)."""
    if not sso.password_login_allowed():
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
    return _admin_login(request, extra_context)


admin.site.login = admin_login
admin.site.site_header = _("ATTN administration")
admin.site.site_title = _("ATTN admin")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("healthz/sweep", healthz_sweep, name="healthz_sweep"),
    path("accounts/", include("accounts.urls")),
    # Resolved in this order: the pages of every class hour (a check-in, the live roster) before the
    # operators', the admin's and the LMS's, each a prefix tried and missed by every request below it.
    # No attendance route begins with "ops/", "admin/" or "lti/" (tests/test_urls.py).
    path("", include("attendance.urls")),
    path("ops/", include("adminpanel.urls")),
    path("admin/", admin.site.urls),
    path("lti/", include("lti.urls")),
]
