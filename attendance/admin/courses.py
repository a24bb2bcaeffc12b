"""Courses and enrolments, with the roster import."""

import secrets

from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import live
from ..models import Course, Enrollment
from ..ops.roster_import import RenamesToConfirm, RosterError, import_roster, preview_roster
from .forms import RosterUploadForm

# The import creates and renames users and enrols them: it needs what doing that by hand needs.
IMPORT_PERMISSIONS = ("accounts.add_user", "accounts.change_user", "attendance.add_enrollment")


def unswept_course_ids() -> set[int]:
    """Courses with a session the sweep has not saved yet: open, finished a moment ago, or dead-lettered.

    Deleting one of these would make the sweep fail on the course's foreign key, and the session's
    records would end in the dead letters for good.
    """
    return {session.course_id for session in live.unswept_sessions() if session.course_id}


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "late_threshold_minutes", "rate_policy", "enrolled")
    search_fields = ("code", "title", "teachers__full_name", "teachers__school_number")
    filter_horizontal = ("teachers",)
    change_list_template = "admin/attendance/course/change_list.html"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_enrolled=Count("enrollments"))

    @admin.display(ordering="n_enrolled", description=_("Enrolled"))
    def enrolled(self, obj):
        return obj.n_enrolled

    def get_urls(self):
        extra = [
            path("import-roster/", self.admin_site.admin_view(self.import_roster_view), name="attendance_import_roster")
        ]
        return extra + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.pk in unswept_course_ids():
            return False  # the session's sweep would find its course gone
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        busy = queryset.filter(pk__in=unswept_course_ids())
        if busy.exists():
            codes = ", ".join(busy.values_list("code", flat=True))
            messages.error(
                request,
                _("Not deleted: %(codes)s has a session not saved yet (live, or waiting for the sweep).")
                % {"codes": codes},
            )
            queryset = queryset.exclude(pk__in=busy.values("pk"))
        super().delete_queryset(request, queryset)

    def import_roster_view(self, request):
        if not request.user.has_perms(IMPORT_PERMISSIONS):
            raise PermissionDenied(
                _("Importing a roster needs the permissions to add and change users and enrolments.")
            )
        form = RosterUploadForm(request.POST or None, request.FILES or None)
        problems, renames, token, note = [], [], "", ""
        if request.method == "POST" and request.POST.get("confirm"):
            token = request.POST["confirm"]
            text = cache.get(_pending_import_key(request, token))
            if text is None:
                messages.error(request, _("That import waited too long for its confirmation: upload the file again."))
                return redirect("admin:attendance_import_roster")
            return self._import(request, text, confirm=True, token=token)
        if request.method == "POST" and form.is_valid():
            note = form.cleaned_data["note"]
            if note:
                messages.warning(request, note)
            token = secrets.token_urlsafe(16)
            cache.set(_pending_import_key(request, token), form.cleaned_data["text"], PENDING_IMPORT_SECONDS)
            return self._preview(request, form.cleaned_data["text"], token=token)
        ctx = {**self.admin_site.each_context(request), "form": form, "problems": problems, "renames": renames}
        ctx.update(title=_("Import a roster"), token=token)
        return render(request, "admin/attendance/import_roster.html", ctx, status=400 if form.errors else 200)

    def _preview(self, request, text: str, *, token: str):
        """Nothing is changed yet: how many students and enrolments the file makes, and the renames, for the
        administrator to apply or not."""
        ctx = {**self.admin_site.each_context(request), "form": RosterUploadForm(), "title": _("Import a roster")}
        try:
            report, changed = preview_roster(text=text)
        except RosterError as exc:
            messages.error(request, _("%(n)s bad rows; nothing was changed.") % {"n": len(exc.problems)})
            ctx["problems"] = exc.problems
            return render(request, "admin/attendance/import_roster.html", ctx, status=400)
        ctx.update(preview=report, renames=changed, token=token)
        return render(request, "admin/attendance/import_roster.html", ctx)

    def _import(self, request, text: str, *, confirm: bool, token: str):
        ctx = {**self.admin_site.each_context(request), "form": RosterUploadForm(), "title": _("Import a roster")}
        try:
            report = import_roster(text=text, confirm_renames=confirm)
        except RosterError as exc:
            messages.error(request, _("%(n)s bad rows; nothing was changed.") % {"n": len(exc.problems)})
            ctx["problems"] = exc.problems
            return render(request, "admin/attendance/import_roster.html", ctx, status=400)
        except RenamesToConfirm as exc:
            ctx.update(renames=exc.renames, token=token)
            return render(request, "admin/attendance/import_roster.html", ctx)
        cache.delete(_pending_import_key(request, token))
        if report.without_password:
            sheet = reverse("admin:accounts_user_invitations") + "?without_password=1"
            messages.success(
                request, format_html('{} <a href="{}">{}</a>.', report.summary, sheet, _("Open the invitation sheet"))
            )
        else:
            messages.success(request, report.summary)
        return redirect("admin:attendance_course_changelist")


PENDING_IMPORT_SECONDS = 30 * 60


def _pending_import_key(request, token: str) -> str:
    """An uploaded roster waiting for its renames to be confirmed, by the same administrator."""
    return f"roster-import:{request.user.pk}:{token}"


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    change_list_template = "admin/attendance/enrollment/change_list.html"  # "Import roster" here too
    list_display = ("student", "course", "enrolled_at")
    list_filter = ("course",)
    search_fields = ("student__school_number", "student__full_name", "course__code", "course__title")
    autocomplete_fields = ("student",)
    list_select_related = ("student", "course")
