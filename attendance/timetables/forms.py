"""A course's timetable: a weekly slot, a CSV import, a day without class."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from ..models import Attendance, TimetableSlot


class SlotForm(forms.ModelForm):
    """A weekly slot of a course's timetable (the session's checks as on the start form)."""

    class Meta:
        model = TimetableSlot
        fields = [
            "weekday",
            "starts",
            "duration_minutes",
            "room",
            "first_day",
            "last_day",
            "require_code",
            "network_mode",
            "one_device_per_student",
            "photo_check",
            "admits_remote",
        ]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "first_day": forms.DateInput(attrs={"type": "date"}),
            "last_day": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_slot_%s")  # the page's three forms share field names
        super().__init__(*args, **kwargs)
        # A session that opens by itself has no teacher's address to compare with.
        self.fields["network_mode"].choices = [
            (value, label) for value, label in Attendance.NetworkMode.choices if value != Attendance.NetworkMode.SAME
        ]
        self.fields["duration_minutes"].validators.append(MinValueValidator(5))
        self.fields["duration_minutes"].validators.append(MaxValueValidator(600))

    def clean(self):
        data = super().clean()
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            self.add_error("last_day", _("The last day comes before the first."))
        return data


class TimetableImportForm(forms.Form):
    """The CSV file, or, once the teacher confirms a change that crosses the threshold, its text again."""

    file = forms.FileField(label=_("CSV file (weekday, start, duration, room)"), required=False)
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("From"))
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Until"))
    text = forms.CharField(widget=forms.HiddenInput, required=False, max_length=256 * 1024, strip=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_import_%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            if not self.data.get("text"):
                raise forms.ValidationError(_("Choose a CSV file."))
            return None
        if upload.size > 256 * 1024:
            raise forms.ValidationError(_("A timetable file is at most 256 KB."))
        data = upload.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1254")

    def clean(self):
        data = super().clean()
        if data.get("file") is not None:
            data["text"] = data["file"]
        return data


class NoClassDayForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Day"))
    reason = forms.CharField(max_length=120, label=_("Reason"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_day_%s")
        super().__init__(*args, **kwargs)
