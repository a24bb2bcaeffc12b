"""The teacher's live pages: roster, corrections, adding students, projector, finish."""

import pytest
import segno
from django.urls import reverse
from django_q.signing import SignedPackage

from attendance import live, verification
from attendance.models import Status
from attendance.services import live_sessions
from conftest import login
from tests.factories import AttendanceFactory, EnrollmentFactory, UserFactory

from .live_helpers import check_in_as, code, messages_of, put_record, start

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


@pytest.fixture
def classmates(course):
    """Two more enrolled students: one who will be rejected, one who never comes."""
    rita = UserFactory(school_number="S1002", full_name="Rita Rejected")
    mia = UserFactory(school_number="S1003", full_name="Mia Missing")
    for person in (rita, mia):
        EnrollmentFactory(course=course, student=person)
    return rita, mia


def url(name, session, *args):
    return reverse(f"attendance:{name}", args=[session.id, *args])


def action(session, number, verb):
    return url("record_action", session, number, verb)


def check_in(session, student, now, **options):
    return check_in_as(session, student, now=now, **options).record


def record_of(session, number):
    return live.get_record(session.id, number)


# --- roster -----------------------------------------------------------------


@pytest.fixture
def filled(session, student, classmates, clock):
    """Sam checked in, Rita failed the network check, Mia has not come."""
    rita, _ = classmates
    check_in(session, student, clock.now)
    session.network_mode = "same"
    check_in(session, rita, clock.now, ip="10.9.9.9")
    return session


def test_the_roster_page_shows_statuses_flags_and_missing_students(teacher_client, filled):
    response = teacher_client.get(url("live", filled))
    assert response.status_code == 200
    page = response.content.decode()
    assert "CS101 · Loops and lists" in page
    assert 'id="row-S1001"' in page and "Sam Student" in page
    assert 'id="row-S1002"' in page and "⚑ network" in page and "You are not on the classroom network" in page
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


# --- corrections ------------------------------------------------------------


def test_it_accepts_a_rejected_check_in(teacher_client, filled, classmates):
    response = teacher_client.post(action(filled, "S1002", "accept"))
    assert response.status_code == 302 and response.url == url("live", filled)

    record = record_of(filled, "S1002")
    assert record["status"] == Status.PRESENT
    assert record["reason"] == "" and record["by_teacher"] is True
    assert record["source"] == "code" and record["flags"] == ["network"]


def test_an_accepted_student_keeps_the_teachers_decision(teacher_client, filled, classmates, clock):
    teacher_client.post(action(filled, "S1003", "accept"))
    assert check_in(filled, classmates[1], clock.now, ip="10.9.9.9")["status"] == Status.PRESENT
    assert record_of(filled, "S1003")["source"] == "teacher"


def test_it_rejects_with_a_reason(teacher_client, filled):
    teacher_client.post(action(filled, "S1001", "reject"), {"reason": "Left after ten minutes"})
    record = record_of(filled, "S1001")
    assert record["status"] == Status.REJECTED and record["reason"] == "Left after ten minutes"


