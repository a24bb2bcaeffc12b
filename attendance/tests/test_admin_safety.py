"""The Django admin cannot bypass the audit trail, delete attendance data, or import rosters without the rights."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from attendance.models import Attendance, AttendanceRecord, Course, RecordChange
from conftest import login
from tests.factories import AdminFactory, AttendanceFactory, RecordFactory

from .live_helpers import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_staff():
    """An administrator without model permissions (not a superuser)."""
    return AdminFactory(school_number="A2001", is_superuser=False)


@pytest.fixture
def superuser():
    return AdminFactory(school_number="A2002", is_superuser=True)


def test_the_roster_import_needs_the_user_and_enrolment_permissions(client, plain_staff, course, teacher):
    login(client, plain_staff)
    url = reverse("admin:attendance_import_roster")
    csv = f"{teacher.school_number},Renamed Teacher,{course.code}\n"
    assert client.get(url).status_code == 403
    assert client.post(url, {"text": csv}).status_code == 403
    assert User.objects.get(pk=teacher.pk).full_name == teacher.full_name

    for codename in ("add_user", "change_user", "add_enrollment"):
        plain_staff.user_permissions.add(Permission.objects.get(codename=codename))
    plain_staff = User.objects.get(pk=plain_staff.pk)  # permissions are cached per instance
    login(client, plain_staff)
    assert client.get(url).status_code == 200


def test_a_records_status_cannot_be_edited_in_the_admin(client, superuser, teacher, course, student):
    record = RecordFactory(attendance=AttendanceFactory(teacher=teacher, course=course), student=student)
    login(client, superuser)
    url = reverse("admin:attendance_attendancerecord_change", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="status"' not in page.content
    client.post(url, {"status": "absent", "fail_reason": ""})
    assert AttendanceRecord.objects.get(pk=record.pk).status == record.status
    assert not RecordChange.objects.exists()


@pytest.mark.parametrize("model", ["attendance", "attendancerecord", "recordchange", "sweeprun"])
def test_attendance_data_cannot_be_deleted_in_the_admin(client, superuser, teacher, course, student, model):
    record = RecordFactory(attendance=AttendanceFactory(teacher=teacher, course=course), student=student)
    login(client, superuser)
    change = RecordChange.objects.create(record=record, changed_by=superuser, new_status="late", reason="r")
    from attendance.models import SweepRun

    run = SweepRun.objects.create(started_at="2026-01-01T00:00Z")
    pk = {
        "attendance": record.attendance_id,
        "attendancerecord": record.pk,
        "recordchange": change.pk,
        "sweeprun": run.pk,
    }
    assert (
        client.post(reverse(f"admin:attendance_{model}_delete", args=[pk[model]]), {"post": "yes"}).status_code == 403
    )
    changelist = reverse(f"admin:attendance_{model}_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [pk[model]], "post": "yes"})
    assert Attendance.objects.count() == 1 and AttendanceRecord.objects.count() == 1
    assert RecordChange.objects.count() == 1 and SweepRun.objects.count() == 1


def test_a_course_with_a_live_session_cannot_be_deleted(client, superuser, teacher, course, clock):
    start(teacher, course, now=clock.now)
    login(client, superuser)
    url = reverse("admin:attendance_course_delete", args=[course.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:attendance_course_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [course.pk], "post": "yes"})
    assert Course.objects.filter(pk=course.pk).exists()


@pytest.mark.parametrize("ending", ["finished", "dead_letter"])
def test_a_course_whose_session_is_not_swept_yet_cannot_be_deleted(
    client, superuser, teacher, course, clock, task_queue, ending
):
    from attendance import live
    from attendance.teaching import service as live_sessions

    session = start(teacher, course, now=clock.now)
    live_sessions.session_finish(session=session, now=clock.now)  # "Finish now": the sweep has not run yet
    if ending == "dead_letter":
        live.dead_letter(session.id, "the sweep gave up")
    login(client, superuser)
    assert client.post(reverse("admin:attendance_course_delete", args=[course.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:attendance_course_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [course.pk], "post": "yes"})
    assert Course.objects.filter(pk=course.pk).exists()


@pytest.mark.django_db
def test_the_records_search_finds_by_student_number_name_or_course_code(client, teacher, course, student):
    from tests.factories import UserFactory

    admin_user = User.objects.create_superuser(school_number="A9001", password="x-long-password-1", full_name="Root")
    client.force_login(admin_user)
    attendance = AttendanceFactory(teacher=teacher, course=course)
    mine = RecordFactory(attendance=attendance, student=student)
    other = RecordFactory(attendance=AttendanceFactory(teacher=teacher), student=UserFactory(full_name="Zed Other"))
    url = reverse("admin:attendance_attendancerecord_changelist")

    def found(term):
        return {r.pk for r in client.get(url, {"q": term}).context["cl"].result_list}

    assert found(student.school_number.lower()) == {mine.pk}
    assert found(student.full_name.split()[0][1:]) >= {mine.pk}
    assert found("zed oth") == {other.pk}
    assert found(course.code) == {mine.pk}
    assert found("nobody-like-this") == set()


def test_the_admin_import_shows_name_changes_before_applying_them(client, superuser, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from tests.factories import UserFactory

    UserFactory(school_number="S4040", full_name="Old Name")
    login(client, superuser)
    url = reverse("admin:attendance_import_roster")
    upload = SimpleUploadedFile("r.csv", f"S4040;New Name;{course.code}\nS5050;Bo;{course.code}\n".encode())
    page = client.post(url, {"file": upload})
    html = page.content.decode()
    assert page.status_code == 200 and "rename 1 student" in html and "Old Name" in html
    assert User.objects.get(school_number="S4040").full_name == "Old Name"
    token = html.split('name="confirm" value="')[1].split('"')[0]
    done = client.post(url, {"confirm": token})
    assert done.status_code == 302
    assert User.objects.get(school_number="S4040").full_name == "New Name"
    assert User.objects.filter(school_number="S5050").exists()
    assert client.post(url, {"confirm": token}).status_code == 302, "used once: upload again"
