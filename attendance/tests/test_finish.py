"""Finishing a live session: check-ins stop, the sweep is asked for, the finished page moves on."""

import pytest
from django.urls import reverse
from django_q.signing import SignedPackage

from attendance import live, sweep
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import AttendanceFactory

from .live_helpers import check_in_as, url

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


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
    response = teacher_client.get(url("live_roster", session), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == url("finished", session)
    # The projector stays on its own page and says the session ended (test_projector.py).
    assert teacher_client.get(url("projector_code", session), HTTP_HX_REQUEST="true").status_code == 286
    login(client, other_teacher)
    assert client.get(url("live_roster", session)).status_code == 404


def test_the_finished_page_moves_on_when_the_sweep_completes_while_it_reads(
    monkeypatch, teacher_client, session, student, clock
):
    """The sweep saves the session and deletes its live keys just as the page looks: never a 404."""
    check_in_as(session, student, now=clock.now)
    live_sessions.session_finish(session=session)
    read_live = live.get_session
    swept = []

    def sweep_then_read(sid):
        monkeypatch.setattr(live, "get_session", read_live)  # once: the sweep reads the store too
        swept.append(sweep.run(session_id=sid, trigger="finish"))
        return read_live(sid)

    monkeypatch.setattr(live, "get_session", sweep_then_read)
    response = teacher_client.get(url("finished", session))
    assert response.status_code == 302
    assert response.url == reverse("attendance:session_detail", args=[session.id])
    assert swept[0].processed == 1
