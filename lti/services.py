"""A checked launch turned into a person, their account and their course."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_q.tasks import async_task
from lti_tool.models import LtiRegistration
from lti_tool.utils import sync_data_from_launch

from accounts.models import User

from . import courses, deep_linking, launch, people
from .middleware import frame_origins


@dataclass(frozen=True)
class Landing:
    user: User
    url: str
    frame_origins: list[str]
    deep_link: dict | None = None  # the content picker waiting for the instructor's choice


def launch_accept(request) -> Landing:
    """Check the launch posted by the platform, then find (or make) the account and the course: where the person
    lands and which origins may frame their pages. LaunchRefused (with the reason) otherwise. A content
    picker's launch (deep linking) is an instructor's, and lands on the page that chooses what to place."""
    lti_launch = launch.validate(request)
    picking = lti_launch.is_deep_link_launch
    if not (lti_launch.is_resource_launch or picking):
        raise launch.LaunchRefused(_("ATTN opens from a link placed in the LMS course."))
    if not (lti_launch.context_claim or {}).get("id"):
        raise launch.LaunchRefused(_("This launch did not say which LMS course it came from."))
    claims = lti_launch.get_launch_data()
    who = people.person(claims)  # before anything is written
    if picking and who.role == User.Role.STUDENT:
        raise launch.LaunchRefused(_("Only the course's instructors place ATTN in an LMS course."), 403)
    picker = deep_linking.picker_request(lti_launch) if picking else None
    sync_data_from_launch(lti_launch)
    user = people.user_for(who, lti_launch.user)
    course = courses.course_for_launch(context=lti_launch.context, user=user, role=who.role)
    if who.role != User.Role.STUDENT and lti_launch.context.memberships_url:
        link_id = course.lms_link.pk
        transaction.on_commit(lambda: async_task("lti.tasks.sync_roster", link_id, "launch"))
    registration = lti_launch.registration
    return_url = (lti_launch.launch_presentation_claim or {}).get("return_url") or ""
    origins = frame_origins(registration.issuer, registration.auth_url, str(return_url))
    if picker is not None:
        return Landing(user, reverse("lti:deep_link"), origins, deep_link={**picker, "course": course.pk})
    return Landing(user=user, url=courses.landing(course=course, user=user), frame_origins=origins)


def platform_origins() -> list[str]:
    """Every active platform's origins: who may frame the login's and the refusals' pages (no action on them)."""
    urls = LtiRegistration.objects.active().values_list("issuer", "auth_url")
    return frame_origins(*(url for pair in urls for url in pair))
