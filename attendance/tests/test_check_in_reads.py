"""The student's check-in page reads without writing; a check-in joins a late enrolment to the session."""

import pytest
from django.urls import reverse

from attendance import live
from conftest import login
from tests.factories import EnrollmentFactory, UserFactory

from .checkin_helpers import wrong_code_page
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
    assert live.get_record(session.id, latecomer.school_number).status == "present"


def test_a_wrong_code_lists_the_students_sessions_again(client, session, latecomer, clock):
    page = wrong_code_page(client, "000000" if code(session, clock.now) != "000000" else "111111")
    assert session.title in page


def test_after_checking_in_the_page_says_so_instead_of_asking_for_the_code(client, session, latecomer, clock):
    from django.utils import timezone

    from attendance import clock as attn_clock

    assert "type the code on the screen" in client.get(HOME).content.decode()
    client.post(HOME, {"code": code(session, clock.now)})

    html = client.get(HOME).content.decode()
    at = timezone.localtime(attn_clock.to_datetime(clock.now)).strftime("%H:%M")
    assert f"you are checked in (present, {at})" in html
    assert "type the code on the screen" not in html


def test_a_rejected_check_in_says_why_and_asks_for_the_code_again(client, session, latecomer):
    from .live_helpers import put_record

    put_record(
        session, school_number=latecomer.school_number, full_name="Lale", status="rejected", reason="Wrong network."
    )

    html = client.get(HOME).content.decode()
    assert "your check-in was not accepted: Wrong network." in html
    assert "type the code on the screen" in html


def test_students_see_their_courses_upcoming_sessions_and_when_they_start(client, student, teacher, course):
    import time as time_module

    from django.utils import timezone

    from .live_helpers import start

    session = start(teacher, course, now=time_module.time(), started=-1800)  # starts in half an hour
    page = login(client, student).get(reverse("attendance:student_home")).content.decode()
    upcoming = page[page.index('id="upcoming"') :]
    local = timezone.localtime(session.starts_dt)
    assert "Loops and lists" in upcoming and f"at {local:%H:%M}" in upcoming
    assert f'id="open-{session.id}"' not in page, "not open for check-ins yet"


def test_the_teacher_and_the_projector_say_when_it_starts(client, teacher, course):
    import time as time_module

    from django.utils import timezone

    from .live_helpers import start

    session = start(teacher, course, now=time_module.time(), started=-1800)
    login(client, teacher)
    at = f"{timezone.localtime(session.starts_dt):%H:%M}"
    live_page = client.get(reverse("attendance:live", args=[session.id])).content.decode()
    assert "Not started yet: check-ins open at " + at in live_page
    projector = client.get(reverse("attendance:projector", args=[session.id])).content.decode()
    assert "Starts at " + at in projector
