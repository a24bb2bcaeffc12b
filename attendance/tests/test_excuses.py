"""Excuse requests: asked in advance with a document, decided by the course's teacher in one click,
applied to the sessions already saved and to the ones the sweep saves later, audited, never twice."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from attendance import storage, sweep
from attendance.excuses import service as excuses
from attendance.models import AttendanceRecord, ExcuseRequest, RecordChange, Status
from attendance.photos import images
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import AttendanceFactory, CourseFactory, EnrollmentFactory, RecordFactory, UserFactory

from .sweep_helpers import check_in, due_session, record_of, start_live

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def today():
    return timezone.localdate()


def live_day():
    """The day of a session ``start_live`` opens (it started five minutes ago: just after midnight, yesterday)."""
    return timezone.localdate(timezone.now() - timedelta(minutes=5))


def ask(client, course, *, first=None, last=None, reason="Medical appointment", document=None):
    data = {"course": course.pk, "first_day": (first or today()).isoformat(), "reason": reason}
    if last:
        data["last_day"] = last.isoformat()
    if document is not None:
        data["attachment"] = document
    return client.post(reverse("attendance:my_excuses"), data)


def approved_request(student, course, teacher, day=None, reason="Hospital") -> ExcuseRequest:
    excuse = ExcuseRequest.objects.create(
        student=student, course=course, first_day=day or today(), last_day=day or today(), reason=reason
    )
    return excuses.decide(request_id=excuse.pk, by=teacher, approve=True)


# --- the student's side ---


@pytest.mark.django_db
def test_a_student_asks_with_a_document_and_sees_the_request_waiting(student_client, student, course):
    response = ask(
        student_client, course, last=today() + timedelta(days=2), document=SimpleUploadedFile("note.pdf", PDF)
    )
    assert response.status_code == 302
    excuse = ExcuseRequest.objects.get(student=student)
    assert (excuse.state, excuse.first_day, excuse.last_day) == ("pending", today(), today() + timedelta(days=2))
    assert excuse.attachment.startswith("excuses/") and images.read(excuse.attachment) == PDF
    page = student_client.get(reverse("attendance:my_excuses")).text
    assert "Waiting for the teacher" in page and "Medical appointment" in page


@pytest.mark.django_db
def test_one_day_when_the_last_day_is_left_empty(student_client, student, course):
    ask(student_client, course)
    excuse = ExcuseRequest.objects.get(student=student)
    assert excuse.first_day == excuse.last_day == today()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first": -1}, "No saved session of this course on those days can still be appealed"),
        ({"first": 2, "last": 1}, "comes before the first"),
        ({"first": 0, "last": 40}, "at most 31 days"),
        ({"reason": ""}, "This field is required"),
    ],
)
@pytest.mark.django_db
def test_bad_days_or_no_reason_are_refused_with_a_message(student_client, student, course, change, message):
    first = today() + timedelta(days=change.get("first", 0))
    last = today() + timedelta(days=change["last"]) if "last" in change else None
    response = ask(student_client, course, first=first, last=last, reason=change.get("reason", "Ill"))
    assert response.status_code == 400 and message in response.text
    assert not ExcuseRequest.objects.exists()


@pytest.mark.django_db
def test_a_document_that_is_not_a_pdf_or_an_image_is_refused_and_not_stored(student_client, student, course, settings):
    response = ask(student_client, course, document=SimpleUploadedFile("note.pdf", b"MZ\x90\x00 not a pdf"))
    assert response.status_code == 400 and "Attach a PDF, JPEG or PNG document." in response.text
    settings.EXCUSE_ATTACHMENT_MAX_BYTES = 10
    response = ask(student_client, course, document=SimpleUploadedFile("big.pdf", PDF))
    assert response.status_code == 400 and "larger than" in response.text
    assert not ExcuseRequest.objects.exists()
    assert not storage.private().exists("excuses") or storage.private().listdir("excuses")[1] == []


@pytest.mark.django_db
def test_a_student_cannot_ask_for_a_course_they_are_not_in(student_client, teacher):
    other = CourseFactory(code="MA201", teachers=[teacher])
    response = ask(student_client, other)
    assert response.status_code == 400  # not a choice of their form
    assert not ExcuseRequest.objects.exists()


@pytest.mark.django_db
def test_the_pages_check_who_asks(client, teacher, student):
    login(client, teacher)
    assert client.get(reverse("attendance:my_excuses")).status_code == 403
    login(client, student)
    assert client.get(reverse("attendance:excuse_list")).status_code == 403


# --- the document: only the student, the course's teachers and staff ---


@pytest.mark.django_db
def test_the_document_is_served_only_to_those_who_may_see_it(client, student, teacher, other_teacher, staff, course):
    excuse = excuses.file_request(
        student=student,
        course=course,
        first_day=today(),
        last_day=today(),
        reason="Ill",
        attachment=SimpleUploadedFile("rapor.png", png()),
    )
    url = reverse("attendance:excuse_attachment", args=[excuse.pk])
    assert client.get(url).status_code == 302  # to the login page
    classmate = UserFactory(school_number="S5555")
    EnrollmentFactory(course=course, student=classmate)
    for someone, status in ((student, 200), (teacher, 200), (staff, 200), (other_teacher, 404), (classmate, 404)):
        login(client, someone)
        response = client.get(url)
        assert response.status_code == status, someone
        if status == 200:
            assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "private, no-store"
            # Opened in place, under a name of ours and the type read from the bytes (issues 26 and 27).
            assert response["Content-Disposition"] == 'inline; filename="document.png"'
            assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_document_goes_with_the_request(student, course, django_capture_on_commit_callbacks):
    excuse = excuses.file_request(
        student=student, course=course, first_day=today(), last_day=today(), reason="x", attachment=None
    )
    assert excuse.attachment == ""
    with_document = excuses.file_request(
        student=student,
        course=course,
        first_day=today() + timedelta(days=1),  # another day: one request per day
        last_day=today() + timedelta(days=1),
        reason="x",
        attachment=SimpleUploadedFile("n.pdf", PDF),
    )
    name = with_document.attachment
    with django_capture_on_commit_callbacks(execute=True):
        student.delete()
    assert not storage.private().exists(name)


# --- the teacher's decisions ---


@pytest.mark.django_db
def test_the_teacher_sees_pending_requests_first_and_approves_in_one_click(teacher_client, teacher, student, course):
    excuse = ExcuseRequest.objects.create(
        student=student, course=course, first_day=today(), last_day=today(), reason="Dentist"
    )
    page = teacher_client.get(reverse("attendance:excuse_list")).text
    assert "Dentist" in page and f'id="excuse-{excuse.pk}"' in page
    response = teacher_client.post(reverse("attendance:excuse_decide", args=[excuse.pk, "approve"]))
    assert response.status_code == 302
    excuse.refresh_from_db()
    assert (excuse.state, excuse.decided_by) == ("approved", teacher)
    again = teacher_client.post(reverse("attendance:excuse_decide", args=[excuse.pk, "decline"]), follow=True)
    assert "already decided" in again.text
    excuse.refresh_from_db()
    assert excuse.state == "approved"


@pytest.mark.django_db
def test_a_teacher_of_another_course_cannot_decide(client, other_teacher, student, course):
    excuse = ExcuseRequest.objects.create(
        student=student, course=course, first_day=today(), last_day=today(), reason="x"
    )
    login(client, other_teacher)
    assert client.post(reverse("attendance:excuse_decide", args=[excuse.pk, "approve"])).status_code == 404
    assert f'id="excuse-{excuse.pk}"' not in client.get(reverse("attendance:excuse_list")).text
    excuse.refresh_from_db()
    assert excuse.state == "pending"


@pytest.mark.django_db
def test_approving_excuses_absences_already_saved_and_keeps_check_ins(teacher, student, course):
    student2 = EnrollmentFactory(course=course, student=UserFactory(school_number="S2002")).student
    morning = AttendanceFactory(course=course, teacher=teacher, starts_at=timezone.now())
    absent = RecordFactory(attendance=morning, student=student, status=Status.ABSENT, checked_in_at=None)
    came = RecordFactory(attendance=morning, student=student2, status=Status.PRESENT)
    ExcuseRequest.objects.create(student=student2, course=course, first_day=today(), last_day=today(), reason="x")
    excuse = ExcuseRequest.objects.create(
        student=student, course=course, first_day=today(), last_day=today(), reason="Hospital"
    )

    excuses.decide(request_id=excuse.pk, by=teacher, approve=True)

    absent.refresh_from_db()
    assert (absent.status, absent.fail_reason) == (Status.EXCUSED, "Hospital")
    change = RecordChange.objects.get(record=absent)
    assert (change.old_status, change.new_status, change.changed_by) == ("absent", "excused", teacher)
    assert change.reason == "Excuse request approved. Hospital"
    came.refresh_from_db()
    assert came.status == Status.PRESENT  # a pending request changes nothing either


@pytest.mark.django_db
def test_declining_changes_no_record(teacher, student, course):
    morning = AttendanceFactory(course=course, teacher=teacher, starts_at=timezone.now())
    absent = RecordFactory(attendance=morning, student=student, status=Status.ABSENT, checked_in_at=None)
    excuse = ExcuseRequest.objects.create(
        student=student, course=course, first_day=today(), last_day=today(), reason="x"
    )
    excuses.decide(request_id=excuse.pk, by=teacher, approve=False, note="No document")
    absent.refresh_from_db()
    assert absent.status == Status.ABSENT and not RecordChange.objects.exists()
    assert ExcuseRequest.objects.get().note == "No document"


# --- the sweep ---

# The sweep runs in the test's own thread.
sweeping = pytest.mark.usefixtures("single_sweep_thread")


@sweeping
@pytest.mark.django_db(transaction=True)
def test_the_sweep_saves_an_excused_student_as_excused_once(teacher, student, course):
    came = EnrollmentFactory(course=course, student=UserFactory(school_number="S3003")).student
    approved_request(student, course, teacher, day=live_day())
    approved_request(came, course, teacher, day=live_day(), reason="Might be late")
    session = start_live(teacher, course)
    check_in(session, came)
    live_sessions.session_finish(session=session)

    sweep.run()
    sweep.run()  # nothing new, and no second audit row

    excused = record_of(session.id, student.school_number)
    assert (excused.status, excused.fail_reason) == (Status.EXCUSED, "Hospital")
    assert RecordChange.objects.filter(record=excused).count() == 1
    assert record_of(session.id, came.school_number).status == Status.PRESENT  # came after all


@sweeping
@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_absent_a_student_excused_for_other_days_or_courses(teacher, student, course):
    approved_request(student, course, teacher, day=today() + timedelta(days=1))
    other = CourseFactory(code="PH101", teachers=[teacher])
    EnrollmentFactory(course=other, student=student)
    approved_request(student, other, teacher)
    session = due_session(course=course, teacher_number=teacher.school_number)

    sweep.run()

    assert record_of(session.id, student.school_number).status == Status.ABSENT
    assert not AttendanceRecord.objects.filter(status=Status.EXCUSED).exists()


@pytest.mark.django_db
def test_a_sweep_without_approved_requests_asks_once(teacher, course, django_assert_num_queries):
    session = due_session(course=course, teacher_number=teacher.school_number)
    with django_assert_num_queries(1):
        assert excuses.apply_to_sessions([session]) == 0


@pytest.mark.django_db
def test_the_admin_lists_requests_read_only(client, staff, student, course):
    from accounts.models import User

    User.objects.filter(pk=staff.pk).update(is_superuser=True)
    ExcuseRequest.objects.create(student=student, course=course, first_day=today(), last_day=today(), reason="Flu")
    login(client, staff)
    page = client.get(reverse("admin:attendance_excuserequest_changelist"))
    assert page.status_code == 200 and student.full_name in page.text
    assert client.get(reverse("admin:attendance_excuserequest_add")).status_code == 403


@pytest.mark.django_db
def test_the_live_roster_shows_who_is_excused_in_advance(teacher_client, teacher, student, course):
    approved_request(student, course, teacher, day=live_day(), reason="Hospital appointment")
    session = start_live(teacher, course)
    roster = teacher_client.get(reverse("attendance:live_roster", args=[session.id])).text
    row = roster.split(f'id="row-{student.school_number}"')[1].split("</tr>")[0]
    assert "excused in advance" in row and "Hospital appointment" in row
    assert "1 excused in advance" in roster and "0 not checked in" in roster


@pytest.mark.django_db
def test_a_student_cannot_ask_twice_for_the_same_days_and_may_withdraw_a_waiting_request(
    client, student, course, teacher
):
    login(client, student)
    assert ask(client, course, first=today(), last=today() + timedelta(days=2)).status_code == 302
    again = ask(client, course, first=today() + timedelta(days=1), last=today() + timedelta(days=3))
    assert again.status_code == 400 and "asked for some of these days already" in again.text
    assert ExcuseRequest.objects.filter(student=student).count() == 1

    waiting = ExcuseRequest.objects.get(student=student)
    assert (
        f'action="{reverse("attendance:excuse_withdraw", args=[waiting.pk])}"'
        in client.get(reverse("attendance:my_excuses")).text
    )
    login(client, UserFactory(school_number="S6006"))  # not theirs: as if it did not exist
    assert client.post(reverse("attendance:excuse_withdraw", args=[waiting.pk])).status_code == 404
    login(client, student)
    assert client.get(reverse("attendance:excuse_withdraw", args=[waiting.pk])).status_code == 405
    assert client.post(reverse("attendance:excuse_withdraw", args=[waiting.pk])).status_code == 302
    assert not ExcuseRequest.objects.filter(student=student).exists()
    assert ask(client, course, first=today() + timedelta(days=1)).status_code == 302  # free to ask again

    decided = approved_request(student, course, teacher, day=today() + timedelta(days=5))
    assert client.post(reverse("attendance:excuse_withdraw", args=[decided.pk])).status_code == 404
