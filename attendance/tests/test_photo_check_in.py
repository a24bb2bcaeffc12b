"""A check-in with a selfie: pending at once, judged in the worker, shown to the teacher, swept in time."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from attendance import live, storage, tasks
from attendance.checkin import service as check_in
from attendance.models import AttendanceRecord, ReferencePhoto, Status
from attendance.photos import images, verify
from attendance.sweep import run as sweep_run
from attendance.sweep.persist import PHOTO_NOT_IN_TIME
from attendance.teaching import roster
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import TEACHER_IP, code, start
from .photo_helpers import astronaut_jpeg, cat_jpeg, jpeg, someone_else_jpeg

pytestmark = pytest.mark.faces

HOME = reverse("attendance:student_home")


@pytest.fixture
def photo_session(teacher, course, clock):
    return start(teacher, course, now=clock.now, photo_check=True)


@pytest.fixture
def reference(student):
    """The student's reference photo: the astronaut."""
    from attendance.photos import faces

    face = faces.encode(astronaut_jpeg())
    return ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", student.school_number, astronaut_jpeg()),
        encoding=list(face.encoding),
        state=ReferencePhoto.State.READY,
    )


def confirm_link(client, session, clock):
    response = client.post(HOME, {"code": code(session, clock.now)})
    assert response.status_code == 302
    assert "/go/" in response["Location"], "a photo session asks for the selfie on the confirmation page"
    return response["Location"]


def upload(data: bytes, name="selfie.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def check_in_with_photo(client, session, clock, photo: bytes):
    link = confirm_link(client, session, clock)
    return client.post(link, {"photo": upload(photo)})


def run_queued_photo_task(photo_queue):
    """Run the verification the check-in enqueued, as the worker would."""
    from django_q.signing import SignedPackage

    queued = [SignedPackage.loads(m[1]) for m in photo_queue.dequeue() or []]
    photo_tasks = [t for t in queued if t["func"] == "attendance.tasks.verify_photo"]
    assert len(photo_tasks) == 1, queued
    return tasks.verify_photo(*photo_tasks[0]["args"])


def test_a_typed_code_asks_for_the_selfie_first_and_writes_nothing(student_client, photo_session, clock):
    link = confirm_link(student_client, photo_session, clock)
    assert live.get_record(photo_session.id, "S1001") is None
    page = student_client.get(link)
    html = page.content.decode()
    assert 'capture="user"' in html and 'accept="image/*"' in html
    assert "deleted after 30 days" in html, "the page says what is stored and for how long"
    assert 'enctype="multipart/form-data"' in html


def test_the_photo_check_in_is_pending_then_present_on_a_match(
    student_client, photo_session, clock, reference, photo_queue
):
    response = check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg(quality=70))
    assert response.status_code == 302
    record = live.get_record(photo_session.id, "S1001")
    assert record.status == Status.PENDING and record.on_match == Status.PRESENT
    assert storage.private().exists(record.photo)
    result = student_client.get(reverse("attendance:result", args=[photo_session.id]))
    assert "Checking your photo" in result.content.decode()

    assert run_queued_photo_task(photo_queue) == verify.MATCH
    record = live.get_record(photo_session.id, "S1001")
    assert record.status == Status.PRESENT
    assert record.photo_result == verify.MATCH and record.photo_distance < 0.4


def test_the_result_page_polls_while_the_photo_is_checked_and_stops_after(
    student_client, photo_session, clock, reference, photo_queue
):
    """286 tells htmx to stop polling: the page stops asking once the verdict is in (and after the sweep)."""
    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg(quality=70))
    result = reverse("attendance:result", args=[photo_session.id])
    assert 'hx-trigger="every 3s"' in student_client.get(result).content.decode()
    assert student_client.get(result, HTTP_HX_REQUEST="true").status_code == 200  # still checking
    run_queued_photo_task(photo_queue)
    answer = student_client.get(result, HTTP_HX_REQUEST="true")
    assert answer.status_code == 286 and "Checking your photo" not in answer.content.decode()
    assert "hx-trigger" not in student_client.get(result).content.decode()


def test_a_mismatch_stays_for_the_teacher_with_the_distance(
    student_client, teacher, photo_session, clock, reference, photo_queue
):
    check_in_with_photo(student_client, photo_session, clock, someone_else_jpeg())
    assert run_queued_photo_task(photo_queue) == verify.MISMATCH
    record = live.get_record(photo_session.id, "S1001")
    assert record.status == Status.REJECTED
    assert "photo_mismatch" in record.flags
    assert record.reason == verify.REASONS[verify.MISMATCH]
    roster = live_sessions.live_roster(session=photo_session)
    (row,) = [r for r in roster.rows if r.school_number == "S1001"]
    assert row.photo_text.startswith("photo did not match (0.")
    page = login(student_client, teacher).get(reverse("attendance:live_roster", args=[photo_session.id]))
    assert "photo did not match" in page.content.decode()


