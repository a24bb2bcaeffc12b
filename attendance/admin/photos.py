"""Reference photos: one by one, or many at once as a ZIP."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import storage
from ..models import ReferencePhoto, ReferenceUpload
from ..photos import images, verify
from .forms import ReferencePhotoForm, ReferenceZipForm


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
        transaction.on_commit(lambda: verify.enqueue_photo_task("attendance.tasks.encode_reference", pk))
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
                archive=storage.private().save("uploads/references.zip", form.cleaned_data["archive"]),
                total=form.photos,
            )
            transaction.on_commit(lambda: verify.enqueue_photo_task("attendance.tasks.import_references", upload.pk))
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
