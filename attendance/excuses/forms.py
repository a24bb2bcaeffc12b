"""A student's excuse request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Course, Status


class ExcuseRequestForm(forms.Form):
    course = forms.ModelChoiceField(queryset=None, label=_("Course"))
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("First day"))
    last_day = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Last day"),
        help_text=_("Empty: only the first day."),
    )
    reason = forms.CharField(max_length=255, label=_("Reason"))
    attachment = forms.FileField(
        required=False,
        label=_("Document (optional)"),
        help_text=_("A PDF, JPEG or PNG, such as a doctor's note; your teacher sees it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(enrollments__student=student).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("first_day") and not data.get("last_day"):
            data["last_day"] = data["first_day"]
        return data


class AppealForm(forms.Form):
    wanted = forms.TypedChoiceField(
        choices=[
            (Status.PRESENT, _("I was there: count me present")),
            (Status.EXCUSED, _("I had a reason: excuse me")),
        ],
        widget=forms.RadioSelect,
        label=_("What you ask for"),
    )
    reason = forms.CharField(max_length=255, label=_("Reason"))
    attachment = forms.FileField(
        required=False,
        label=_("Document (optional)"),
        help_text=_("A PDF, JPEG or PNG, such as a doctor's note; your teacher sees it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/jpeg,image/png"}),
    )
