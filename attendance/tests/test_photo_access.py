"""Photos are personal data: no public URL, and only the student, their teacher or staff see one."""

import pytest
from django.urls import reverse

from attendance import live, storage
from attendance.models import ReferencePhoto
from attendance.photos import images
from attendance.sweep import run as sweep_run
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import AdminFactory, CourseFactory, EnrollmentFactory, TeacherFactory, UserFactory

from .live_helpers import TEACHER_IP, start
from .photo_helpers import astronaut_jpeg


@pytest.fixture
def photo_record(teacher, course, student, clock):
    """A live photo check-in of the student (pending), written as the check-in writes it."""
    from attendance.checkin.service import Visitor, record_check_in

    session = start(teacher, course, now=clock.now, photo_check=True)
    visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=astronaut_jpeg())
    record_check_in(session=session, visitor=visitor, source="code", now=clock.now)
    return session


def photo_url(session, number="S1001"):
    return reverse("attendance:check_in_photo", args=[session.id, number])


def viewers(course):
    outsider = UserFactory(school_number="S9009")
    other_teacher = TeacherFactory(school_number="T9009")
    CourseFactory(code="OTHER", teachers=[other_teacher])
    return outsider, other_teacher, AdminFactory(school_number="A9009")


def test_a_live_photo_is_for_the_student_their_teacher_and_staff(client, photo_record, student, teacher, course):
    outsider, other_teacher, admin = viewers(course)
    url = photo_url(photo_record)
    assert client.get(url).status_code == 302, "anonymous: to the login"
    for who in (outsider, other_teacher):
        assert login(client, who).get(url).status_code == 404
    for who in (student, teacher, admin):
        response = login(client, who).get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_persisted_photo_keeps_the_same_rule_and_course_teachers_see_it(
    client, photo_record, student, teacher, course, clock, single_sweep_thread, settings
):
    settings.PHOTO_SWEEP_WAIT = 0
    co_teacher = TeacherFactory(school_number="T2002")
    course.teachers.add(co_teacher)
    outsider, other_teacher, admin = viewers(course)
    live_sessions.session_finish(session=photo_record, now=clock.now)
    sweep_run()
    assert live.get_record(photo_record.id, "S1001") is None
    url = photo_url(photo_record)
    for who in (outsider, other_teacher):
        assert login(client, who).get(url).status_code == 404
    for who in (student, teacher, co_teacher, admin):
        assert login(client, who).get(url).status_code == 200, who


def test_no_url_reaches_the_files_directly(client, photo_record, student):
    name = live.get_record(photo_record.id, "S1001").photo
    login(client, student)
    for guess in (f"/media/photos/{name}", f"/media/{name}", f"/photos/{name}", f"/static/{name}"):
        assert client.get(guess).status_code == 404, guess


def test_another_students_photo_is_not_found(client, photo_record, course):
    classmate = UserFactory(school_number="S1002")
    EnrollmentFactory(course=course, student=classmate)
    assert login(client, classmate).get(photo_url(photo_record)).status_code == 404


def test_a_reference_photo_is_for_the_student_their_teachers_and_staff(client, student, teacher, course):
    reference = ReferencePhoto.objects.create(
        student=student, image=images.save("references", "S1001", astronaut_jpeg()), state="proposed"
    )
    url = reverse("attendance:reference_photo", args=[reference.pk])
    outsider, other_teacher, admin = viewers(course)
    for who in (outsider, other_teacher):
        assert login(client, who).get(url).status_code == 404
    for who in (student, teacher, admin):
        assert login(client, who).get(url).status_code == 200, who
    assert login(client, admin).get(reverse("attendance:reference_photo", args=[reference.pk + 99])).status_code == 404


def test_deleting_a_student_deletes_their_reference_photos(django_capture_on_commit_callbacks, student):
    name = images.save("references", "S1001", astronaut_jpeg())
    ReferencePhoto.objects.create(student=student, image=name, state="proposed")
    with django_capture_on_commit_callbacks(execute=True):
        student.delete()
    assert not storage.private().exists(name)


def test_old_check_in_photos_are_deleted_and_their_results_kept(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from attendance import tasks
    from tests.factories import AttendanceFactory, RecordFactory

    settings.PHOTO_RETENTION_DAYS = 30
    old = RecordFactory(
        attendance=AttendanceFactory(starts_at=timezone.now() - timedelta(days=31)),
        photo=images.save("checkins/x", "S1", astronaut_jpeg()),
        photo_result="match",
        photo_distance=0.2,
    )
    recent = RecordFactory(
        attendance=AttendanceFactory(starts_at=timezone.now() - timedelta(days=2)),
        photo=images.save("checkins/y", "S2", astronaut_jpeg()),
    )
    old_name = old.photo
    assert tasks.delete_old_photos() == "Deleted 1 photos"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.photo == "" and old.photo_result == "match" and old.photo_distance == 0.2
    assert not storage.private().exists(old_name)
    assert recent.photo and storage.private().exists(recent.photo)


def test_the_retention_schedule_exists_after_migrate(db):
    from django_q.models import Schedule

    from attendance.apps import PHOTO_RETENTION_SCHEDULE_NAME, ensure_sweep_schedule

    ensure_sweep_schedule()
    assert Schedule.objects.get(name=PHOTO_RETENTION_SCHEDULE_NAME).func == "attendance.tasks.delete_old_photos"


def test_photos_no_record_names_are_deleted_by_their_age(db, settings):
    import os
    import time as time_module

    from attendance import tasks

    settings.PHOTO_RETENTION_DAYS = 30
    stale = images.save("checkins/some-session", "S1", astronaut_jpeg())
    fresh = images.save("checkins/some-session", "S2", astronaut_jpeg())
    month_ago = time_module.time() - 31 * 86400
    os.utime(storage.private().path(stale), (month_ago, month_ago))
    assert tasks.delete_old_photos() == "Deleted 1 photos"
    assert not storage.private().exists(stale) and storage.private().exists(fresh)
