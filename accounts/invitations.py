"""One-time invitation links: how a student created by the roster import (no password) gets in.

A link carries Django's password-reset token for the user: it stops working
once the password is set (the token covers the password hash and the last
login) and after INVITATION_DAYS.  Administrators print the sheet or mail it.
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def invitation_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:invitation", args=[uid, default_token_generator.make_token(user)])
