from django import forms
from django.utils.translation import gettext_lazy as _


class DeepLinkForm(forms.Form):
    """What the content picker places in the LMS course: the course's attendance, under this title."""

    title = forms.CharField(
        label=_("Title of the link in the LMS course"),
        max_length=100,
        help_text=_("Teachers open the course's attendance from it; students, the check-in."),
    )
