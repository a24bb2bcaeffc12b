"""Attendance as a grade column in the LMS (Assignment and Grade Services).

One line item per linked course (found by its tag, made if missing); each student's score is the course
report's attendance rate (``attendance.history.reports.course_report``), so the course's counting policy is
the scoring mode: "to date" scores the sessions held so far, "term" the term's planned sessions. Nothing is
sent before the course's first saved session. A score equal to the one the LMS already took is not sent
again; one the LMS refused is kept as "failed" and sent again by the retry schedule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.db import transaction
from lti_tool.models import LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from attendance import clock
from attendance.history.reports import course_report

from .launch import PlatformSession
from .models import LmsCourse, ScorePush

logger = logging.getLogger(__name__)
TAG = "attn-attendance"
SCOPES = {
    "can_query_lineitems": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "can_manage_lineitems": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "can_publish_scores": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
}
FAILURES = (LtiException, LtiServiceException, requests.RequestException, ValueError, KeyError)


@dataclass
class Pushed:
    sent: int = 0
    failed: int = 0
    unchanged: int = 0
    note: str = ""

    def __str__(self):
        return self.note or f"{self.sent} scores sent, {self.failed} refused, {self.unchanged} unchanged"


def _service(link: LmsCourse) -> AssignmentsGradesService:
    context = link.context
    scopes = [scope for field, scope in SCOPES.items() if getattr(context, field)]
    connector = ServiceConnector(context.deployment.registration.to_registration(), requests_session=PlatformSession())
    return AssignmentsGradesService(connector, {"lineitems": context.lineitems_url, "scope": scopes})


def _lineitem(link: LmsCourse, ags: AssignmentsGradesService) -> LineItem:
    if link.lineitem_url:
        return LineItem({"id": link.lineitem_url})
    wanted = LineItem().set_tag(TAG).set_score_maximum(100).set_label(f"Attendance ({link.course.code})")
    found = ags.find_or_create_lineitem(wanted.set_resource_id(f"attn-course-{link.course.pk}"))
    LmsCourse.objects.filter(pk=link.pk).update(lineitem_url=found.get_id())
    link.lineitem_url = found.get_id()
    return found


def wanted_scores(link: LmsCourse) -> dict[int, float]:
    """Each student's score (0-100) by the course's counting policy; empty before the first saved session."""
    report = course_report(link.course)
    if not report.sessions:
        return {}
    return {line.student_id: round(line.rate, 2) for line in report.lines if line.rate is not None}


def scores_push(*, course_id: int) -> Pushed:
    """Send the course's changed scores to its LMS grade column."""
    link = LmsCourse.objects.select_related("context__deployment__registration", "course").filter(course_id=course_id)
    link = link.first()
    if link is None or not link.context.lineitems_url or not link.context.can_publish_scores:
        return Pushed(note="no grade column in the LMS")
    scores = wanted_scores(link)
    if not scores:
        return Pushed(note="nothing to send before the first saved session")
    subs = dict(
        LtiUser.objects.filter(registration=link.context.deployment.registration, auth_user_id__in=list(scores))
        .order_by("datetime_created")
        .values_list("auth_user_id", "sub")
    )
    last = {p.student_id: p for p in ScorePush.objects.filter(link=link)}
    due = {pk: s for pk, s in scores.items() if pk in subs and not _already(last.get(pk), s)}
    result = Pushed(unchanged=len([pk for pk in scores if pk in subs]) - len(due))
    if not due:
        return result
    try:
        ags = _service(link)
        lineitem = _lineitem(link, ags)
    except FAILURES as exc:
        logger.warning("LMS grade column of %s: %s", link.course.code, exc)
        return _note_failures(link, due, str(exc), result)
    for student_id, score in due.items():
        _send_one(link, ags, lineitem, student_id, subs[student_id], score, result)
    return result


def _already(push: ScorePush | None, score: float) -> bool:
    return push is not None and push.state == ScorePush.State.SENT and push.score == score


def _send_one(link, ags, lineitem, student_id: int, sub: str, score: float, result: Pushed) -> None:
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(100)
        .set_user_id(sub)
        .set_timestamp(clock.now_datetime().isoformat())
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
    )
    try:
        ags.put_grade(grade, lineitem)
    except FAILURES as exc:
        logger.warning("LMS refused the score of %s in %s: %s", student_id, link.course.code, exc)
        _record(link, student_id, score, ScorePush.State.FAILED, str(exc)[:500])
        result.failed += 1
        return
    _record(link, student_id, score, ScorePush.State.SENT, "")
    result.sent += 1


def _note_failures(link, due: dict[int, float], error: str, result: Pushed) -> Pushed:
    for student_id, score in due.items():
        _record(link, student_id, score, ScorePush.State.FAILED, error[:500])
    result.failed = len(due)
    return result


@transaction.atomic
def _record(link, student_id: int, score: float, state: str, error: str) -> None:
    push, created = ScorePush.objects.select_for_update().get_or_create(
        link=link, student_id=student_id, defaults={"score": score, "state": state, "error": error, "attempts": 1}
    )
    if not created:
        push.score, push.state, push.error, push.at = score, state, error, clock.now_datetime()
        push.attempts = push.attempts + 1 if state == ScorePush.State.FAILED else 1
        push.save()


def courses_to_retry() -> list[int]:
    return sorted(set(ScorePush.objects.filter(state=ScorePush.State.FAILED).values_list("link__course_id", flat=True)))
