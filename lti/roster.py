"""A linked course's members from the LMS (Names and Role Provisioning Service), on the roster import's rules.

The LMS is the roster of a linked course: its active learners are the course's students (new ones enrolled,
accounts made without a password as the CSV import makes them, names changed as the LMS has them), students
no longer among them are dropped (the enrolment goes, their records stay), and its instructors who have a
teacher's account are linked as teachers. The rules are the CSV import's (``attendance.ops.roster_import``):
a school number that belongs to a teacher or an administrator is never enrolled nor renamed, so a teacher is
never turned into a student, and every rename is listed. Each sync leaves a ``RosterSync`` row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop
from lti_tool.models import LtiUser
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from accounts.models import User
from attendance.models import Enrollment
from attendance.ops.roster_import import enrol, name_changes, other_roles, students_write

from .launch import PlatformSession
from .models import LmsCourse, RosterSync
from .people import role_of

logger = logging.getLogger(__name__)
NO_NUMBER = gettext_noop("the LMS gave no school number")
A_TEACHER = gettext_noop("a teacher's or an administrator's school number here: not enrolled as a student")
A_STUDENT = gettext_noop("an instructor in the LMS with a student's account here: not made a teacher")
NO_ACCOUNT = gettext_noop("an instructor in the LMS without an account here")


@dataclass(frozen=True)
class Member:
    user_id: str
    number: str
    name: str
    role: str | None
    active: bool


def fetch_members(link: LmsCourse) -> list[dict]:
    """The course's members, every page, as the platform lists them (an access token first)."""
    context = link.context
    registration = context.deployment.registration.to_registration()
    service = NamesRolesProvisioningService(
        ServiceConnector(registration, requests_session=PlatformSession()),
        {"context_memberships_url": context.memberships_url},
    )
    return service.get_members()


def _members(link: LmsCourse, data: list[dict]) -> list[Member]:
    """Each member with a school number: the field LTI_MEMBER_NUMBER_FIELD, else the account a launch linked."""
    registration = link.context.deployment.registration
    ids = [str(m.get("user_id", "")) for m in data]
    linked = dict(
        LtiUser.objects.filter(registration=registration, sub__in=ids, auth_user__isnull=False).values_list(
            "sub", "auth_user__school_number"
        )
    )
    members = []
    for m in data:
        user_id = str(m.get("user_id", ""))
        number = str(m.get(settings.LTI_MEMBER_NUMBER_FIELD) or linked.get(user_id) or "").strip()
        name = " ".join(str(m.get("name") or f"{m.get('given_name', '')} {m.get('family_name', '')}").split())
        active = str(m.get("status", "Active")) == "Active"
        number = number if 0 < len(number) <= 32 and number.isprintable() else ""
        members.append(Member(user_id, number, name[:150] or number, role_of(m.get("roles") or []), active))
    return members


def roster_sync(*, link_id: int, trigger: str = "schedule") -> RosterSync:
    """Read the LMS course's members and apply them to its ATTN course; a failure is noted, not raised."""
    link = LmsCourse.objects.select_related("context__deployment__registration", "course").get(pk=link_id)
    if not link.context.memberships_url:
        return RosterSync.objects.create(link=link, trigger=trigger, error="the LMS offers no roster (NRPS)")
    try:
        data = fetch_members(link)
    except (LtiException, LtiServiceException, requests.RequestException, ValueError, KeyError) as exc:
        logger.warning("LMS roster of %s could not be read: %s", link.course.code, exc)
        return RosterSync.objects.create(link=link, trigger=trigger, error=str(exc)[:500])
    return members_apply(link=link, members=_members(link, data), trigger=trigger)


@transaction.atomic
def members_apply(*, link: LmsCourse, members: list[Member], trigger: str) -> RosterSync:
    course = link.course
    sync = RosterSync(link=link, trigger=trigger)
    sync.skipped = [[m.name or m.user_id, NO_NUMBER] for m in members if not m.number and m.role]
    listed = [m for m in members if m.number and m.active]
    learners = {m.number: m.name for m in listed if m.role == User.Role.STUDENT}
    others = other_roles(learners)
    sync.skipped += [[number, A_TEACHER] for number in sorted(others)]
    learners = {number: name for number, name in learners.items() if number not in others}
    sync.renamed = [[r.school_number, r.old, r.new] for r in name_changes(learners)]
    before = set(Enrollment.objects.filter(course=course).values_list("student__school_number", flat=True))
    _created, _renamed, ids = students_write(learners)
    enrol({(course.pk, ids[number]) for number in learners if number in ids})
    sync.enrolled = sorted(set(ids) - before)
    _link_lms_users(link, {m.user_id: ids[m.number] for m in listed if m.number in ids and m.user_id})
    if members:  # an empty answer drops nobody: an LMS course always lists its instructor
        gone = Enrollment.objects.filter(course=course).exclude(student__school_number__in=list(ids))
        sync.dropped = sorted(gone.values_list("student__school_number", flat=True))
        gone.delete()
    sync.teachers, skipped = _link_teachers(course, [m for m in listed if m.role in (User.Role.TEACHER, "admin")])
    sync.skipped += skipped
    sync.save()
    return sync


def _link_lms_users(link: LmsCourse, accounts: dict[str, int]) -> None:
    """The LMS's user id of each student, for their grade: kept on django-lti's LtiUser, never relinked."""
    registration = link.context.deployment.registration
    known = set(LtiUser.objects.filter(registration=registration, sub__in=list(accounts)).values_list("sub", flat=True))
    linked = set(
        LtiUser.objects.filter(registration=registration, auth_user_id__in=list(accounts.values())).values_list(
            "auth_user_id", flat=True
        )
    )
    LtiUser.objects.bulk_create(
        [
            LtiUser(registration=registration, sub=sub, auth_user_id=pk)
            for sub, pk in accounts.items()
            if sub not in known and pk not in linked
        ],
        ignore_conflicts=True,
    )


def _link_teachers(course, instructors: list[Member]) -> tuple[list[str], list[list[str]]]:
    accounts = {u.school_number: u for u in User.objects.filter(school_number__in=[m.number for m in instructors])}
    linked, skipped = [], []
    for member in instructors:
        user = accounts.get(member.number)
        if user is None:
            skipped.append([member.number, NO_ACCOUNT])
        elif not user.is_teacher:
            skipped.append([member.number, A_STUDENT])
        elif not course.teachers.filter(pk=user.pk).exists():
            course.teachers.add(user)
            linked.append(member.number)
    return sorted(linked), skipped
