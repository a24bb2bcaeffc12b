"""The student's check-in page reads without writing; a check-in joins a late enrolment to the session."""

import pytest
from django.urls import reverse

from attendance import live
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import code

HOME = reverse("attendance:student_home")
pytestmark = pytest.mark.django_db


@pytest.fixture
def latecomer(client, course):
    """A student enrolled after the session started: missing from its enrolled snapshot."""
    student = UserFactory(school_number="S3003", full_name="Lale Latecomer")
    EnrollmentFactory(course=course, student=student)
    client.force_login(student)
    return student


def test_opening_the_page_lists_the_session_without_writing_to_redis(client, session, latecomer, redis_conn):
    before = redis_conn.info("commandstats")
    response = client.get(HOME)
    after = redis_conn.info("commandstats")

    assert response.status_code == 200 and session.title.encode() in response.content
    assert not live.is_enrolled(session.id, latecomer.school_number)
    writes = ("cmdstat_hset", "cmdstat_expireat", "cmdstat_evalsha", "cmdstat_eval")
    assert {w: after.get(w, {}).get("calls", 0) for w in writes} == {
        w: before.get(w, {}).get("calls", 0) for w in writes
    }


def test_a_check_in_joins_the_latecomer_to_the_snapshot(client, session, latecomer, clock):
    response = client.post(HOME, {"code": code(session, clock.now)})

    assert response.status_code == 302
    assert live.is_enrolled(session.id, latecomer.school_number)
    assert live.get_record(session.id, latecomer.school_number)["status"] == "present"


def test_a_wrong_code_lists_the_students_sessions_again(client, session, latecomer, clock):
    response = client.post(HOME, {"code": "000000" if code(session, clock.now) != "000000" else "111111"})
    assert response.status_code == 400
    assert session.title.encode() in response.content
