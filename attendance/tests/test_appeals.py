"""Appeals after the fact (issue 32): a student asks, within the course's appeal days, to correct one saved
record — present ("I was there") or excused — with a reason and an optional document; the teacher approves
or declines in one click; an approval changes the record with an audited change naming the appeal; an
excuse request for days already past becomes appeals of those days' records."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.excuses import appeals, service
from attendance.models import AttendanceRecord, ExcuseRequest, RecordChange, Status
from conftest import login
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a doctor's note\n"


@pytest.fixture
def absent(course, teacher, student):
    """Yesterday's saved session, where the sweep found the student absent."""
    starts = timezone.now() - timedelta(days=1, hours=2)
    session = AttendanceFactory(course=course, teacher=teacher, starts_at=starts, ends_at=starts + timedelta(hours=1))
    return RecordFactory(attendance=session, student=student, status=Status.ABSENT, source="sweep")


def appeal_url(record) -> str:
    return reverse("attendance:appeal", args=[record.pk])


def test_a_student_appeals_and_the_teachers_approval_corrects_the_record(student, teacher, absent):
    me = login(Client(), student)
    page = me.get(reverse("attendance:my_attendance")).text
    assert f'id="appeal-{absent.pk}"' in page

    sent = me.post(
        appeal_url(absent),
        {"wanted": "present", "reason": "I sat at the back", "attachment": SimpleUploadedFile("x.pdf", PDF)},
    )

    assert sent.status_code == 302
    appeal = ExcuseRequest.objects.get(record=absent)
    day = timezone.localdate(absent.attendance.starts_at)
    assert (appeal.state, appeal.wanted, appeal.first_day) == ("pending", "present", day)
    assert AttendanceRecord.objects.get(pk=absent.pk).status == Status.ABSENT  # nothing changes before the teacher
    them = login(Client(), teacher)
    listed = them.get(reverse("attendance:excuse_list")).text
    assert f"Appeal of {absent.attendance.lesson_name}" in listed and "I sat at the back" in listed

    them.post(reverse("attendance:excuse_decide", args=[appeal.pk, "approve"]))

    assert AttendanceRecord.objects.get(pk=absent.pk).status == Status.PRESENT
    change = RecordChange.objects.get(record=absent)
    assert (change.old_status, change.new_status, change.changed_by) == ("absent", "present", teacher)
    assert change.reason == "Appeal approved. I sat at the back"


def test_a_declined_appeal_changes_nothing(student, teacher, absent):
    appeal = appeals.file_appeal(student=student, record_id=absent.pk, wanted="excused", reason="Ill")
    service.decide(request_id=appeal.pk, by=teacher, approve=False, note="No note from a doctor")
    assert AttendanceRecord.objects.get(pk=absent.pk).status == Status.ABSENT
    assert not RecordChange.objects.filter(record=absent).exists()


def test_an_appeal_is_refused_after_the_courses_appeal_days(student, absent, course):
    course.appeal_days = 0
    course.save()
    me = login(Client(), student)
    assert f'id="appeal-{absent.pk}"' not in me.get(reverse("attendance:my_attendance")).text

    response = me.post(appeal_url(absent), {"wanted": "present", "reason": "Late note"})

    assert response.status_code == 400 and "The time to appeal this record ended on" in response.text
    assert not ExcuseRequest.objects.exists()


def test_one_pending_appeal_per_record_and_only_ones_own(student, absent, classmates):
    appeals.file_appeal(student=student, record_id=absent.pk, wanted="present", reason="Here")
    with pytest.raises(service.ExcuseRefused, match="appealed this record already"):
        appeals.file_appeal(student=student, record_id=absent.pk, wanted="present", reason="Here!")
    rita, _ = classmates
    assert login(Client(), rita).get(appeal_url(absent)).status_code == 404


def test_a_present_record_is_not_appealable(student, absent):
    AttendanceRecord.objects.filter(pk=absent.pk).update(status=Status.PRESENT)
    with pytest.raises(service.ExcuseRefused, match="cannot be appealed"):
        appeals.file_appeal(student=student, record_id=absent.pk, wanted="excused", reason="?")


def test_an_excuse_request_for_yesterday_becomes_an_appeal_of_its_record(student, teacher, absent, course):
    yesterday = timezone.localdate(absent.attendance.starts_at)
    me = login(Client(), student)

    response = me.post(
        reverse("attendance:my_excuses"),
        {"course": course.pk, "first_day": yesterday.isoformat(), "reason": "Doctor's note"},
    )

    assert response.status_code == 302
    appeal = ExcuseRequest.objects.get(student=student)
    assert (appeal.record_id, appeal.wanted) == (absent.pk, Status.EXCUSED)
    service.decide(request_id=appeal.pk, by=teacher, approve=True)
    assert AttendanceRecord.objects.get(pk=absent.pk).status == Status.EXCUSED


def test_an_excuse_request_for_past_days_without_a_saved_session_says_so(student, course):
    long_ago = timezone.localdate() - timedelta(days=3)
    response = login(Client(), student).post(
        reverse("attendance:my_excuses"), {"course": course.pk, "first_day": long_ago.isoformat(), "reason": "Ill"}
    )
    assert response.status_code == 400 and "can still be appealed" in response.text
    assert not ExcuseRequest.objects.exists()


def test_an_approved_appeal_is_not_applied_to_other_sessions_of_its_day(student, teacher, absent, course):
    later = absent.attendance.starts_at + timedelta(hours=2)
    other = AttendanceFactory(course=course, teacher=teacher, starts_at=later)
    second = RecordFactory(attendance=other, student=student, status=Status.ABSENT, source="sweep")
    appeal = appeals.file_appeal(student=student, record_id=absent.pk, wanted="excused", reason="Ill")
    service.decide(request_id=appeal.pk, by=teacher, approve=True)
    assert AttendanceRecord.objects.get(pk=second.pk).status == Status.ABSENT


def test_the_teacher_sets_the_round_three_settings_on_the_policy_form(teacher, course):
    url = reverse("attendance:course_policy", args=[course.pk])
    page = login(Client(), teacher)
    base = {"rate_policy": "to_date", "excused_counts_as_present": "on", "remote_weight": "100"}

    response = page.post(url, {**base, "appeal_days": "3", "absences_in_a_row": "4", "meeting_min_share": "60"})

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.appeal_days, course.absences_in_a_row, course.meeting_min_share) == (3, 4, 60)
    page.post(url, base)  # left out: unchanged
    course.refresh_from_db()
    assert (course.appeal_days, course.absences_in_a_row, course.meeting_min_share) == (3, 4, 60)
    refused = page.post(url, {**base, "meeting_min_share": "120"})
    assert refused.status_code == 400 and "less than or equal to 100" in refused.text
