"""Low-attendance warnings: once per crossing (also with two workers at once), in the student's
language, a digest to the teacher, enqueued after each sweep, previewed and listed on the report."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from attendance import tasks
from attendance.models import AttendanceWarning, Course, Status
from attendance.sweep import SweepResult
from attendance.warnings import service as warnings
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, UserFactory

from .live_helpers import all_at_once
from .test_finish import queued_tasks


@pytest.fixture
def term(teacher, student, course):
    """Four held sessions: ``student`` came once (25 %), ``steady`` came every time."""
    User.objects.filter(pk=teacher.pk).update(email="teacher@example.edu")
    User.objects.filter(pk=student.pk).update(email="student@example.edu")
    steady = EnrollmentFactory(course=course, student=UserFactory(school_number="S4004")).student
    sessions = [
        AttendanceFactory(course=course, teacher=teacher, starts_at=timezone.now() - timedelta(days=7 * (4 - week)))
        for week in range(4)
    ]
    for index, session in enumerate(sessions):
        RecordFactory(attendance=session, student=student, status=Status.PRESENT if index == 0 else Status.ABSENT)
        RecordFactory(attendance=session, student=steady, status=Status.PRESENT)
    return sessions


def to(address):
    return [m for m in mail.outbox if address in m.to]


@pytest.mark.django_db
def test_a_student_under_the_threshold_is_warned_once_and_the_teacher_gets_a_digest(term, course, student):
    assert warnings.send_warnings() == 1
    (letter,) = to("student@example.edu")
    assert letter.subject == "CS101: your attendance is low"
    assert "25.0 %" in letter.body and "70 %" in letter.body and "/me/" in letter.body
    (digest,) = to("teacher@example.edu")
    assert "1 student warned" in digest.subject and student.full_name in digest.body
    warning = AttendanceWarning.objects.get()
    assert (warning.student, warning.kind, warning.rate, warning.emailed) == (student, "below", 25.0, True)

    assert warnings.send_warnings() == 0  # the same crossing: no second e-mail
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_back_above_then_under_again_is_a_new_crossing(term, course, teacher, student):
    warnings.send_warnings()
    for _ in range(8):
        RecordFactory(attendance=AttendanceFactory(course=course, teacher=teacher), student=student)
    assert warnings.send_warnings() == 0
    assert AttendanceWarning.objects.get().cleared_at is not None  # closed: back above
    for _ in range(12):
        RecordFactory(
            attendance=AttendanceFactory(course=course, teacher=teacher), student=student, status=Status.ABSENT
        )
    assert warnings.send_warnings() == 1
    assert AttendanceWarning.objects.filter(student=student).count() == 2
    assert len(to("student@example.edu")) == 2


@pytest.mark.django_db
def test_the_rule_can_no_longer_reach_waits_until_the_term_is_lost(term, course, student):
    Course.objects.filter(pk=course.pk).update(warning_rule="cannot_reach", rate_policy="term", planned_sessions=12)
    assert warnings.send_warnings() == 0  # 25 % now, but 9 sessions to go: 70 % still reachable
    Course.objects.filter(pk=course.pk).update(planned_sessions=5)
    assert warnings.send_warnings() == 1
    assert "can no longer reach" in to("student@example.edu")[0].body


@pytest.mark.django_db
def test_off_warns_nobody(term, course):
    Course.objects.filter(pk=course.pk).update(warning_rule="off")
    assert warnings.send_warnings() == 0 and not mail.outbox and not AttendanceWarning.objects.exists()


@pytest.mark.django_db
def test_the_e_mail_is_in_the_students_language(term, student):
    User.objects.filter(pk=student.pk).update(language="tr")
    warnings.send_warnings()
    (letter,) = to("student@example.edu")
    assert letter.subject == "CS101: devam durumunuz düşük"
    assert "Sayın" in letter.body and "%70" in letter.body


@pytest.mark.django_db
def test_a_student_without_an_address_is_listed_but_not_mailed(term, student):
    User.objects.filter(pk=student.pk).update(email="")
    warnings.send_warnings()
    assert not to("student@example.edu")
    assert AttendanceWarning.objects.get().emailed is False
    assert len(to("teacher@example.edu")) == 1


@pytest.mark.django_db
def test_a_failed_e_mail_leaves_no_warning_so_the_next_run_retries(term, student, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(warnings, "send_mail", broken)
    assert warnings.send_warnings() == 0
    assert not AttendanceWarning.objects.exists()
    monkeypatch.undo()
    assert warnings.send_warnings() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_warning(teacher, student, course):
    User.objects.filter(pk=student.pk).update(email="student@example.edu")
    for _week in range(3):
        RecordFactory(
            attendance=AttendanceFactory(course=course, teacher=teacher), student=student, status=Status.ABSENT
        )
    sent = all_at_once(2, lambda i: warnings.send_warnings([course.pk]))
    assert sorted(sent) == [0, 1]
    assert AttendanceWarning.objects.count() == 1
    assert len(to("student@example.edu")) == 1


@pytest.mark.django_db
def test_a_sweep_that_saved_sessions_enqueues_the_warnings_of_their_courses(task_queue):
    tasks._after_sweep(SweepResult(processed=2, courses={7, 3}))
    (task,) = queued_tasks(task_queue)
    assert (task["func"], task["args"]) == ("attendance.tasks.send_warnings", ([3, 7],))
    tasks._after_sweep(SweepResult())
    assert task_queue.queue_size() == 1  # nothing saved: nothing to warn


@pytest.mark.django_db
def test_the_report_previews_the_next_warnings_and_lists_the_sent_ones(teacher_client, term, course, student):
    page = teacher_client.get(reverse("attendance:course_report", args=[course.pk])).text
    due = page.split('id="warnings-due"')[1].split("</ul>")[0]
    assert student.full_name in due and "S4004" not in due
    warnings.send_warnings()
    page = teacher_client.get(reverse("attendance:course_report", args=[course.pk])).text
    sent = page.split('id="warnings-sent"')[1].split("</table>")[0]
    assert student.full_name in sent and "25.0 %" in sent
    assert "Nobody: no student crossed the rule" in page


@pytest.mark.django_db
def test_the_teacher_turns_warnings_off_for_a_course(teacher_client, term, course):
    response = teacher_client.post(
        reverse("attendance:course_policy", args=[course.pk]),
        {"rate_policy": "to_date", "excused_counts_as_present": "on", "warning_rule": "off"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.warning_rule == "off"
    assert "Off for this course" in teacher_client.get(reverse("attendance:course_report", args=[course.pk])).text
