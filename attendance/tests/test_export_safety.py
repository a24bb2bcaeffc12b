"""Exports hold what people typed as text: no live formulas, no characters that break a workbook."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import AttendanceFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "bell\x0bchar"]


@pytest.fixture
def hostile_session(teacher, course):
    attendance = AttendanceFactory(teacher=teacher, course=course, lesson_name="=1+1 lesson")
    for n, text in enumerate(HOSTILE):
        student = UserFactory(school_number=f"S55{n}", full_name=text)
        RecordFactory(attendance=attendance, student=student, status="rejected", fail_reason=text)
    return attendance


def test_the_csv_export_neutralises_formulas(teacher_client, hostile_session):
    response = teacher_client.get(reverse("attendance:session_export", args=[hostile_session.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["session"] for row in rows} == {"'=1+1 lesson"}
    names = {row["student_name"] for row in rows}
    assert '\'=HYPERLINK("http://evil","x")' in names and "'+1+1" in names and "'@SUM(A1)" in names
    assert not any(value.startswith(("=", "+", "-", "@", "\t")) for row in rows for value in row.values())


def test_the_xlsx_export_keeps_formulas_as_text_and_drops_control_characters(teacher_client, hostile_session):
    response = teacher_client.get(reverse("attendance:session_export", args=[hostile_session.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [cell for row in book["Records"].iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert "=1+1 lesson" in values and '=HYPERLINK("http://evil","x")' in values  # readable, as typed
    assert "bellchar" in values
