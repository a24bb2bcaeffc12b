"""What a sweep run leaves in its row besides the counts: skipped sessions and names it kept."""

import pytest

from attendance import live, sweep
from attendance.models import AttendanceRecord, SweepRun
from tests.factories import UserFactory

from .sweep_helpers import due_session, live_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]


def test_a_student_renamed_since_keeps_the_accounts_name_and_the_run_says_so(caplog):
    UserFactory(school_number="S8001", full_name="Ayşe Yılmaz")
    session = due_session(records=[live_record("S8001", "Ayse Yilmaz")])

    result = sweep.run()

    assert result.processed == 1
    record = AttendanceRecord.objects.select_related("student").get(attendance_id=session.id)
    assert record.student.full_name == "Ayşe Yılmaz"
    run = SweepRun.objects.get()
    assert "S8001" in run.notes and "Ayşe Yılmaz" in run.notes and "Ayse Yilmaz" in run.notes
    assert run.ok  # a note, not an error
    assert "names differ" in caplog.text


def test_a_session_claimed_elsewhere_is_counted_as_skipped_in_the_row_and_summary():
    session = due_session(records=[live_record("S8002")])
    assert live.claim(session.id, "another-sweeper")

    result = sweep.run()

    assert (result.processed, result.skipped) == (0, 1)
    run = SweepRun.objects.get()
    assert run.sessions_skipped == 1
    assert run.summary == "Processed 0 sessions, saved 0 records, 0 failed, 1 skipped" == result.summary
