"""Attendance as a grade column (Assignment and Grade Services, the loopback platform's gradebook): a sweep that
saves a session of a linked course pushes scores that match the course report, a correction pushes again,
the same score is not sent twice, nothing goes before the first saved session, and a refused score is kept,
shown on the operations page and sent again by the retry."""

import pytest
import requests
from django.test import Client
from django.urls import reverse

from accounts.models import User
from attendance.history.reports import course_report
from lti.grades import scores_push
from lti.models import LmsCourse, ScorePush
from lti.tasks import retry_scores
from tests.lti_platform import platform, register, walk

TEACHER = {"user": "lms-t1", "number": "T7001", "name": "Ilse Instructor", "role": "Instructor"}
LENA = {"user": "lms-s1", "number": "S7001", "name": "Lena Learner", "role": "Learner"}
MO = {"user": "lms-s2", "number": "S7002", "name": "Mo Learner", "role": "Learner"}


@pytest.fixture(scope="module")
def issuer():
    with platform() as url:
        yield url


@pytest.fixture
def link(db, issuer, client):
    register(issuer)
    keys = client.get("/lti/jwks/").json()["keys"]
    requests.post(f"{issuer}/control/tool-jwks", json={"client": "attn", "keys": keys}, timeout=10)
    for person in (TEACHER, LENA, MO):
        walk(Client(), issuer, **person, context="course-g")
    return LmsCourse.objects.select_related("course").get()


def received(issuer, link) -> dict[str, float]:
    """The latest score the platform holds per LMS user of this course."""
    scores = [s for s in requests.get(f"{issuer}/control/scores", timeout=10).json() if s["context"] == "course-g"]
    return {s["userId"]: s["scoreGiven"] for s in scores}


def sweep_session(link, statuses, django_capture_on_commit_callbacks, monkeypatch):
    """A finished live session of the course with these records, saved by the real sweep task."""
    from django_q.conf import Conf

    from attendance.tasks import sweep_due
    from attendance.tests.sweep_helpers import due_session, live_record

    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's tasks, run in this process
    teacher = link.course.teachers.get()
    records = [live_record(number, name, status) for number, name, status in statuses]
    due_session(records=records, course=link.course, teacher_number=teacher.school_number)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_due()


@pytest.mark.django_db
def test_a_sweep_pushes_scores_that_match_the_course_report(
    link, issuer, django_capture_on_commit_callbacks, monkeypatch
):
    assert str(scores_push(course_id=link.course.pk)) == "nothing to send before the first saved session"
    sweep_session(link, [("S7001", "Lena Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    sweep_session(link, [("S7002", "Mo Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    report = {line.school_number: line.rate for line in course_report(link.course).lines}
    assert report == {"S7001": 50.0, "S7002": 50.0}
    assert received(issuer, link) == {"lms-s1": 50.0, "lms-s2": 50.0}
    assert set(ScorePush.objects.values_list("state", flat=True)) == {"sent"}
    link.refresh_from_db()
    assert link.lineitem_url.startswith(f"{issuer}/ags/course-g/lineitems/")
    # The same scores again: nothing is sent.
    before = len(requests.get(f"{issuer}/control/scores", timeout=10).json())
    assert str(scores_push(course_id=link.course.pk)).startswith("0 scores sent, 0 refused, 2 unchanged")
    assert len(requests.get(f"{issuer}/control/scores", timeout=10).json()) == before


@pytest.mark.django_db
def test_a_correction_pushes_again(link, issuer, django_capture_on_commit_callbacks, monkeypatch):
    from attendance.history.corrections import record_change_status
    from attendance.models import AttendanceRecord

    sweep_session(link, [("S7001", "Lena Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    assert received(issuer, link) == {"lms-s1": 100.0, "lms-s2": 0.0}
    record = AttendanceRecord.objects.get(student__school_number="S7002")
    with django_capture_on_commit_callbacks(execute=True):
        record_change_status(record=record, by=link.course.teachers.get(), status="excused", reason="Doctor")
    assert received(issuer, link) == {"lms-s1": 100.0, "lms-s2": 100.0}  # excused counts as present here


@pytest.mark.django_db
def test_the_counting_policy_is_the_scoring_mode(link, issuer, django_capture_on_commit_callbacks, monkeypatch):
    from attendance.history.corrections import course_set_policy

    sweep_session(link, [("S7001", "Lena Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        course_set_policy(course=link.course, rate_policy="term", planned_sessions=4, excused_counts_as_present=True)
    assert received(issuer, link) == {"lms-s1": 25.0, "lms-s2": 0.0}  # one of the term's four planned sessions


@pytest.mark.django_db
def test_a_refused_score_is_kept_shown_and_retried(
    link, issuer, staff, django_capture_on_commit_callbacks, monkeypatch
):
    requests.post(f"{issuer}/control/refuse-scores", json={"times": 1}, timeout=10)
    sweep_session(link, [("S7001", "Lena Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    failed = ScorePush.objects.get(state="failed")
    assert failed.error and failed.attempts == 1
    admin = Client()
    admin.force_login(staff)
    page = admin.get(reverse("adminpanel:operations"))
    assert "refused by the LMS" in page.text and link.course.code in page.text
    lena = User.objects.get(school_number=failed.student.school_number)
    assert retry_scores().startswith(f"{link.course.pk}: 1 scores sent")
    assert ScorePush.objects.get(student=lena).state == "sent"
    assert received(issuer, link)[{"S7001": "lms-s1", "S7002": "lms-s2"}[lena.school_number]] in (0.0, 100.0)
    assert retry_scores() == "nothing to retry"


@pytest.mark.django_db
def test_an_approved_excuse_pushes_again(link, issuer, django_capture_on_commit_callbacks, monkeypatch):
    from django.utils import timezone

    from attendance.excuses.service import decide
    from attendance.models import AttendanceRecord, ExcuseRequest

    sweep_session(link, [("S7001", "Lena Learner", "present")], django_capture_on_commit_callbacks, monkeypatch)
    assert received(issuer, link)["lms-s2"] == 0.0
    mo = User.objects.get(school_number="S7002")
    day = timezone.localdate(AttendanceRecord.objects.get(student=mo).attendance.starts_at)
    excuse = ExcuseRequest.objects.create(student=mo, course=link.course, first_day=day, last_day=day, reason="Ill")
    with django_capture_on_commit_callbacks(execute=True):
        decide(request_id=excuse.pk, by=link.course.teachers.get(), approve=True)
    assert received(issuer, link)["lms-s2"] == 100.0
