from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import ReferencePhoto
from ..ops import roster_import
from ..photos import images, references

MAX_ROSTER_BYTES = 20 * 1024 * 1024


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file (school number, full name, course code)"))

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            data["text"], data["note"] = roster_import.decode(upload.read())
        except roster_import.RosterError as exc:
            raise forms.ValidationError(exc.problems[0][1]) from None
        return data


class ReferencePhotoForm(forms.ModelForm):
    """One reference photo: the student and the picture (its face is read in the worker)."""

    upload = forms.FileField(label=_("Photo"), help_text=_("One face, looking at the camera; JPEG, PNG or WebP."))

    class Meta:
        model = ReferencePhoto
        fields = ["student"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            return images.clean(upload.read(settings.PHOTO_MAX_BYTES + 1))
        except images.PhotoRefused as exc:
            raise forms.ValidationError(str(exc)) from None


class ReferenceZipForm(forms.Form):
    archive = forms.FileField(label=_("ZIP of <school number>.jpg files"))

    def clean_archive(self):
        upload = self.cleaned_data["archive"]
        try:
            self.photos = references.check_archive(upload)
        except references.ArchiveRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload
