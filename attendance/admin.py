import secrets

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_q.tasks import async_task

from . import clock, live
from .forms_admin import ReferencePhotoForm, ReferenceZipForm, RosterUploadForm
from .models import (
    Attendance,
    AttendanceRecord,
    Course,
    Enrollment,
    ExcuseRequest,
    NoClassDay,
    RecordChange,
    ReferencePhoto,
    ReferenceUpload,
    SweepRun,
    TimetableSlot,
)
from .photos import images, verify
from .services import timetable
from .services.roster_import import RenamesToConfirm, RosterError, import_roster

User = get_user_model()

# The import creates and renames users and enrols them: it needs what doing that by hand needs.
IMPORT_PERMISSIONS = ("accounts.add_user", "accounts.change_user", "attendance.add_enrollment")


def live_course_ids() -> set[int]:
    """Courses with a session open in Redis right now (their sessions still need them)."""
    return {session.course_id for session in live.open_sessions(clock.now()) if session.course_id}


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
        if obj is not None and obj.pk in live_course_ids():
            return False  # the live session's sweep would find its course gone
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        busy = queryset.filter(pk__in=live_course_ids())
        if busy.exists():
            codes = ", ".join(busy.values_list("code", flat=True))
            messages.error(request, _("Not deleted: %(codes)s has a live session. Finish it first.") % {"codes": codes})
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
            return self._import(request, form.cleaned_data["text"], confirm=False, token=token)
        ctx = {**self.admin_site.each_context(request), "form": form, "problems": problems, "renames": renames}
        ctx.update(title=_("Import a roster"), token=token)
        return render(request, "admin/attendance/import_roster.html", ctx, status=400 if form.errors else 200)

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
    list_display = ("student", "course", "enrolled_at")
    list_filter = ("course",)
    search_fields = ("student__school_number", "student__full_name", "course__code", "course__title")
    autocomplete_fields = ("student",)
    list_select_related = ("student", "course")


