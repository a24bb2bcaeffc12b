"""One clock: forms and services read the time from attendance.clock, so a frozen clock reaches them all."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from attendance import clock, sweep
from attendance.excuses import service as excuses
from attendance.history import corrections
from attendance.models import ExcuseRequest
from attendance.teaching.forms import DATETIME_LOCAL, StartSessionForm
from tests.factories import AttendanceFactory, RecordFactory

# Long past: code that still read the system clock would be a year or more away from it.
FROZEN = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    """Hold the app clock at FROZEN (the root conftest puts the system clock back)."""
    clock.use(FROZEN.timestamp)


def start_form(teacher, **changes) -> StartSessionForm:
    data = {"lesson_name": "Loops", "duration_minutes": "90", "network_mode": "off", "location_radius_m": "100"}
    return StartSessionForm({**data, **changes}, teacher=teacher)


def typed(moment: datetime) -> str:
    """The moment as a teacher types it in the form: local time, to the minute."""
    return timezone.localtime(moment).strftime(DATETIME_LOCAL)


def test_it_reads_todays_date_in_the_current_time_zone():
    clock.use(datetime(2025, 3, 3, 22, 30, tzinfo=UTC).timestamp)
    with timezone.override(ZoneInfo("Europe/Istanbul")):
        assert clock.localdate() == date(2025, 3, 4)


def test_it_starts_a_session_now_by_the_app_clock(teacher):
    form = start_form(teacher, ends_at=typed(FROZEN + timedelta(hours=1)))
    assert form.is_valid(), form.errors
    assert form.session_times() == (FROZEN, FROZEN + timedelta(hours=1))


def test_it_accepts_a_later_start_after_the_app_clocks_now(teacher):
    starts = FROZEN + timedelta(hours=1)
    form = start_form(teacher, start_later="on", starts_at=typed(starts))
    assert form.is_valid(), form.errors
    assert form.session_times() == (starts, starts + timedelta(minutes=90))


def test_it_refuses_a_later_start_over_a_year_after_the_app_clocks_now(teacher):
    form = start_form(teacher, start_later="on", starts_at=typed(FROZEN + timedelta(days=367)))
    assert not form.is_valid()
    assert form.errors["starts_at"] == ["Start a session at most a year ahead."]


def test_it_names_an_unnamed_lesson_by_the_app_clocks_date(teacher, course):
    form = start_form(teacher, course=course.pk, lesson_name="")
    assert form.is_valid(), form.errors
    with translation.override("en"), timezone.override(ZoneInfo("Europe/Istanbul")):
        assert form.lesson() == "Programming — 2025-03-03"
    with translation.override("tr"):  # stored once, read in any language: no month name in either
        assert form.lesson() == "Programming — 2025-03-03"


def test_it_stamps_removals_with_the_app_clocks_time(teacher, course, student):
    record = RecordFactory(attendance=AttendanceFactory(teacher=teacher, course=course), student=student)
    corrections.record_remove(record=record, by=teacher, reason="Wrong student")
    corrections.session_remove(attendance=record.attendance, by=teacher, reason="A test session")
    record.refresh_from_db()
    record.attendance.refresh_from_db()
    assert record.deleted_at == FROZEN
    assert record.attendance.deleted_at == FROZEN


def test_it_takes_an_excuse_from_the_app_clocks_today_and_stamps_the_decision(teacher, course, student):
    today = timezone.localdate(FROZEN)
    excuses.check_days(today, today)
    excuse = ExcuseRequest.objects.create(student=student, course=course, first_day=today, last_day=today, reason="X")
    assert excuses.decide(request_id=excuse.pk, by=teacher, approve=False).decided_at == FROZEN


def test_it_records_a_sweep_run_at_the_app_clocks_time():
    run = sweep.run(trigger="test").run
    assert (run.started_at, run.finished_at) == (FROZEN, FROZEN)
