import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm as BaseCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .invitations import email_invitations, invitation_path
from .models import User

MAX_SHEET = 2000  # invitations on one printed sheet


class UserCreationForm(BaseCreationForm):
    class Meta:
        model = User
        fields = ("school_number", "full_name", "role")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    list_display = ("school_number", "full_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("school_number", "full_name", "email")
    ordering = ("name_key",)
    readonly_fields = ("last_login", "date_joined", "is_staff")
    autocomplete_fields = ("advisor",)
    fieldsets = (
        (None, {"fields": ("school_number", "password")}),
        ("Person", {"fields": ("full_name", "email", "role", "advisor")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    actions = ("invitation_sheet", "invitation_emails")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("school_number", "full_name", "role", "password1", "password2")}),
    )

    @admin.action(description=_("Print invitation links for the selected users"))
    def invitation_sheet(self, request, queryset):
        return self._sheet(request, queryset)

    @admin.action(description=_("E-mail invitation links to the selected users"))
    def invitation_emails(self, request, queryset):
        return self._email(request, queryset)

    def _email(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied(_("Invitations set passwords: they need the permission to change users."))
        sent, without = email_invitations(queryset.order_by("name_key"), request.build_absolute_uri)
        messages.success(
            request,
            _("%(sent)s invitations e-mailed; %(without)s people have no e-mail address (print theirs).")
            % {"sent": sent, "without": without},
        )
        return redirect(request.get_full_path())

    def get_urls(self):
        sheet = self.admin_site.admin_view(self.invitations_view)
        return [path("invitations/", sheet, name="accounts_user_invitations"), *super().get_urls()]

    def invitations_view(self, request):
        """Every student who cannot log in yet (``?without_password=1``), or one course's (``&course=CODE``)."""
        people = User.objects.filter(role=User.Role.STUDENT).without_password()
        if request.GET.get("course"):
            people = people.filter(enrollments__course__code=request.GET["course"])
        if request.method == "POST":  # the sheet's "E-mail these invitations": the same people
            return self._email(request, people)
        return self._sheet(request, people)

    def _sheet(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied(_("Invitations set passwords: they need the permission to change users."))
        people = list(queryset.order_by("name_key")[:MAX_SHEET])
        rows = []
        for person in people:
            link = request.build_absolute_uri(invitation_path(person))
            qr = segno.make(link, error="m").svg_inline(scale=2, omitsize=True)
            rows.append({"person": person, "link": link, "qr": qr})
        ctx = {
            **self.admin_site.each_context(request),
            "title": _("Invitation sheet"),
            "rows": rows,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            "cut": len(people) == MAX_SHEET,
        }
        return render(request, "admin/accounts/invitation_sheet.html", ctx)
