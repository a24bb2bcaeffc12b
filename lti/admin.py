from django.contrib import admin

from .models import LmsCourse


@admin.register(LmsCourse)
class LmsCourseAdmin(admin.ModelAdmin):
    """An LMS course's ATTN course: made at the first instructor's launch, or chosen here (an existing course)."""

    list_display = ["context", "course", "linked_at"]
    list_select_related = ["context", "course"]
    raw_id_fields = ["context", "course"]
    search_fields = ["course__code", "course__title", "context__title", "context__label"]
