"""The meeting report's upload, and the teacher's ticks on the names that only look alike."""

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _


class MeetingReportForm(forms.Form):
    report = forms.FileField(
        label=_("Attendance report of the meeting (Zoom, Teams or BigBlueButton, CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    min_share = forms.IntegerField(
        label=_("Present (remote) from this share of the session (%)"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    def clean_report(self):
        upload = self.cleaned_data["report"]
        if upload.size > settings.MEETING_REPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The report is larger than %(kb)s KB: is it the meeting's attendance report?"),
                params={"kb": settings.MEETING_REPORT_MAX_BYTES // 1024},
            )
        return upload.read()


class ApplyForm(forms.Form):
    plan = forms.CharField(widget=forms.HiddenInput)
    confirmed = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, similar_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed"].choices = [(i, i) for i in similar_ids]
