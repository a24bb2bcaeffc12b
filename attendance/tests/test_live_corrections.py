"""Correcting a live session: accept, reject, excuse, remove, and add students."""

import pytest

from attendance import live
from attendance.models import Status
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import UserFactory

from .live_helpers import action, check_in, messages_of, put_record, record_of, url

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


# --- corrections ------------------------------------------------------------


def test_it_accepts_a_rejected_check_in(teacher_client, filled, classmates):
    response = teacher_client.post(action(filled, "S1002", "accept"))
    assert response.status_code == 302 and response.url == url("live", filled)

    record = record_of(filled, "S1002")
    assert record.status == Status.PRESENT
    assert record.reason == "" and record.by_teacher is True
    assert record.source == "code" and record.flags == ["network"]


def test_an_accepted_student_keeps_the_teachers_decision(teacher_client, filled, classmates, clock):
    teacher_client.post(action(filled, "S1003", "accept"))
    assert check_in(filled, classmates[1], clock.now, ip="10.9.9.9").status == Status.PRESENT
    assert record_of(filled, "S1003").source == "teacher"


def test_it_rejects_with_a_reason(teacher_client, filled):
    teacher_client.post(action(filled, "S1001", "reject"), {"reason": "Left after ten minutes"})
    record = record_of(filled, "S1001")
    assert record.status == Status.REJECTED and record.reason == "Left after ten minutes"


