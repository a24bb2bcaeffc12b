"""The teacher's spot check (issue 29): draw students counted present, call them out, "here" or "not here";
a "not here" is rejected with its reason and flag, in the change log once saved, and counted in the course
report; nobody is drawn twice in a session; the projector never shows it."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live, sweep
from attendance.models import AttendanceRecord, RecordChange, Status
from attendance.reasons import SPOT_CHECK_DRAWN, SPOT_CHECK_FAILED, SPOT_CHECK_PASSED
from attendance.teaching import roster
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import action, check_in, start, url

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


@pytest.fixture
def present(session, course, clock):
    """Eight students checked in to the session (each on a phone of their own)."""
    people = []
    for n in range(8):
        person = UserFactory(school_number=f"S30{n:02d}", full_name=f"Student {n}")
        EnrollmentFactory(course=course, student=person)
        check_in(session, person, clock.now, device=f"phone-{n:012d}")
        people.append(person)
    return people


def drawn(session) -> set[str]:
    return {n for n, r in live.get_records(session.id).items() if SPOT_CHECK_DRAWN in r.flags}


def test_a_spot_check_draws_among_those_counted_present_and_never_twice(teacher_client, session, present):
    absent_one = present[0].school_number
    assert teacher_client.post(action(session, absent_one, "reject"), {"reason": "Left"}).status_code in (200, 302)

    first = teacher_client.post(url("spot_check", session), {"size": 5}, headers={"hx-request": "true"})

    assert first.status_code == 200 and "Spot check: call out" in first.text
    once = drawn(session)
    assert len(once) == 5 and absent_one not in once
    assert all(f'id="spot-{number}"' in first.text for number in once)

    for number in once:  # answered: they stay out of the next draws
        teacher_client.post(action(session, number, "here"))
    second = teacher_client.post(url("spot_check", session), {"size": 5})
    assert second.status_code in (200, 302)
    twice = drawn(session)
    assert len(twice) == 2 and not twice & once and absent_one not in twice

    for number in twice:
        teacher_client.post(action(session, number, "here"))
    third = teacher_client.post(url("spot_check", session), {"size": 5}, headers={"hx-request": "true"})
    assert third.status_code == 400 and "Nobody counted present is left to draw" in third.text


def test_here_keeps_the_record_and_logs_nothing(teacher_client, session, present):
    roster.roster_spot_check(session=session, size=1)
    (number,) = drawn(session)

    assert teacher_client.post(action(session, number, "here")).status_code in (200, 302)

    record = live.get_record(session.id, number)
    assert record.status == Status.PRESENT
    assert SPOT_CHECK_PASSED in record.flags and SPOT_CHECK_DRAWN not in record.flags
    assert live.get_changes(session.id) == []
    roster_page = teacher_client.get(url("live_roster", session)).text
    assert "⚑ here at a spot check" not in roster_page  # passing is no warning


def test_not_here_rejects_the_record_and_the_saved_session_keeps_the_change(teacher_client, teacher, session, present):
    roster.roster_spot_check(session=session, size=1)
    (number,) = drawn(session)

    assert teacher_client.post(action(session, number, "not_here")).status_code in (200, 302)

    record = live.get_record(session.id, number)
    assert (record.status, record.reason, record.by_teacher) == (Status.REJECTED, roster.NOT_IN_THE_ROOM, True)
    assert SPOT_CHECK_FAILED in record.flags and SPOT_CHECK_DRAWN not in record.flags
    live_sessions.session_finish(session=session)
    assert sweep.run(session_id=session.id).processed == 1
    saved = AttendanceRecord.objects.get(attendance_id=session.id, student__school_number=number)
    assert saved.status == Status.REJECTED and SPOT_CHECK_FAILED in saved.flags
    change = RecordChange.objects.get(record=saved)
    assert (change.old_status, change.new_status, change.reason) == ("present", "rejected", roster.NOT_IN_THE_ROOM)
    assert change.changed_by == teacher


def test_an_answer_for_a_student_not_drawn_is_refused(teacher_client, session, present):
    number = present[0].school_number
    assert teacher_client.post(action(session, number, "not_here")).status_code == 404
    assert live.get_record(session.id, number).status == Status.PRESENT


def test_the_draw_size_is_checked(teacher_client, session, present):
    for size in ("0", "51", "many", ""):
        response = teacher_client.post(url("spot_check", session), {"size": size}, headers={"hx-request": "true"})
        assert response.status_code == 400 and "Draw between 1 and 50 students." in response.text
    assert drawn(session) == set()


def test_only_the_sessions_teacher_may_spot_check(client, session, present, other_teacher, student):
    for who in (other_teacher, student):
        login(client, who)
        assert client.post(url("spot_check", session), {"size": 5}).status_code in (403, 404)
    assert drawn(session) == set()


def test_the_projector_never_shows_who_was_drawn(teacher, session, present):
    roster.roster_spot_check(session=session, size=3)
    names = {live.get_record(session.id, n).full_name for n in drawn(session)}
    projector = login(Client(), teacher)
    for page in ("projector", "projector_code"):
        text = projector.get(url(page, session)).text
        assert not any(name in text for name in names)


def test_remote_students_of_a_hybrid_session_are_drawn_too(teacher, course, student, clock):
    session = start(teacher, course, now=clock.now, admits_remote=True)
    check_in(session, student, clock.now, source="remote")
    assert live.get_record(session.id, student.school_number).status == Status.REMOTE

    roster.roster_spot_check(session=session, size=5)

    assert drawn(session) == {student.school_number}


def test_the_course_report_counts_each_students_spot_checks(teacher_client, teacher, session, present, course):
    roster.roster_spot_check(session=session, size=2)
    failed, passed = sorted(drawn(session))
    teacher_client.post(action(session, failed, "not_here"))
    teacher_client.post(action(session, passed, "here"))
    live_sessions.session_finish(session=session)
    assert sweep.run(session_id=session.id).processed == 1

    page = teacher_client.get(reverse("attendance:course_report", args=[course.pk])).text

    row = page[page.index(f'id="student-{failed}"') :]
    assert "spot checks: 0 passed, 1 failed" in row[: row.index("</tr>")]
    row = page[page.index(f'id="student-{passed}"') :]
    assert "spot checks: 1 passed, 0 failed" in row[: row.index("</tr>")]
