"""Saved sessions, their records and corrections, and the sweep's runs: read here, changed through the audited pages."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..models import Attendance, AttendanceRecord, RecordChange, SweepRun
from .calendar import DateHierarchyAdmin

User = get_user_model()


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log administrators read: nobody adds, changes or deletes its rows here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class AttendanceAdmin(DateHierarchyAdmin):
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
    # history page (history.corrections), which writes a RecordChange row.
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
class RecordChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "record", "changed_by", "old_status", "new_status", "reason")
    list_filter = ("new_status", ("changed_at", admin.DateFieldListFilter))
    search_fields = ("record__student__school_number", "record__student__full_name", "changed_by__full_name", "reason")
    list_select_related = ("record__student", "record__attendance", "changed_by")


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "trigger", "sessions_processed", "records_saved", "sessions_failed")
    list_filter = ("trigger", ("started_at", admin.DateFieldListFilter))
    readonly_fields = [f.name for f in SweepRun._meta.fields]
