"""Who launched: the school number claim finds the account; the LMS role makes a teacher or a student.

Mirrors the single sign-on's rules (accounts.sso): the claim named by LTI_NUMBER_CLAIM carries the school
number; an unknown number gets an account only for the roles LTI_CREATE_ROLES names; Instructor makes a
teacher, Learner a student, and an administrator only when LTI_STAFF_ROLES names one of the person's LTI
roles. A role is raised, never lowered, so a teacher is never turned into a student. The platform's user
("sub") is linked to the account at the first launch and must stay the same person after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role

from accounts.sso import RANK

from .launch import LaunchRefused

logger = logging.getLogger(__name__)
User = get_user_model()
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"


@dataclass(frozen=True)
class Person:
    subject: str
    school_number: str
    full_name: str
    role: str  # student / teacher / admin


def claim_value(claims: dict, path: str):
    """A claim by LTI_NUMBER_CLAIM's syntax: ``name`` or ``name#key`` (a key inside the claim)."""
    name, _sep, key = path.partition("#")
    value = claims.get(name)
    if key:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def role_of(roles: list) -> str | None:
    """ATTN's role for a list of LTI roles; None when none of them has a page here."""
    full = {normalize_role(str(role)) for role in roles if role}
    short = {role.rpartition("#")[2] for role in full}
    if settings.LTI_STAFF_ROLES and short & set(settings.LTI_STAFF_ROLES):
        return User.Role.ADMIN
    if any(_is(role, ContextRole.INSTRUCTOR) for role in full):
        return User.Role.TEACHER
    if any(_is(role, ContextRole.LEARNER) for role in full):
        return User.Role.STUDENT
    return None


def _is(role: str, context_role: ContextRole) -> bool:
    """The role or one of its sub-roles (``membership/Instructor#TeachingAssistant``)."""
    return role == context_role.value or role.startswith(context_role.value.replace("#", "/") + "#")


def number_of(claims: dict) -> str:
    number = claim_value(claims, settings.LTI_NUMBER_CLAIM)
    number = str(number).strip() if isinstance(number, str | int) else ""
    return number if 0 < len(number) <= 32 and number.isprintable() else ""


def person(claims: dict) -> Person:
    """The person of a launch; LaunchRefused if the LMS did not say their school number or a usable role."""
    number = number_of(claims)
    if not number:
        raise LaunchRefused(_("The LMS did not send your school number, so ATTN cannot tell who you are."), 403)
    role = role_of(claims.get(ROLES) or [])
    if role is None:
        raise LaunchRefused(_("ATTN has pages for the course's instructors and students only."), 403)
    name = " ".join(str(claims.get("name") or "").split())[:150] or number
    return Person(subject=str(claims["sub"]), school_number=number, full_name=name, role=role)


@transaction.atomic
def user_for(who: Person, lti_user):
    """The account of the person who launched (django-lti's LtiUser links it to the platform's user)."""
    if lti_user.auth_user_id and lti_user.auth_user.school_number != who.school_number:
        logger.warning("LTI launch: %s arrived with school number %s", lti_user.sub, who.school_number)
        raise LaunchRefused(_("Your LMS account is linked to another ATTN account. Ask your department."), 403)
    user = User.objects.select_for_update().filter(school_number=who.school_number).first()
    if user is None:
        if who.role not in settings.LTI_CREATE_ROLES:
            raise LaunchRefused(_("Your account is not in any course yet; ask your department."), 403)
        user = User.objects.create_user(who.school_number, full_name=who.full_name, role=who.role)
        logger.info("LTI launch created %s (%s)", user.school_number, user.role)
    elif not user.is_active:
        raise LaunchRefused(_("This account is disabled. Ask an administrator."), 403)
    elif user.lti_users.exclude(pk=lti_user.pk).filter(registration=lti_user.registration).exists():
        raise LaunchRefused(_("This school number belongs to another LMS account. Ask your department."), 403)
    elif RANK[who.role] > RANK[user.role]:
        user.role = who.role
        user.save(update_fields=["role", "is_staff"])
    if lti_user.auth_user_id != user.pk:
        lti_user.auth_user = user
        lti_user.save(update_fields=["auth_user", "datetime_modified"])
    return user
