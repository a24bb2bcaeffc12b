from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import home
from adminpanel.views import healthz, healthz_sweep

admin.site.site_header = _("ATTN administration")
admin.site.site_title = _("ATTN admin")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("healthz/sweep", healthz_sweep, name="healthz_sweep"),
    path("accounts/", include("accounts.urls")),
    path("ops/", include("adminpanel.urls")),
    path("admin/", admin.site.urls),
    path("", include("attendance.urls")),
]