def test_no_face_is_reported_as_such(student_client, photo_session, clock, reference, photo_queue):
    check_in_with_photo(student_client, photo_session, clock, cat_jpeg())
    assert run_queued_photo_task(photo_queue) == "no_face"
    assert live.get_record(photo_session.id, "S1001").reason == "No face was found in the photo."


def test_the_projector_counts_only_verified_check_ins(
    client, student, teacher, photo_session, clock, reference, photo_queue
):
    check_in_with_photo(login(client, student), photo_session, clock, astronaut_jpeg())
    view = live_sessions.projector(session=photo_session, absolute_url=lambda u: u, now=clock.now)
    assert view["count"] == 0, "a pending check-in is not counted yet"
    run_queued_photo_task(photo_queue)
    view = live_sessions.projector(session=photo_session, absolute_url=lambda u: u, now=clock.now)
    assert view["count"] == 1


def test_without_a_reference_the_photo_is_offered_and_the_teacher_approves_it(
    client, student, teacher, photo_session, clock, photo_queue
):
    check_in_with_photo(login(client, student), photo_session, clock, astronaut_jpeg())
    assert run_queued_photo_task(photo_queue) == verify.NO_REFERENCE
    offered = ReferencePhoto.objects.get(student=student)
    assert offered.state == ReferencePhoto.State.PROPOSED and len(offered.encoding) == 128
    mine = client.get(reverse("attendance:my_attendance")).content.decode()
    assert "waiting for a teacher" in mine

    teacher_client = login(client, teacher)
    roster = teacher_client.get(reverse("attendance:live_roster", args=[photo_session.id])).content.decode()
    assert "Approve as reference" in roster
    url = reverse("attendance:record_action", args=[photo_session.id, "S1001", "approve_photo"])
    assert teacher_client.post(url).status_code == 302
    offered.refresh_from_db()
    assert offered.state == ReferencePhoto.State.READY and offered.decided_by == teacher
    assert live.get_record(photo_session.id, "S1001").status == Status.PRESENT
    assert "on file" in login(client, student).get(reverse("attendance:my_attendance")).content.decode()


def test_approving_needs_an_offered_photo(teacher_client, photo_session, student):
    url = reverse("attendance:record_action", args=[photo_session.id, "S1001", "approve_photo"])
    assert teacher_client.post(url).status_code == 404


def test_a_teachers_correction_wins_over_a_late_result(
    student_client, teacher, photo_session, clock, reference, photo_queue
):
    check_in_with_photo(student_client, photo_session, clock, someone_else_jpeg())
    roster.roster_mark(session=photo_session, by=teacher, school_number="S1001", action="accept")
    assert run_queued_photo_task(photo_queue).startswith("stale")
    assert live.get_record(photo_session.id, "S1001").status == Status.PRESENT


@pytest.mark.parametrize(
    ("photo", "error"),
    [
        (b"%PDF-1.4 not a photo", "not a photo"),
        (b"\xff\xd8\xff" + b"0" * 100, "not a photo"),
    ],
)
def test_what_is_not_a_photo_is_refused_with_a_message(student_client, photo_session, clock, photo, error):
    link = confirm_link(student_client, photo_session, clock)
    response = student_client.post(link, {"photo": upload(photo, "selfie.jpg")})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert live.get_record(photo_session.id, "S1001") is None


def test_a_missing_photo_is_asked_for_again(student_client, photo_session, clock):
    link = confirm_link(student_client, photo_session, clock)
    response = student_client.post(link, {})
    assert response.status_code == 400
    assert "Take a selfie" in response.content.decode()


def test_too_large_and_too_many_pixels_are_refused(student_client, photo_session, clock, settings):
    settings.PHOTO_MAX_PIXELS = 100 * 100
    link = confirm_link(student_client, photo_session, clock)
    response = student_client.post(link, {"photo": upload(astronaut_jpeg())})
    assert response.status_code == 400 and "too many pixels" in response.content.decode()
    settings.PHOTO_MAX_BYTES = 1000
    response = student_client.post(link, {"photo": upload(astronaut_jpeg())})
    assert response.status_code == 400 and "larger than" in response.content.decode()


def test_the_stored_photo_is_upright_and_carries_no_exif(student_client, photo_session, clock, reference, photo_queue):
    wide = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    exif[0x010F] = "PhoneMaker"
    check_in_with_photo(student_client, photo_session, clock, jpeg(wide, exif=exif))
    stored = Image.open(io.BytesIO(images.read(live.get_record(photo_session.id, "S1001").photo)))
    assert stored.size == (200, 400), "turned upright by its EXIF orientation"
    assert not stored.getexif(), "no EXIF kept"