def test_it_needs_a_reason_to_reject(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1001", "reject"), {"reason": ""})
    assert response.status_code == 400
    assert "Give a reason." in messages_of(response)
    assert record_of(filled, "S1001")["status"] == Status.PRESENT


def test_it_excuses_a_missing_student(teacher_client, filled):
    teacher_client.post(action(filled, "S1003", "excuse"), {"reason": "Doctor's note"})
    record = record_of(filled, "S1003")
    assert record["status"] == Status.EXCUSED
    assert record["reason"] == "Doctor's note"
    assert record["full_name"] == "Mia Missing" and record["checked_in_at"] is None


def test_it_removes_a_record_and_the_student_may_check_in_again(teacher_client, filled, student, clock):
    response = teacher_client.post(action(filled, "S1001", "remove"))
    assert response.status_code == 302
    assert record_of(filled, "S1001") is None
    assert check_in(filled, student, clock.now + 1)["status"] == Status.PRESENT


def test_an_htmx_action_answers_with_the_roster(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1002", "accept"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"2 present" in response.content


def test_it_refuses_an_unknown_action_or_student(teacher_client, filled):
    assert teacher_client.post(action(filled, "S1001", "promote")).status_code == 400
    assert teacher_client.post(action(filled, "S9999", "accept")).status_code == 404
    assert record_of(filled, "S9999") is None
    assert record_of(filled, "S1001")["status"] == Status.PRESENT


def test_corrections_refuse_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, filled):
    assert teacher_client.get(action(filled, "S1002", "accept")).status_code == 405
    login(client, other_teacher)
    assert client.post(action(filled, "S1002", "accept")).status_code == 404
    assert record_of(filled, "S1002")["status"] == Status.REJECTED


def test_corrections_stop_once_the_session_is_finished(teacher_client, filled):
    live_sessions.session_finish(session=filled)
    assert teacher_client.post(action(filled, "S1002", "accept")).status_code == 404
    assert not put_record(session=filled, school_number="S1002", full_name="Rita Rejected", status=Status.PRESENT)
    assert record_of(filled, "S1002")["status"] == Status.REJECTED


# --- adding students ----------------------------------------------------------


def test_it_adds_a_student_with_an_account_by_school_number(teacher_client, session):
    UserFactory(school_number="S3003", full_name="Ann Account")
    response = teacher_client.post(url("add_student", session), {"school_number": " S3003 ", "full_name": ""})
    assert response.status_code == 302 and response.url == url("live", session)
    assert "Ann Account (S3003) added as present." in messages_of(response)

    record = record_of(session, "S3003")
    assert record["status"] == Status.PRESENT and record["source"] == "teacher"
    assert record["full_name"] == "Ann Account" and record["by_teacher"] is True


def test_it_adds_a_student_without_an_account_when_named(teacher_client, session):
    response = teacher_client.post(url("add_student", session), {"school_number": "S4004", "full_name": ""})
    assert response.status_code == 400
    assert b"No account has this school number" in response.content
    assert record_of(session, "S4004") is None

    response = teacher_client.post(url("add_student", session), {"school_number": "S4004", "full_name": "Nell New"})
    assert response.status_code == 302
    record = record_of(session, "S4004")
    assert (record["school_number"], record["full_name"], record["status"]) == ("S4004", "Nell New", "present")


def test_a_school_number_with_a_slash_gets_its_actions(teacher_client, session):
    teacher_client.post(url("add_student", session), {"school_number": "2024/17", "full_name": "Sol Slash"})
    page = teacher_client.get(url("live", session))
    assert page.status_code == 200
    assert action(session, "2024/17", "reject").encode() in page.content

    response = teacher_client.post(action(session, "2024/17", "excuse"), {"reason": "Sick"})
    assert response.status_code == 302
    assert record_of(session, "2024/17")["status"] == Status.EXCUSED


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


# --- projector ----------------------------------------------------------------


def qr_of(link):
    return segno.make(link, error="m").svg_inline(scale=8, dark="#111", light="#fff", omitsize=True)


def test_the_projector_shows_the_current_code_and_a_qr_code_of_the_check_in_link(teacher_client, session, clock):
    current = code(session, clock.now)
    link = f"http://testserver{url('qr_link', session, current)}"
    for name in ("projector", "projector_code"):
        response = teacher_client.get(url(name, session))
        assert response.status_code == 200
        page = response.content.decode()
        assert f'data-code="{current}">{current}</div>' in page
        assert "<svg" in page and qr_of(link) in page
        assert f"new code in {verification.seconds_left_in_step(clock.now)} s" in page


def test_the_projector_code_rotates(teacher_client, session, clock, settings):
    clock.now += settings.CODE_STEP_SECONDS
    page = teacher_client.get(url("projector_code", session)).content.decode()
    upcoming = verification.code_for(session.secret, verification.current_step(clock.now))
    assert f'data-code="{upcoming}"' in page


def test_the_projector_of_a_no_code_session_links_to_the_check_in_page(teacher_client, teacher, clock):
    tapped = start(teacher, now=clock.now, require_code=False)
    page = teacher_client.get(url("projector", tapped)).content.decode()
    assert 'id="current-code"' not in page
    assert qr_of("http://testserver/checkin/") in page


def test_the_projector_waits_for_a_later_start(teacher_client, teacher, clock):
    later = start(teacher, now=clock.now, started=-600)
    page = teacher_client.get(url("projector", later)).content.decode()
    assert "Starts soon" in page and code(later, clock.now) not in page and "<svg" not in page


def test_the_projector_counts_check_ins(teacher_client, session, student, clock):
    check_in(session, student, clock.now)
    assert b'id="checked-in-count">1<' in teacher_client.get(url("projector_code", session)).content


def test_the_projector_code_partial_sends_a_finished_session_on(teacher_client, session):
    live_sessions.session_finish(session=session)
    response = teacher_client.get(url("projector_code", session))
    assert response.status_code == 204 and response["HX-Redirect"] == url("finished", session)
    assert teacher_client.get(url("projector", session)).status_code == 404


def test_the_projector_refuses_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, session):
    assert teacher_client.post(url("projector", session)).status_code == 405
    assert teacher_client.post(url("projector_code", session)).status_code == 405
    login(client, other_teacher)
    assert client.get(url("projector", session)).status_code == 404
    assert client.get(url("projector_code", session)).status_code == 404


