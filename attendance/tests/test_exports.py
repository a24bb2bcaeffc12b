import csv
import io
import tracemalloc
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from attendance.models import Attendance, AttendanceRecord, Enrollment
from tests.factories import AttendanceFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(teacher, course, student):
    attendance = AttendanceFactory(teacher=teacher, course=course, lesson_name="Week 1")
    RecordFactory(attendance=attendance, student=student, status="late", source="qr")
    RecordFactory(attendance=attendance, status="rejected", fail_reason="Wrong network")
    RecordFactory(attendance=attendance, status="absent", is_deleted=True, deleted_at=timezone.now())
    return attendance


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_session_csv_has_one_row_per_live_record(teacher_client, session, student):
    response = teacher_client.get(reverse("attendance:session_export", args=[session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"attn-cs101-{timezone.localtime(session.starts_at):%Y-%m-%d}-week-1.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 2
    mine = next(r for r in rows if r["student_number"] == student.school_number)
    assert (mine["course"], mine["session"], mine["status"], mine["source"]) == ("CS101", "Week 1", "late", "qr")
    assert mine["checked_in_at"] and mine["start"] and mine["end"]
    assert any(r["reason"] == "Wrong network" for r in rows)


def test_the_course_xlsx_has_the_long_sheet_and_the_matrix(teacher_client, session, course, student):
    # Read before the export: its time zone setting lasts to the end of the transaction, here the test's.
    starts = Attendance.objects.filter(course=course).order_by("starts_at").first().starts_at
    response = teacher_client.get(reverse("attendance:course_export", args=[course.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert book.sheetnames == ["Records", "Matrix"]
    long = list(book["Records"].values)
    assert long[0][4] == "student_number" and len(long) == 3
    # Times are spreadsheet dates in the school's time zone, not text.
    import datetime as dt

    from django.utils import timezone

    first = next(row for row in long[1:] if row[4] == student.school_number)
    assert isinstance(first[2], dt.datetime) and isinstance(first[7], dt.datetime)
    assert first[2] == timezone.localtime(starts).replace(tzinfo=None, microsecond=0)

    matrix = {row[0]: row for row in list(book["Matrix"].values)[1:]}
    assert matrix[student.school_number][2] == "late"
    assert matrix[student.school_number][-1] == 100.0


def test_names_and_headers_say_the_schools_time_not_utc(teacher_client, teacher, course, student):
    """A 01:30 class in Istanbul is 22:30 UTC the day before: files and columns say 01:30 on its own day."""
    from datetime import UTC, datetime

    late_night = AttendanceFactory(
        teacher=teacher, course=course, lesson_name="Night", starts_at=datetime(2026, 12, 4, 22, 30, tzinfo=UTC)
    )
    RecordFactory(attendance=late_night, student=student, status="present")
    response = teacher_client.get(reverse("attendance:session_export", args=[late_night.pk]))
    assert "attn-cs101-2026-12-05-night.csv" in response["Content-Disposition"]
    response = teacher_client.get(reverse("attendance:course_export", args=[course.pk]), {"format": "xlsx"})
    header = next(load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)["Matrix"].values)
    assert "2026-12-05 01:30 Night" in header
    assert str(late_night) == "Night (2026-12-05 01:30)"  # as the admin's lists show it


def test_an_unknown_format_is_a_400(teacher_client, session):
    assert (
        teacher_client.get(reverse("attendance:session_export", args=[session.pk]), {"format": "pdf"}).status_code
        == 400
    )


def test_exports_match_the_report_numbers(teacher_client, session, course):
    from attendance.history.reports import course_report

    report = course_report(course)
    rows = read_csv(teacher_client.get(reverse("attendance:course_export", args=[course.pk])))
    assert len(rows) == sum(1 for line in report.lines for mark in line.marks if mark)


def test_a_500_by_60_course_exports_with_bounded_memory(teacher_client, teacher, course):
    students = User.objects.bulk_create(
        [User(school_number=f"X{i:04d}", full_name=f"Student {i:04d}", password="!") for i in range(500)]
    )
    Enrollment.objects.bulk_create([Enrollment(course=course, student=s) for s in students])
    start = timezone.now() - timedelta(days=70)
    sessions = Attendance.objects.bulk_create(
        [
            Attendance(
                course=course,
                teacher=teacher,
                lesson_name=f"Week {i}",
                starts_at=start + timedelta(days=i),
                ends_at=start + timedelta(days=i, hours=1),
            )
            for i in range(60)
        ]
    )
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(attendance=a, student=s, status="present", source="code")
            for a in sessions
            for s in students
        ],
        batch_size=5000,
    )
    response = teacher_client.get(reverse("attendance:course_export", args=[course.pk]))
    tracemalloc.start()
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert lines == 500 * 60 + 1
    # Streaming in chunks of 2,000 rows: far below what 30,000 rows held at once would take.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_csv_for_excel_in_turkish_separates_fields_with_semicolons(teacher_client, session, student):
    url = reverse("attendance:session_export", args=[session.pk])
    page = teacher_client.get(reverse("attendance:session_detail", args=[session.pk])).text
    assert f"{url}?format=csv&amp;sep=semicolon" in page
    response = teacher_client.get(url, {"format": "csv", "sep": "semicolon"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("course;session;")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert len(rows) == 2 and {r["student_number"] for r in rows} >= {student.school_number}
