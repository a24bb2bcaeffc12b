"""The sweep's inserts stay on Django's fast path: one INSERT … SELECT * FROM UNNEST(…) per batch of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance import sweep
from attendance.models import AttendanceRecord
from attendance.sweep import persist
from tests.factories import CourseFactory, EnrollmentFactory

from .sweep_helpers import due_session, live_record

pytestmark = pytest.mark.usefixtures("single_sweep_thread")


def inserts_into(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"')]


@pytest.mark.django_db(transaction=True)
def test_it_inserts_the_records_of_a_batch_as_one_unnest_statement_per_batch(settings, monkeypatch):
    settings.SWEEP_BATCH_SESSIONS = 10
    monkeypatch.setattr(persist, "RECORDS_PER_INSERT", 4)
    course = CourseFactory()
    EnrollmentFactory(course=course)  # never checks in: an absent record
    flags = {"flags": ["network", "shared_device"]}
    for i in range(3):
        due_session(course=course, records=[live_record(f"S9{i}{j}", **flags) for j in range(3)])

    with CaptureQueriesContext(connection) as queries:
        result = sweep.run()

    assert (result.processed, result.records) == (3, 12)
    records = inserts_into(queries, AttendanceRecord._meta.db_table)
    assert len(records) == 3  # 12 rows, 4 to a statement
    for sql in records:
        assert "SELECT * FROM UNNEST(" in sql and "VALUES" not in sql, sql
    assert AttendanceRecord.objects.filter(flags=flags["flags"]).count() == 9


@pytest.mark.django_db(transaction=True)
def test_it_inserts_the_users_and_the_sessions_with_unnest_too():
    for i in range(2):
        due_session(teacher_number=f"T9{i}", records=[live_record(f"S8{i}{j}") for j in range(2)])

    with CaptureQueriesContext(connection) as queries:
        assert sweep.run().processed == 2

    for table in ("accounts_user", "attendance_attendance"):
        (sql,) = inserts_into(queries, table)
        assert "SELECT * FROM UNNEST(" in sql and "ON CONFLICT DO NOTHING" in sql, sql