# --- finish -------------------------------------------------------------------


def queued_tasks(broker) -> list[dict]:
    return [SignedPackage.loads(raw) for raw in broker.connection.lrange(broker.list_key, 0, -1)]


def test_finishing_stops_check_ins_at_once_and_enqueues_the_sweep(teacher_client, session, student, clock, task_queue):
    assert task_queue.queue_size() == 0
    response = teacher_client.post(url("finish", session))
    assert response.status_code == 302 and response.url == url("finished", session)

    stored = live.get_session(session.id)
    assert stored.state == live.FINISHED
    assert live.teacher_open_session_id("T1001") is None
    assert check_in_as(stored, student, now=clock.now).error == "This session is closed."
    assert live.count_records(session.id) == 0

    assert task_queue.queue_size() == 1
    (task,) = queued_tasks(task_queue)
    assert task["func"] == "attendance.tasks.sweep_session"
    assert task["args"] == (session.id,)
    assert task["name"] == f"sweep-{session.id}"


def test_finish_refuses_the_wrong_method_and_outsiders(
    client, teacher_client, other_teacher, student, session, task_queue
):
    assert teacher_client.get(url("finish", session)).status_code == 405
    login(client, other_teacher)
    assert client.post(url("finish", session)).status_code == 404
    assert live.get_session(session.id).state == live.OPEN
    assert task_queue.queue_size() == 0


def test_the_finished_page_waits_then_moves_on_to_the_saved_session(teacher_client, teacher, course, session):
    teacher_client.post(url("finish", session))
    response = teacher_client.get(url("finished", session))
    assert response.status_code == 200
    assert b"Session finished" in response.content

    AttendanceFactory(id=session.id, course=course, teacher=teacher)
    detail = reverse("attendance:session_detail", args=[session.id])
    response = teacher_client.get(url("finished", session))
    assert response.status_code == 302 and response.url == detail
    response = teacher_client.get(url("finished", session), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == detail


def test_the_finished_page_refuses_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, session):
    teacher_client.post(url("finish", session))
    assert teacher_client.post(url("finished", session)).status_code == 405
    login(client, other_teacher)
    assert client.get(url("finished", session)).status_code == 404


def test_polls_of_a_session_already_saved_by_the_sweep_move_on_to_the_finished_page(
    client, teacher_client, teacher, other_teacher, course, session
):
    live_sessions.session_finish(session=session)
    AttendanceFactory(id=session.id, course=course, teacher=teacher)
    live.delete_session(session.id)
    for name in ("live_roster", "projector_code"):
        response = teacher_client.get(url(name, session), HTTP_HX_REQUEST="true")
        assert response.status_code == 204 and response["HX-Redirect"] == url("finished", session)
    login(client, other_teacher)
    assert client.get(url("live_roster", session)).status_code == 404
