"""One face on two accounts (issue 29), on real photographs and the real face model: a selfie that shows the
face of another student's selfie in the session flags both records for the teacher; a first selfie offered as
a reference that shows another student's reference face is not kept as a reference."""

import pytest
from django.test import Client
from django.urls import reverse

from attendance import live, tasks
from attendance.checkin.service import Visitor, record_check_in
from attendance.models import ReferencePhoto, Status
from attendance.photos import faces, images, verify
from conftest import login
from tests.factories import EnrollmentFactory, UserFactory

from .live_helpers import TEACHER_IP, start
from .photo_helpers import astronaut_jpeg, same_person_variants, someone_else_jpeg

pytestmark = pytest.mark.faces


@pytest.fixture
def photo_session(teacher, course, clock):
    return start(teacher, course, now=clock.now, photo_check=True)


@pytest.fixture
def friend(course):
    person = UserFactory(school_number="S2002", full_name="Fay Friend")
    EnrollmentFactory(course=course, student=person)
    return person


def reference_for(student, photo: bytes, state=ReferencePhoto.State.READY) -> ReferencePhoto:
    return ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", student.school_number, photo),
        encoding=list(faces.encode(photo).encoding),
        state=state,
    )


def selfie_check_in(session, student, photo: bytes, now) -> live.LiveRecord:
    """Check in with a selfie and run its verification as the worker would; return the judged record."""
    visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=photo)
    outcome = record_check_in(session=session, visitor=visitor, source="code", now=now)
    assert outcome.record.status == Status.PENDING
    tasks.verify_photo(session.id, student.school_number, outcome.record.photo)
    return live.get_record(session.id, student.school_number)


def test_the_same_face_on_two_accounts_flags_both_records(photo_session, student, friend, clock, teacher):
    reference_for(student, astronaut_jpeg())
    reference_for(friend, someone_else_jpeg())
    mine = selfie_check_in(photo_session, student, astronaut_jpeg(), clock.now)
    assert mine.status == Status.PRESENT and mine.flags == ["no_live_check"]  # a selfie without the live pair

    # The friend's account checks in with the student's face (another shot of it).
    theirs = selfie_check_in(photo_session, friend, same_person_variants()["cropped"], clock.now)

    assert "same_face:S1001" in theirs.flags and theirs.status == Status.REJECTED  # and a mismatch besides
    assert "same_face:S2002" in live.get_record(photo_session.id, student.school_number).flags
    assert live.get_record(photo_session.id, student.school_number).status == Status.PRESENT  # a flag, not a verdict
    roster = login(Client(), teacher).get(reverse("attendance:live_roster", args=[photo_session.id])).text
    assert "same face as S1001" in roster and "same face as S2002" in roster


def test_different_faces_are_not_flagged(photo_session, student, friend, clock):
    reference_for(student, astronaut_jpeg())
    reference_for(friend, someone_else_jpeg())
    selfie_check_in(photo_session, student, astronaut_jpeg(), clock.now)
    theirs = selfie_check_in(photo_session, friend, someone_else_jpeg(), clock.now)

    assert theirs.status == Status.PRESENT and theirs.flags == ["no_live_check"]
    assert live.get_record(photo_session.id, student.school_number).flags == ["no_live_check"]
    assert len(live.client().hgetall(live.session_keys(photo_session.id).faces)) == 2


def test_a_first_selfie_showing_another_students_reference_is_not_kept_as_a_reference(
    photo_session, student, friend, clock
):
    reference_for(student, astronaut_jpeg())  # the student's own reference: the astronaut

    # The friend has no reference yet; the student takes the friend's first selfie.
    theirs = selfie_check_in(photo_session, friend, same_person_variants()["scaled down"], clock.now)

    assert theirs.status == Status.REJECTED
    assert theirs.photo_result == verify.OTHER_REFERENCE and "same_face:S1001" in theirs.flags
    assert not ReferencePhoto.objects.filter(student=friend).exists()


def test_a_first_selfie_of_a_new_face_is_still_offered_as_the_reference(photo_session, student, friend, clock):
    reference_for(student, astronaut_jpeg())

    theirs = selfie_check_in(photo_session, friend, someone_else_jpeg(), clock.now)

    assert theirs.photo_result == verify.NO_REFERENCE and not any(f.startswith("same_face") for f in theirs.flags)
    assert ReferencePhoto.objects.get(student=friend).state == ReferencePhoto.State.PROPOSED
