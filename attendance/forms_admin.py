from django import forms

MAX_ROSTER_BYTES = 20 * 1024 * 1024


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="CSV file (school number, full name, course code)")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        try:
            data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text. Save it as CSV (UTF-8).") from None
        return data
