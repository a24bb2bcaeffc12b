"""One-time invitation links: how a student created by the roster import (no password) gets in.

A link carries Django's password-reset token for the user: it stops working
once the password is set (the token covers the password hash and the last
login) and after INVITATION_DAYS.  Administrators print the sheet, or e-mail each person their own link (in
their language, through one connection; sending again makes a fresh link, the older ones still work
until the password is set).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def invitation_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:invitation", args=[uid, default_token_generator.make_token(user)])


def email_invitations(people, absolute_url) -> tuple[int, int]:
    """E-mail each person with an address their invitation link; return (sent, without an address).

    ``absolute_url`` turns a path into the link a person opens (``request.build_absolute_uri``).
    """
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    messages, without = [], 0
    for person in people:
        if not person.email:
            without += 1
            continue
        context = {"person": person, "link": absolute_url(invitation_path(person)), "days": days}
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = " ".join(render_to_string("email/invitation_subject.txt", context).split())
            body = render_to_string("email/invitation.txt", context)
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages), without
