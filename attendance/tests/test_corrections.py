import pytest
from django.urls import reverse

from attendance.models import Attendance, AttendanceRecord, RecordChange, Status
from tests.factories import AttendanceFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(teacher, course, student):
    attendance = AttendanceFactory(teacher=teacher, course=course)
    return RecordFactory(attendance=attendance, student=student, status=Status.ABSENT)


def url(name, record, **extra):
    if name in ("record_change", "record_remove"):
        return reverse(f"attendance:{name}", args=[record.attendance_id, record.pk])
    return reverse(f"attendance:{name}", args=[record.attendance_id])


def test_it_changes_a_status_with_an_audit_row(teacher_client, teacher, record):
    response = teacher_client.post(url("record_change", record), {"status": "excused", "reason": "Doctor's note"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == Status.EXCUSED
    change = RecordChange.objects.get(record=record)
    assert (change.changed_by, change.old_status, change.new_status, change.reason) == (
        teacher,
        "absent",
        "excused",
        "Doctor's note",
    )
    page = teacher_client.get(reverse("attendance:session_detail", args=[record.attendance_id]))
    assert b"Doctor&#x27;s note" in page.content


def test_it_refuses_a_change_without_a_reason(teacher_client, record):
    response = teacher_client.post(url("record_change", record), {"status": "present", "reason": ""})
    assert response.status_code == 400
    assert b"Not changed: This field is required." in response.content
    record.refresh_from_db()
    assert record.status == Status.ABSENT and not RecordChange.objects.exists()


def test_it_refuses_an_unknown_status(teacher_client, record):
    response = teacher_client.post(url("record_change", record), {"status": "pending", "reason": "x"})
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.status == Status.ABSENT


def test_it_refuses_a_removal_without_a_reason(teacher_client, record):
    response = teacher_client.post(url("record_remove", record), {"reason": ""})
    assert response.status_code == 400 and b"Not removed:" in response.content
    record.refresh_from_db()
    assert not record.is_deleted and not RecordChange.objects.exists()


def test_it_adds_a_student_after_the_fact(teacher_client, record):
    newcomer = UserFactory(school_number="S777")
    response = teacher_client.post(
        url("record_add", record),
        {"school_number": "S777", "status": "late", "reason": "Came late", "add_anyway": "on"},
    )
    assert response.status_code == 302
    added = AttendanceRecord.objects.get(attendance=record.attendance, student=newcomer)
    assert added.status == Status.LATE
    assert RecordChange.objects.get(record=added).new_status == "late"


def test_only_students_are_added_after_the_fact_and_the_unenrolled_only_when_confirmed(
    teacher_client, record, other_teacher, staff
):
    for account in (other_teacher, staff):
        form = {"school_number": account.school_number, "status": "present", "reason": "x", "add_anyway": "on"}
        response = teacher_client.post(url("record_add", record), form)
        assert response.status_code == 400 and b"only students are recorded" in response.content
        assert not AttendanceRecord.objects.filter(student=account).exists()
    UserFactory(school_number="S778")
    form = {"school_number": "S778", "status": "present", "reason": "Was there"}
    response = teacher_client.post(url("record_add", record), form)
    assert response.status_code == 400 and "not enrolled in" in response.content.decode()
    assert not AttendanceRecord.objects.filter(student__school_number="S778").exists()
    assert teacher_client.post(url("record_add", record), {**form, "add_anyway": "on"}).status_code == 302
    assert AttendanceRecord.objects.filter(student__school_number="S778").exists()


def test_adding_one_already_recorded_changes_nothing_and_says_so(teacher_client, record):
    """ "Added as present" must not quietly turn a saved record into another status (issue 27)."""
    form = {"school_number": record.student.school_number, "status": "present", "reason": "Was there"}
    response = teacher_client.post(url("record_add", record), form)
    assert response.status_code == 400 and "already recorded here as absent" in response.text
    record.refresh_from_db()
    assert record.status == Status.ABSENT and not RecordChange.objects.filter(record=record).exists()


def test_adding_an_unknown_school_number_is_a_form_error(teacher_client, record):
    response = teacher_client.post(
        url("record_add", record), {"school_number": "NOPE", "status": "present", "reason": "x"}
    )
    assert response.status_code == 400
    assert b"No account has this school number" in response.content


def test_it_soft_deletes_a_record_with_a_reason(teacher_client, teacher, record):
    response = teacher_client.post(url("record_remove", record), {"reason": "Duplicate"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.is_deleted and record.deleted_by == teacher and record.deleted_reason == "Duplicate"
    assert RecordChange.objects.get(record=record).new_status == "removed"
    page = teacher_client.get(reverse("attendance:session_detail", args=[record.attendance_id]))
    assert list(page.context["records"]) == []
    assert f'id="record-{record.student.school_number}"'.encode() not in page.content


def test_adding_back_a_removed_student_restores_the_record(teacher_client, record):
    teacher_client.post(url("record_remove", record), {"reason": "Oops"})
    teacher_client.post(
        url("record_add", record),
        {"school_number": record.student.school_number, "status": "present", "reason": "Back"},
    )
    record.refresh_from_db()
    assert not record.is_deleted and record.status == Status.PRESENT
    assert RecordChange.objects.filter(record=record).count() == 2


def test_it_soft_deletes_a_whole_session(teacher_client, record):
    response = teacher_client.post(url("session_remove", record), {"reason": "Cancelled class"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(pk=record.attendance_id)
    assert attendance.is_deleted and attendance.deleted_reason == "Cancelled class"
    assert teacher_client.get(reverse("attendance:session_detail", args=[attendance.pk])).status_code == 404


def test_removing_a_session_needs_a_reason(teacher_client, record):
    assert teacher_client.post(url("session_remove", record), {"reason": ""}).status_code == 400
    assert not Attendance.objects.get(pk=record.attendance_id).is_deleted


def test_correction_urls_refuse_get(teacher_client, record):
    for name in ("record_change", "record_remove", "record_add", "session_remove"):
        assert teacher_client.get(url(name, record)).status_code == 405
