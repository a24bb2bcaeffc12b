"""The student's forms: the typed code, and the confirmation of a link (position, selfie)."""

import re

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from ..forms import PositionFields
from ..photos import images

# The code's one rule (the field's validator, and ``CodeForm.typed``'s shortcut).
CODE_RULE = re.compile(r"^\d{6}$")


class CodeField(forms.Form):
    # One rule and one message for every wrong shape (no length checks of their own beside it).
    code = forms.CharField(
        validators=[RegexValidator(CODE_RULE, _("The code has 6 digits."))],
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "maxlength": 6,
                "autocomplete": "one-time-code",
                "autofocus": True,
            }
        ),
        label=_("Code on the screen"),
        error_messages={"required": _("Type the 6-digit code shown on the screen.")},
    )


class CodeForm(CodeField, PositionFields):
    """The typed code (and the position, if the session asks for it)."""

    @staticmethod
    def typed(data) -> str | None:
        """The code of the common post — a well-formed code and no position — read without building the form
        (the check-in's hot path: a form copies its fields on every request); None: the form reads the post,
        and says what is wrong with it.  The same result as the form's ``cleaned_data["code"]``."""
        if data.get("latitude") or data.get("longitude"):
            return None
        code = data.get("code", "").strip()
        return code if CODE_RULE.search(code) else None


class ConfirmForm(PositionFields):
    """The QR/tap/code confirmation: the position, and a selfie, if the session asks for them."""

    photo = forms.FileField(
        required=False,
        label=_("Your selfie"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
    )

    # The live selfie (the page's camera script fills them): the second frame, head turned, and the id of
    # the challenge the page showed.  A photo chosen from a file comes without them.
    photo_turned = forms.FileField(required=False, widget=forms.FileInput(attrs={"accept": "image/*", "hidden": True}))
    challenge = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, photo_check: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.photo_check = photo_check
        if not photo_check:
            for name in ("photo", "photo_turned", "challenge"):
                del self.fields[name]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload is None:
            raise forms.ValidationError(_("Take a selfie (or choose a photo of your face) to check in."))
        return self._cleaned_photo(upload)

    def clean_photo_turned(self):
        upload = self.cleaned_data.get("photo_turned")
        return self._cleaned_photo(upload) if upload is not None else None

    @staticmethod
    def _cleaned_photo(upload) -> bytes:
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise forms.ValidationError(
                _("The photo is larger than %(mb)s MB: take it again."),
                params={"mb": settings.PHOTO_MAX_BYTES // 1024 // 1024},
            )
        try:
            return images.clean(upload.read())
        except images.PhotoRefused as exc:
            raise forms.ValidationError(str(exc)) from None


class RemoteForm(CodeField, ConfirmForm):
    """A hybrid session's remote check-in: the code the teacher's shared screen shows (the link alone checks
    nobody in), and the selfie if the session asks for one; no position (the student is elsewhere)."""
