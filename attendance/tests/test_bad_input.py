"""Bad input found by hand gets a clear 4xx (or a clear report), never a 500, and changes nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from attendance import live
from attendance.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999", "-1", "0x1", ""])
def test_the_session_list_ignores_a_course_filter_that_is_not_an_id(teacher_client, value):
    response = teacher_client.get(reverse("attendance:session_list"), {"course": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "²⁰²⁶-01-01"])
def test_the_session_list_ignores_dates_it_cannot_use(teacher_client, value):
    response = teacher_client.get(reverse("attendance:session_list"), {"from": value, "to": value})
    assert response.status_code == 200


def test_start_later_at_the_end_of_the_calendar_is_refused_with_a_message(teacher_client, teacher):
    data = {
        "lesson_name": "Far away",
        "start_later": "on",
        "starts_at": "9999-12-31T23:00",
        "duration_minutes": "90",
        "network_mode": "off",
        "location_radius_m": "100",
    }
    response = teacher_client.post(reverse("attendance:teacher_home"), data)
    assert response.status_code == 400
    assert b"at most a year ahead" in response.content
    assert live.teacher_open_session_id(teacher.school_number) is None


def write(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_field_too_large_for_the_csv_module_is_reported_by_line(tmp_path, course, capsys):
    path = write(tmp_path, f"S1,Ok Name,{course.code}\nS2,{'x' * 140_000},{course.code}\n")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_roster", str(path))
    report = capsys.readouterr().err
    assert "line 2" in report and "cannot be read as CSV" in report
    assert not User.objects.filter(school_number__in=["S1", "S2"]).exists()


def test_a_nul_in_a_roster_name_is_reported_not_written(tmp_path, course, capsys):
    path = write(tmp_path, f"S1,Nul\x00Name,{course.code}\n")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_roster", str(path))
    assert "control character" in capsys.readouterr().err
    assert not User.objects.filter(school_number="S1").exists()
    assert not Enrollment.objects.filter(student__school_number="S1").exists()