class RecordInline(admin.TabularInline):
    model = AttendanceRecord
    fields = ("student", "status", "checked_in_at", "source", "fail_reason", "is_deleted")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # Each row shows the record's text (student and session): fetched with it, not per row.
        return super().get_queryset(request).select_related("student", "attendance")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("lesson_name", "course", "teacher", "starts_at", "ends_at", "is_deleted")
    list_filter = ("is_deleted", "course", "network_mode", ("starts_at", admin.DateFieldListFilter))
    search_fields = ("lesson_name", "course__code", "teacher__full_name", "teacher__school_number")
    date_hierarchy = "starts_at"
    list_select_related = ("course", "teacher")
    raw_id_fields = ("teacher", "deleted_by")
    # Sessions are changed through the audited history pages; here they are read, never deleted.
    readonly_fields = [f.name for f in Attendance._meta.fields]
    inlines = [RecordInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChangeInline(admin.TabularInline):
    model = RecordChange
    fields = ("changed_at", "changed_by", "old_status", "new_status", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(admin.ModelAdmin):
    list_display = ("student", "attendance", "status", "checked_in_at", "source", "is_deleted")
    # No filter by course: 1,500 links on every page; the search takes a course code.
    list_filter = ("status", "source", "is_deleted", ("checked_in_at", admin.DateFieldListFilter))
    # Searched through the students and courses first (see get_search_results); the
    # fields are listed for the search box and its help text.
    search_fields = ("student__school_number", "student__full_name", "attendance__course__code")
    search_help_text = _(
        "A student's number or part of their name (the first 1,000 students it matches), or a course code."
    )
    list_select_related = ("student", "attendance")
    raw_id_fields = ("attendance", "student", "deleted_by")
    # Millions of rows: newest first by the primary key (an index walk), and no
    # second count of the whole table beside the search's own.
    ordering = ("-id",)
    show_full_result_count = False
    # A status change here would bypass the audit trail: corrections go through the session's
    # history page (services.corrections), which writes a RecordChange row.
    readonly_fields = [f.name for f in AttendanceRecord._meta.fields]
    inlines = [ChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """Find the students and sessions first, then their records through the record indexes.

        Django's default ORs a LIKE over joined columns, and even an OR of two
        subqueries makes PostgreSQL read every record; lists of ids let it
        combine two index scans.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        students = list(
            User.objects.filter(Q(school_number__iexact=term) | Q(full_name__icontains=term))
            .order_by("school_number")
            .values_list("pk", flat=True)[:SEARCH_STUDENTS]
        )
        sessions = list(Attendance.objects.filter(course__code__iexact=term).values_list("pk", flat=True))
        return queryset.filter(Q(student_id__in=students) | Q(attendance_id__in=sessions)), False


# A name search matching more students than this shows the records of the first ones.
SEARCH_STUDENTS = 1000


@admin.register(RecordChange)
class RecordChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "record", "changed_by", "old_status", "new_status", "reason")
    list_filter = ("new_status", ("changed_at", admin.DateFieldListFilter))
    search_fields = ("record__student__school_number", "record__student__full_name", "changed_by__full_name", "reason")
    list_select_related = ("record__student", "record__attendance", "changed_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExcuseRequest)
class ExcuseRequestAdmin(admin.ModelAdmin):
    """Read and search requests; decisions are the teacher's (their list), so that they are applied and audited."""

    list_display = ("student", "course", "first_day", "last_day", "state", "decided_by", "created_at")
    list_filter = ("state", ("first_day", admin.DateFieldListFilter))
    search_fields = ("student__school_number", "student__full_name", "course__code", "reason")
    list_select_related = ("student", "course", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TimetableSlot)
class TimetableSlotAdmin(admin.ModelAdmin):
    list_display = ("course", "weekday", "starts", "duration_minutes", "room", "first_day", "last_day", "teacher")
    list_filter = ("weekday",)
    search_fields = ("course__code", "room")
    list_select_related = ("course", "teacher")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        timetable.sync_planned(obj.course)

    def delete_model(self, request, obj):
        timetable.remove_slot(slot=obj)

    def delete_queryset(self, request, queryset):
        for slot in queryset.select_related("course"):
            timetable.remove_slot(slot=slot)


@admin.register(NoClassDay)
class NoClassDayAdmin(admin.ModelAdmin):
    """Holidays (no course) for the whole school, and cancelled classes of one course."""

    list_display = ("day", "reason", "course")
    list_filter = (("course", admin.EmptyFieldListFilter),)
    date_hierarchy = "day"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        timetable.resync(obj.course)

    def delete_model(self, request, obj):
        timetable.remove_no_class_day(entry=obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset.select_related("course"):
            timetable.remove_no_class_day(entry=entry)


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "trigger", "sessions_processed", "records_saved", "sessions_failed")
    list_filter = ("trigger", ("started_at", admin.DateFieldListFilter))
    readonly_fields = [f.name for f in SweepRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReferencePhoto)
class ReferencePhotoAdmin(admin.ModelAdmin):
    """Reference photos: one by one (add), or many at once as a ZIP (the "Upload a ZIP" button)."""

    list_display = ("student", "state", "origin", "created_at", "photo_link")
    list_filter = ("state", "origin")
    search_fields = ("student__school_number", "student__full_name")
    list_select_related = ("student",)
    autocomplete_fields = ("student",)
    actions = ("approve_offered",)
    change_list_template = "admin/attendance/referencephoto/change_list.html"

    @admin.display(description=_("Photo"))
    def photo_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">view</a>', reverse("attendance:reference_photo", args=[obj.pk])
        )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ReferencePhotoForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return (
            ()
            if obj is None
            else ("student", "state", "origin", "created_at", "decided_by", "decided_at", "photo_link")
        )

    def get_fields(self, request, obj=None):
        return ("student", "upload") if obj is None else self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.image = images.save("references", obj.student.school_number, form.cleaned_data["upload"])
        obj.state, obj.origin = ReferencePhoto.State.PROCESSING, ReferencePhoto.Origin.ADMIN
        super().save_model(request, obj, form, change)
        pk = obj.pk
        transaction.on_commit(lambda: async_task("attendance.tasks.encode_reference", pk))
        messages.info(request, _("The photo is being read; its state changes to Reference once its face is found."))

    @admin.action(description=_("Make the selected offered photos the students' references"))
    def approve_offered(self, request, queryset):
        approved = 0
        for reference in queryset.filter(state=ReferencePhoto.State.PROPOSED).exclude(encoding=None):
            verify.make_ready(reference, by=request.user)
            approved += 1
        messages.success(
            request,
            ngettext("%(n)s photo approved as reference.", "%(n)s photos approved as references.", approved)
            % {"n": approved},
        )

    def get_urls(self):
        extra = [
            path("upload-zip/", self.admin_site.admin_view(self.upload_zip_view), name="attendance_reference_zip"),
            path(
                "upload-zip/<int:upload_id>/",
                self.admin_site.admin_view(self.upload_progress_view),
                name="attendance_reference_zip_progress",
            ),
        ]
        return extra + super().get_urls()

    def upload_zip_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied(_("Uploading reference photos needs the permission to add them."))
        form = ReferenceZipForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = ReferenceUpload.objects.create(
                uploaded_by=request.user,
                archive=images.storage().save("uploads/references.zip", form.cleaned_data["archive"]),
                total=form.photos,
            )
            transaction.on_commit(lambda: async_task("attendance.tasks.import_references", upload.pk))
            return redirect("admin:attendance_reference_zip_progress", upload_id=upload.pk)
        ctx = {**self.admin_site.each_context(request), "form": form, "title": _("Upload reference photos (ZIP)")}
        return render(request, "admin/attendance/reference_zip.html", ctx, status=400 if form.errors else 200)

    def upload_progress_view(self, request, upload_id):
        if not self.has_view_permission(request):
            raise PermissionDenied(_("Reading uploads needs the permission to view reference photos."))
        upload = get_object_or_404(ReferenceUpload, pk=upload_id)
        ctx = {**self.admin_site.each_context(request), "upload": upload, "title": _("Reference photos: upload")}
        template = "admin/attendance/reference_zip_progress.html"
        if request.headers.get("HX-Request"):
            template = "admin/attendance/reference_zip_report.html"
        return render(request, template, ctx)
