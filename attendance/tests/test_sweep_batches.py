"""The sweep writes sessions in batches: one transaction for many, one by one when the database refuses the batch."""

import uuid

import pytest

from accounts.models import User
from attendance import sweep
from attendance.models import Attendance, AttendanceRecord, Status
from attendance.sweep import persist, runner
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

from .sweep_helpers import due_session, failures, is_live, live_record

pytestmark = pytest.mark.usefixtures("single_sweep_thread")


@pytest.fixture
def batch_sizes(monkeypatch):
    """Record how many sessions each call of sessions_persist writes."""
    sizes, real = [], persist.sessions_persist

    def counting(finished, **options):  # options: the live corrections (changes=) since issue 27
        sizes.append(len(finished))
        return real(finished, **options)

    monkeypatch.setattr(runner, "sessions_persist", counting)
    monkeypatch.setattr(persist, "sessions_persist", counting)  # under session_persist, one by one
    return sizes


@pytest.mark.django_db(transaction=True)
def test_it_writes_a_batch_of_sessions_in_one_transaction(settings, batch_sizes):
    settings.SWEEP_BATCH_SESSIONS = 4
    sessions = [due_session(records=[live_record(f"S1{i:02d}{j}") for j in range(3)]) for i in range(10)]

    result = sweep.run()

    assert batch_sizes == [4, 4, 2]
    assert (result.processed, result.records, result.failed) == (10, 30, 0)
    assert AttendanceRecord.objects.count() == 30
    assert not any(is_live(s.id) for s in sessions)


@pytest.mark.django_db(transaction=True)
def test_a_batch_holds_at_most_the_record_limit(settings, batch_sizes):
    settings.SWEEP_BATCH_SESSIONS = 10
    settings.SWEEP_BATCH_RECORDS = 5
    for i in range(4):
        due_session(records=[live_record(f"S2{i:02d}{j}") for j in range(3)])

    assert sweep.run().processed == 4
    assert batch_sizes == [2, 2]


@pytest.mark.django_db(transaction=True)
def test_a_refused_session_is_set_aside_and_the_rest_of_its_batch_lands(settings, batch_sizes):
    settings.SWEEP_BATCH_SESSIONS = 10
    good = [due_session(records=[live_record(f"S3{i:02d}")]) for i in range(4)]
    refused = due_session(teacher_number="T3999", records=[live_record("S3999", source="carrier pigeon")])

    result = sweep.run()

    assert batch_sizes == [5, 1, 1, 1, 1, 1]  # the batch, then each session alone
    assert (result.processed, result.records, result.failed) == (4, 4, 1)
    assert result.errors[0].startswith(refused.id) and "IntegrityError" in result.errors[0]
    assert set(Attendance.objects.values_list("id", flat=True)) == {uuid.UUID(s.id) for s in good}
    assert not User.objects.filter(school_number__in=["T3999", "S3999"]).exists()
    assert is_live(refused.id) and failures(refused.id) == 1
    assert not any(is_live(s.id) for s in good)


@pytest.mark.django_db(transaction=True)
def test_a_batch_counts_and_notes_each_session_apart(settings):
    settings.SWEEP_BATCH_SESSIONS = 10
    first, second = CourseFactory(), CourseFactory()
    UserFactory(school_number="S4001", full_name="Ada Account")
    for course in (first, second):
        EnrollmentFactory(course=course, student=UserFactory())
    a = due_session(course=first, records=[live_record("S4001", name="Ada Live")])
    b = due_session(course=second, records=[live_record("S4002"), live_record("S4003")])

    result = sweep.run()

    assert (result.processed, result.records) == (2, 5)  # each session's absent student too
    assert AttendanceRecord.objects.filter(attendance_id=a.id).count() == 2
    assert AttendanceRecord.objects.filter(attendance_id=b.id, status=Status.ABSENT).count() == 1
    assert result.notes == [f"{a.id}: S4001: kept the name 'Ada Account', the session said 'Ada Live'"]


@pytest.mark.django_db(transaction=True)
def test_a_new_number_gets_the_role_of_the_first_session_that_names_it(settings):
    settings.SWEEP_BATCH_SESSIONS = 10
    due_session(teacher_number="T5001", records=[live_record("S5001")])
    due_session(teacher_number="T5002", records=[live_record("T5001")])

    sweep.run()

    assert User.objects.get(school_number="T5001").role == User.Role.TEACHER
