"""University single sign-on: OpenID Connect's authorization code flow with PKCE, through Authlib.

Authlib reads the provider's configuration from its issuer URL (``/.well-known/openid-configuration``),
keeps state, nonce and the PKCE verifier in the login session, and checks the ID token: its signature
against the provider's published keys, its issuer, audience, expiry and nonce. This module decides who
the person is: the school number claim finds the account (the roster import made it); an unknown number
gets a page saying so, unless accounts are created for its role; the role claim can make a teacher, and
an administrator only when ``OIDC_STAFF_VALUES`` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

logger = logging.getLogger(__name__)
User = get_user_model()
NAME = "campus"


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def password_login_allowed() -> bool:
    """Passwords can be turned off only where single sign-on is there to replace them."""
    return settings.PASSWORD_LOGIN or not enabled()


@lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, secret: str, scopes: str, timeout: int):
    from authlib.integrations.django_client import OAuth

    oauth = OAuth()
    oauth.register(
        NAME,
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "timeout": timeout},
    )
    return oauth.create_client(NAME)


def client():
    """The provider's client, for the current settings (tests change them)."""
    return _client(
        settings.OIDC_ISSUER,
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        settings.OIDC_SCOPES,
        settings.OIDC_TIMEOUT,
    )


class SignInRefused(Exception):
    """Why a signed-in person gets no session here (shown to them)."""

    def __init__(self, message: str, *, unknown: bool = False):
        super().__init__(message)
        self.unknown = unknown


@dataclass(frozen=True)
class Identity:
    subject: str
    school_number: str
    full_name: str
    role: str  # student / teacher / admin, from the role claim


def identity(claims: dict) -> Identity:
    from django.utils.translation import gettext as _

    number = str(claims.get(settings.OIDC_NUMBER_CLAIM) or "").strip()
    if not number or len(number) > 32:
        raise SignInRefused(_("Your university account has no school number this site can use."))
    roles = claims.get(settings.OIDC_ROLE_CLAIM) or []
    roles = {roles} if isinstance(roles, str) else {str(r) for r in roles}
    if settings.OIDC_STAFF_VALUES and roles & set(settings.OIDC_STAFF_VALUES):
        role = User.Role.ADMIN
    elif roles & set(settings.OIDC_TEACHER_VALUES):
        role = User.Role.TEACHER
    else:
        role = User.Role.STUDENT
    name = str(claims.get("name") or number)[:150]
    return Identity(subject=str(claims["sub"]), school_number=number, full_name=name, role=role)


RANK = {User.Role.STUDENT: 0, User.Role.TEACHER: 1, User.Role.ADMIN: 2}


@transaction.atomic
def user_for(person: Identity):
    """The account of a signed-in person: the imported one with that school number (linked at the first
    login, then only to the same subject); created only for the roles OIDC_CREATE_ROLES names."""
    from django.utils.translation import gettext as _

    user = User.objects.select_for_update().filter(school_number=person.school_number).first()
    if user is None:
        if person.role not in settings.OIDC_CREATE_ROLES:
            raise SignInRefused(_("Your account is not in any course yet; ask your department."), unknown=True)
        user = User.objects.create_user(
            person.school_number, full_name=person.full_name, role=person.role, sso_subject=person.subject
        )
        logger.info("Single sign-on created %s (%s)", user.school_number, user.role)
        return user
    if not user.is_active:
        raise SignInRefused(_("This account is disabled. Ask an administrator."))
    if user.sso_subject and user.sso_subject != person.subject:
        logger.warning("Single sign-on: %s arrived with another subject", user.school_number)
        raise SignInRefused(_("This school number belongs to another university account. Ask your department."))
    changed = []
    if not user.sso_subject:
        user.sso_subject = person.subject
        changed.append("sso_subject")
    if RANK[person.role] > RANK[user.role]:  # the claim may raise (within what is configured), never lower
        user.role = person.role
        changed += ["role", "is_staff"]
    if changed:
        user.save(update_fields=changed)
    return user
