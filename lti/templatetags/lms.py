"""The LMS's part of the course page and the operations page: the link and each course's last roster sync."""

from django import template
from django.db.models import Count, Q
from django.utils.translation import gettext

from ..models import LmsCourse, RosterSync, ScorePush

register = template.Library()


@register.inclusion_tag("lti/partials/course_lms.html")
def lms_course(course):
    """The course's LMS link and its last roster sync (two queries; none of this on a course without a link)."""
    link = LmsCourse.objects.select_related("context").filter(course=course).first()
    sync = link.syncs.first() if link else None
    skipped = [(who, gettext(reason)) for who, reason in sync.skipped] if sync else []
    scores = (
        link.scores.aggregate(sent=Count("pk", filter=Q(state="sent")), failed=Count("pk", filter=Q(state="failed")))
        if link
        else {}
    )
    return {"link": link, "sync": sync, "skipped": skipped, "scores": scores}


@register.inclusion_tag("lti/partials/ops_lms.html")
def lms_operations():
    """Every linked course's last roster sync, failures first."""
    latest = {}
    for sync in RosterSync.objects.select_related("link__course").order_by("link_id", "-at").distinct("link_id"):
        latest[sync.link_id] = sync
    syncs = sorted(latest.values(), key=lambda s: (not s.error, s.link.course.code))
    refused = (
        ScorePush.objects.filter(state=ScorePush.State.FAILED)
        .values("link__course__code")
        .annotate(n=Count("pk"))
        .order_by("link__course__code")
    )
    return {"syncs": syncs, "links": LmsCourse.objects.count(), "refused": list(refused)}
