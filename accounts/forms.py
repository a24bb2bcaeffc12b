from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="School number",
        max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        "invalid_login": "That school number and password do not match. Check both and try again.",
        "inactive": "This account is disabled. Ask an administrator.",
    }
