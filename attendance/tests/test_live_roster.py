"""The teacher's live roster: who is in, who is missing, polled without a reload."""

import pytest

from attendance.teaching import service as live_sessions
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import check_in, start, url

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


# --- roster -----------------------------------------------------------------


def test_the_roster_page_shows_statuses_flags_and_missing_students(teacher_client, filled):
    response = teacher_client.get(url("live", filled))
    assert response.status_code == 200
    page = response.content.decode()
    assert "CS101 · Loops and lists" in page
    assert 'id="row-S1001"' in page and "Sam Student" in page
    assert (
        'id="row-S1002"' in page
        and "⚑ outside the allowed network" in page
        and "You are not on the classroom network" in page
    )
    assert 'id="row-S1003"' in page and "Mia Missing" in page
    assert "1 present" in page and "1 rejected" in page and "1 not checked in" in page
    assert page.index("row-S1001") < page.index("row-S1003")


def test_the_roster_partial_is_polled_without_the_layout(teacher_client, filled):
    response = teacher_client.get(url("live_roster", filled), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Rita Rejected" in response.content and b'<span class="badge missing">not yet</span>' in response.content


def test_the_roster_partial_sends_a_finished_session_to_the_finished_page(teacher_client, session):
    live_sessions.session_finish(session=session)
    response = teacher_client.get(url("live_roster", session), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("finished", session)
    assert teacher_client.get(url("live", session)).status_code == 404


def test_an_ad_hoc_roster_marks_nobody_as_not_enrolled(teacher_client, teacher, student, clock):
    adhoc = start(teacher, now=clock.now, lesson_name="Guest lecture")
    check_in(adhoc, student, clock.now)
    page = teacher_client.get(url("live", adhoc)).content
    assert b"Sam Student" in page and b"not enrolled" not in page and b"0 not checked in" in page


def test_a_student_outside_the_course_is_marked_not_enrolled(teacher_client, session, clock):
    check_in(session, UserFactory(school_number="S2002", full_name="Gus Guest"), clock.now)
    assert b"S2002 \xc2\xb7 not enrolled" in teacher_client.get(url("live", session)).content


def test_the_roster_search_ignores_case_as_turkish_does(session, course, student, clock):
    isil = UserFactory(school_number="S1007", full_name="Işıl Yıldız")
    EnrollmentFactory(course=course, student=isil)
    check_in(session, isil, clock.now)
    for query in ("IŞIL", "ışıl", "Işıl", "yıldız", "YILDIZ"):
        found = [row.school_number for row in live_sessions.live_roster(session=session, query=query).rows]
        assert found == ["S1007"], query
    assert live_sessions.live_roster(session=session, query="isil").rows == []  # "i" is not "ı" in Turkish
