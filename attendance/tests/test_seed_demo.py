import pytest
from django.core.management import call_command

from accounts.models import User
from attendance.models import Course, Enrollment

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_logins_work(client):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(role="teacher").count() == 3
    assert User.objects.filter(role="student").count() == 120
    assert Course.objects.count() == 4
    assert Enrollment.objects.values("student").distinct().count() == 120
    assert Enrollment.objects.count() == 240
    response = client.post("/accounts/login/", {"username": "T001", "password": "teacher-demo"})
    assert response.status_code == 302


def test_the_demo_has_a_past_term_that_shows_what_reports_are_for():
    from attendance.history.reports import course_report
    from attendance.models import Attendance, AttendanceRecord, RecordChange

    call_command("seed_demo")
    call_command("seed_demo")
    assert Attendance.objects.count() == 4 * 12, "idempotent: no second term"
    assert AttendanceRecord.objects.count() == 4 * 12 * 60
    statuses = set(AttendanceRecord.objects.values_list("status", flat=True))
    assert {"present", "late", "absent", "excused"} <= statuses
    assert RecordChange.objects.exists()
    assert AttendanceRecord.objects.filter(status="excused").exclude(fail_reason="").exists()
    report = course_report(Course.objects.get(code="CS101"))
    rates = {line.school_number: line.rate for line in report.lines}
    assert rates["S0001"] == 100
    below = [number for number, rate in rates.items() if rate is not None and rate < report.threshold]
    assert "S0005" in below and 2 <= len(below) <= 12, below


def test_the_demo_has_excuse_requests_in_each_state():
    from attendance.models import ExcuseRequest
    from attendance.photos import images

    call_command("seed_demo")
    call_command("seed_demo")
    states = dict(ExcuseRequest.objects.filter(record=None).values_list("student__school_number", "state"))
    assert states == {"S0003": "pending", "S0005": "approved", "S0007": "declined"}, "idempotent: one of each"
    (appeal,) = ExcuseRequest.objects.exclude(record=None)  # and one appeal after the fact, waiting
    assert (appeal.state, appeal.wanted, appeal.record.status) == ("pending", "present", "absent")
    waiting = ExcuseRequest.objects.get(state="pending", record=None)
    assert images.read(waiting.attachment).startswith(b"%PDF-")


def test_the_demo_lists_low_attendance_warnings_once():
    from attendance.models import AttendanceWarning

    call_command("seed_demo")
    call_command("seed_demo")
    warned = set(
        AttendanceWarning.objects.filter(course__code="CS101").values_list("student__school_number", flat=True)
    )
    assert "S0005" in warned and "S0001" not in warned
    assert AttendanceWarning.objects.filter(cleared_at__isnull=True).count() == AttendanceWarning.objects.count()


def test_the_demo_has_hybrid_sessions_with_remote_students():
    from attendance.models import Attendance, AttendanceRecord

    call_command("seed_demo")
    hybrid = Attendance.objects.filter(admits_remote=True)
    assert set(hybrid.values_list("course__code", flat=True)) == {"CS201"} and hybrid.count() == 3
    remote = AttendanceRecord.objects.filter(status="remote")
    assert remote.exists() and set(remote.values_list("attendance__admits_remote", flat=True)) == {True}


def test_the_demo_has_a_timetable_with_days_without_class():
    from attendance.models import Course, NoClassDay, TimetableSlot

    call_command("seed_demo")
    call_command("seed_demo")
    (slot,) = TimetableSlot.objects.all()
    assert (slot.course.code, slot.weekday, slot.starts.hour) == ("PH120", 3, 15)
    assert NoClassDay.objects.filter(course__isnull=True).count() == 1
    assert NoClassDay.objects.filter(course__code="PH120").count() == 1
    assert Course.objects.get(code="PH120").planned_sessions == 14  # 16 Thursdays, two without class
