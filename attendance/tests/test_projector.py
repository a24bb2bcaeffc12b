"""The projector: the rotating code, its QR code, and moving on when the session ends."""

import pytest
import segno

from attendance import sweep
from attendance.checkin import proofs as verification
from attendance.teaching import roster
from attendance.teaching import service as live_sessions
from conftest import login

from .live_helpers import check_in, code, start, url

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = pytest.mark.usefixtures("single_sweep_thread")


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
    assert "Starts at " in page and code(later, clock.now) not in page and "<svg" not in page


def test_the_projector_counts_check_ins(teacher_client, session, student, clock):
    check_in(session, student, clock.now)
    assert b'id="checked-in-count">1<' in teacher_client.get(url("projector_code", session)).content


def test_after_the_end_the_projector_shows_no_name_only_that_the_session_ended(
    teacher_client, teacher, course, session, student, clock
):
    """The projector faces the class: after "Finish now" (and once saved) no name, status or reason."""
    check_in(session, student, clock.now)
    live_sessions.session_finish(session=session)
    pages = [teacher_client.get(url("projector_code", session)), teacher_client.get(url("projector", session))]
    sweep.run(session_id=session.id, trigger="finish")
    pages += [teacher_client.get(url("projector_code", session)), teacher_client.get(url("projector", session))]
    for page in pages:
        text = page.content.decode()
        assert "This session has ended." in text and 'id="checked-in-count">1<' in text
        assert student.full_name not in text and student.school_number not in text
        assert "HX-Redirect" not in page.headers
    assert [page.status_code for page in pages] == [286, 200, 286, 200]  # 286: htmx stops polling


def test_the_projector_counts_neither_rejected_nor_excused_students(teacher_client, teacher, session, student, clock):
    check_in(session, student, clock.now)
    roster.roster_mark(session=session, by=teacher, school_number=student.school_number, action="reject", reason="No")
    assert b'id="checked-in-count">0<' in teacher_client.get(url("projector_code", session)).content


def test_the_projector_refuses_the_wrong_method_and_outsiders(client, teacher_client, other_teacher, session):
    assert teacher_client.post(url("projector", session)).status_code == 405
    assert teacher_client.post(url("projector_code", session)).status_code == 405
    login(client, other_teacher)
    assert client.get(url("projector", session)).status_code == 404
    assert client.get(url("projector_code", session)).status_code == 404
