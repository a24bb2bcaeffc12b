"""The term's features: excuse requests, the timetable, the days without class and the meeting reports imported."""

from django.contrib import admin

from ..models import ExcuseRequest, MeetingImport, NoClassDay, TimetableSlot
from ..timetables import service as timetable
from .calendar import DateHierarchyAdmin
from .sessions import ReadOnlyAdmin


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
class NoClassDayAdmin(DateHierarchyAdmin):
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


@admin.register(MeetingImport)
class MeetingImportAdmin(ReadOnlyAdmin):
    """Read-only: each import of an online meeting's report, made on the teacher's session page."""

    list_display = ("imported_at", "attendance", "product", "imported_by", "remote", "absent", "unchanged", "unmatched")
    list_filter = ("product", ("imported_at", admin.DateFieldListFilter))
    search_fields = ("attendance__lesson_name", "attendance__course__code", "imported_by__full_name")
    list_select_related = ("attendance", "imported_by")
