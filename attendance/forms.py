"""Form parts that several packages share: the browser's position, a correction's reason."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PositionFields(forms.Form):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def position(self):
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        return (lat, lon) if lat is not None and lon is not None else None


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, label=_("Reason"))