def test_a_finished_session_waits_for_its_photos_then_persists_them_as_not_verified(
    student_client, photo_session, clock, reference, photo_queue, settings, single_sweep_thread
):
    settings.PHOTO_SWEEP_WAIT = 120
    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg())
    live_sessions.session_finish(session=photo_session, now=clock.now)
    clock.now += 10
    assert sweep_run().skipped == 1, "the sweep waits for the photo"
    assert not AttendanceRecord.objects.filter(attendance_id=photo_session.id).exists()

    clock.now += 200
    sweep_run()
    record = AttendanceRecord.objects.get(attendance_id=photo_session.id, student__school_number="S1001")
    assert record.status == Status.REJECTED and record.fail_reason == PHOTO_NOT_IN_TIME
    assert record.photo_result == "timeout" and record.photo

    # The verification lands after the sweep: the row keeps its status, the teacher sees the result.
    assert run_queued_photo_task(photo_queue).endswith("(after the session was saved)")
    record.refresh_from_db()
    assert record.status == Status.REJECTED and record.photo_result == verify.MATCH


def test_a_photo_result_in_a_finished_session_asks_for_the_sweep_on_the_main_queue(
    student_client, photo_session, clock, reference, photo_queue, task_queue
):
    from django_q.signing import SignedPackage

    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg())
    live_sessions.session_finish(session=photo_session, now=clock.now)
    task_queue.purge_queue()  # the finish's own sweep task
    run_queued_photo_task(photo_queue)
    queued = [SignedPackage.loads(m[1])["func"] for m in task_queue.dequeue() or []]
    assert "attendance.tasks.sweep_session" in queued
    assert photo_queue.queue_size() == 0  # not behind the photos


def test_sessions_without_the_photo_check_are_unchanged(student_client, session, clock):
    response = student_client.post(HOME, {"code": code(session, clock.now)})
    assert response.status_code == 302 and "/result/" in response["Location"]
    assert live.get_record(session.id, "S1001").status == Status.PRESENT


def test_the_photo_check_is_persisted_with_the_session(photo_session, clock, single_sweep_thread):
    from attendance.models import Attendance

    live_sessions.session_finish(session=photo_session, now=clock.now)
    sweep_run()
    assert Attendance.objects.get(pk=photo_session.id).photo_check is True


def test_a_second_student_on_the_same_visitor_path(photo_session, clock, course, reference):
    """The service refuses a photo session's check-in without a photo (the form asks for it first)."""
    other = UserFactory(school_number="S2002")
    EnrollmentFactory(course=course, student=other)
    visitor = check_in.Visitor(student=other, ip=TEACHER_IP, device="")
    outcome = check_in.record_check_in(session=photo_session, visitor=visitor, source="code", now=clock.now)
    assert outcome.kind is check_in.Kind.REFUSED and outcome.error == check_in.PHOTO_NEEDED


def test_the_session_page_shows_what_the_photo_showed(
    client, teacher, photo_session, student, clock, settings, single_sweep_thread
):
    """After the sweep the teacher reads the result and opens the photo from the history."""
    from attendance.checkin.service import Visitor, record_check_in

    settings.PHOTO_SWEEP_WAIT = 0
    visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=someone_else_jpeg())
    record_check_in(session=photo_session, visitor=visitor, source="code", now=clock.now)
    live_sessions.session_finish(session=photo_session, now=clock.now)
    sweep_run()
    page = login(client, teacher).get(reverse("attendance:session_detail", args=[photo_session.id]))
    html = page.content.decode()
    assert "photo not verified in time" in html
    assert reverse("attendance:check_in_photo", args=[photo_session.id, "S1001"]) in html


def test_after_a_mismatch_the_student_may_try_another_selfie(
    student_client, photo_session, clock, reference, photo_queue
):
    check_in_with_photo(student_client, photo_session, clock, someone_else_jpeg())
    run_queued_photo_task(photo_queue)
    assert live.get_record(photo_session.id, "S1001").status == Status.REJECTED
    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg())
    assert live.get_record(photo_session.id, "S1001").status == Status.PENDING
    assert run_queued_photo_task(photo_queue) == verify.MATCH
    assert live.get_record(photo_session.id, "S1001").status == Status.PRESENT


def test_a_verification_lost_with_its_worker_is_asked_for_again_once(
    student_client, photo_session, clock, reference, photo_queue, settings
):
    """The worker that took the task was killed: the task is gone from the queue and nothing judges the photo."""
    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg(quality=70))
    photo_queue.purge_queue()  # the task, taken by a worker that died
    assert verify.requeue_lost(clock.now + 10) == 0  # not lost yet: maybe waiting in a busy queue
    later = clock.now + settings.PHOTO_REQUEUE_SECONDS
    assert verify.requeue_lost(later) == 1
    assert verify.requeue_lost(later + 1) == 0  # asked again already: not twice
    assert run_queued_photo_task(photo_queue) == verify.MATCH
    assert live.get_record(photo_session.id, "S1001").status == Status.PRESENT
    assert verify.requeue_lost(later + settings.PHOTO_REQUEUE_SECONDS * 2) == 0  # judged: nothing lost


def test_a_second_task_for_a_photo_already_judged_stops_before_judging(
    student_client, photo_session, clock, reference, photo_queue
):
    check_in_with_photo(student_client, photo_session, clock, astronaut_jpeg(quality=70))
    name = live.get_record(photo_session.id, "S1001").photo
    assert run_queued_photo_task(photo_queue) == verify.MATCH
    assert tasks.verify_photo(photo_session.id, "S1001", name).startswith("stale")
