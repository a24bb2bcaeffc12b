"""Form parts that several packages share: the browser's position, a correction's reason, a name's characters."""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def no_control_characters(value: str) -> None:
    """Refuse line breaks, tabs and other control characters (a name is printed in lists, exports and logs)."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValidationError(_("Line breaks, tabs and other control characters are not allowed here."))


class PositionFields(forms.Form):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def position(self):
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        return (lat, lon) if lat is not None and lon is not None else None


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, label=_("Reason"))
