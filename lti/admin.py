from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from lti_tool.admin import LtiRegistrationAdmin
from lti_tool.models import LtiRegistration

from .models import LmsCourse
from .registration import new_link

SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]


@admin.register(LmsCourse)
class LmsCourseAdmin(admin.ModelAdmin):
    """An LMS course's ATTN course: made at the first instructor's launch, or chosen here (an existing course)."""

    list_display = ["context", "course", "linked_at"]
    list_select_related = ["context", "course"]
    raw_id_fields = ["context", "course"]
    search_fields = ["course__code", "course__title", "context__title", "context__label"]


admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class RegistrationAdmin(LtiRegistrationAdmin):
    """django-lti's registration (issuer, client id, the platform's URLs, deployments), with what to paste into
    the LMS on the same page."""

    def get_fieldsets(self, request, obj=None):
        urls = {"fields": [], "description": tool_urls(request)}
        return [(_("What to enter in the LMS"), urls), *super().get_fieldsets(request, obj)]


def tool_urls(request) -> str:
    """ATTN's URLs and the services to allow, as the LMS's tool form asks for them."""
    rows = [
        (_("Login initiation URL (OpenID Connect)"), request.build_absolute_uri(reverse("lti:login"))),
        (_("Target link URI and redirect URI (launch)"), request.build_absolute_uri(reverse("lti:launch"))),
        (
            _("Deep linking (content selection) URL, for the content picker"),
            request.build_absolute_uri(reverse("lti:launch")),
        ),
        (_("Public keyset URL (JWKS)"), request.build_absolute_uri(reverse("lti:jwks"))),
    ]
    rows.append((_("Or, for dynamic registration (a new link, which works once)"), new_link(request)))
    items = format_html_join("", "<li>{}: <code>{}</code></li>", rows)
    scopes = format_html_join("", "<li><code>{}</code></li>", ((scope,) for scope in SCOPES))
    services = _("Services to allow (scopes), for the rosters and the grade column:")
    picker = _(
        "Deep linking: in Moodle tick “Supports Deep Linking (Content-Item Message)”; in Canvas add the "
        "Link Selection and Assignment Selection placements with the message type LtiDeepLinkingRequest. "
        "Teachers then add “Attendance” from the LMS's activity or content picker."
    )
    return format_html("<ul>{}</ul><p>{}</p><ul>{}</ul><p>{}</p>", items, services, scopes, picker)