def test_it_needs_a_reason_to_reject(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1001", "reject"), {"reason": ""})
    assert response.status_code == 400
    assert "Say why you reject this student." in messages_of(response)
    assert record_of(filled, "S1001").status == Status.PRESENT


def test_it_excuses_a_missing_student(teacher_client, filled):
    teacher_client.post(action(filled, "S1003", "excuse"), {"reason": "Doctor's note"})
    record = record_of(filled, "S1003")
    assert record.status == Status.EXCUSED
    assert record.reason == "Doctor's note"
    assert record.full_name == "Mia Missing" and record.checked_in_at is None


def test_it_removes_a_record_and_the_student_may_check_in_again(teacher_client, filled, student, clock):
    response = teacher_client.post(action(filled, "S1001", "remove"))
    assert response.status_code == 302
    assert record_of(filled, "S1001") is None
    assert check_in(filled, student, clock.now + 1).status == Status.PRESENT


def test_an_htmx_action_answers_with_the_roster(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1002", "accept"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"2 present" in response.content


def test_it_refuses_an_unknown_action_or_student(teacher_client, filled):
    assert teacher_client.post(action(filled, "S1001", "promote")).status_code == 400
    assert teacher_client.post(action(filled, "S9999", "accept")).status_code == 404
    assert record_of(filled, "S9999") is None
    assert record_of(filled, "S1001").status == Status.PRESENT


def test_corrections_refuse_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, filled):
    assert teacher_client.get(action(filled, "S1002", "accept")).status_code == 405
    login(client, other_teacher)
    assert client.post(action(filled, "S1002", "accept")).status_code == 404
    assert record_of(filled, "S1002").status == Status.REJECTED


def test_corrections_stop_once_the_session_is_finished(teacher_client, filled):
    live_sessions.session_finish(session=filled)
    assert teacher_client.post(action(filled, "S1002", "accept")).status_code == 404
    assert not put_record(session=filled, school_number="S1002", full_name="Rita Rejected", status=Status.PRESENT)
    assert record_of(filled, "S1002").status == Status.REJECTED


# --- adding students ----------------------------------------------------------


def test_it_adds_a_student_with_an_account_by_school_number(teacher_client, session):
    UserFactory(school_number="S3003", full_name="Ann Account")
    response = teacher_client.post(
        url("add_student", session), {"school_number": " S3003 ", "full_name": "", "add_anyway": "on"}
    )
    assert response.status_code == 302 and response.url == url("live", session)
    assert "Ann Account (S3003) added as present." in messages_of(response)

    record = record_of(session, "S3003")
    assert record.status == Status.PRESENT and record.source == "teacher"
    assert record.full_name == "Ann Account" and record.by_teacher is True


def test_it_adds_a_student_without_an_account_when_named(teacher_client, session):
    response = teacher_client.post(
        url("add_student", session), {"school_number": "S4004", "full_name": "", "add_anyway": "on"}
    )
    assert response.status_code == 400
    assert b"No account has this school number" in response.content
    assert record_of(session, "S4004") is None

    new = {"school_number": "S4004", "full_name": "Nell New", "add_anyway": "on"}
    response = teacher_client.post(url("add_student", session), new)
    assert response.status_code == 302
    record = record_of(session, "S4004")
    assert (record.school_number, record.full_name, record.status) == ("S4004", "Nell New", "present")


@pytest.mark.parametrize(
    "form",
    [
        {"school_number": "S4004", "full_name": "Nell\r\nNew"},
        {"school_number": "S4004", "full_name": "Nell\tNew"},
        {"school_number": "S4004", "full_name": "Nell\x1b[31mNew"},
        {"school_number": "S4004", "full_name": "Nell\u2028New"},
        {"school_number": "S40\n04", "full_name": "Nell New"},
    ],
)
def test_it_refuses_a_name_or_number_with_a_line_break_or_control_character(teacher_client, session, form):
    response = teacher_client.post(url("add_student", session), {**form, "add_anyway": "on"})
    assert response.status_code == 400
    assert "control characters are not allowed" in response.content.decode()
    assert live.get_records(session.id) == {}


def test_a_school_number_with_a_slash_gets_its_actions(teacher_client, session):
    teacher_client.post(
        url("add_student", session), {"school_number": "2024/17", "full_name": "Sol Slash", "add_anyway": "on"}
    )
    page = teacher_client.get(url("live", session))
    assert page.status_code == 200
    assert action(session, "2024/17", "reject").encode() in page.content

    response = teacher_client.post(action(session, "2024/17", "excuse"), {"reason": "Sick"})
    assert response.status_code == 302
    assert record_of(session, "2024/17").status == Status.EXCUSED


def test_only_students_are_added_and_to_a_course_only_its_enrolled_unless_confirmed(
    teacher_client, session, other_teacher, staff
):
    """A teacher's or the administrator's number is never a student; one not enrolled needs "add anyway"."""
    for account in (other_teacher, staff):
        form = {"school_number": account.school_number, "full_name": "", "add_anyway": "on"}
        response = teacher_client.post(url("add_student", session), form)
        assert response.status_code == 400 and b"only students are recorded" in response.content
        assert record_of(session, account.school_number) is None
        marked = teacher_client.post(action(session, account.school_number, "excuse"), {"reason": "Ill"})
        assert marked.status_code in (400, 404) and record_of(session, account.school_number) is None

    UserFactory(school_number="S5005", full_name="Una Unenrolled")
    response = teacher_client.post(url("add_student", session), {"school_number": "S5005", "full_name": ""})
    assert response.status_code == 400 and "not enrolled in CS101" in response.content.decode()
    assert record_of(session, "S5005") is None
    response = teacher_client.post(url("add_student", session), {"school_number": "S5005", "add_anyway": "on"})
    assert response.status_code == 302 and record_of(session, "S5005").status == Status.PRESENT


def test_it_refuses_to_add_without_a_school_number(teacher_client, session):
    response = teacher_client.post(url("add_student", session), {"school_number": "  ", "full_name": "Nobody"})
    assert response.status_code == 400
    assert live.count_records(session.id) == 0


def test_adding_refuses_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, session):
    assert teacher_client.get(url("add_student", session)).status_code == 405
    login(client, other_teacher)
    response = client.post(url("add_student", session), {"school_number": "S4004", "full_name": "Nell New"})
    assert response.status_code == 404
    assert live.count_records(session.id) == 0
