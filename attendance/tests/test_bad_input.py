"""Bad input found by hand gets a clear 4xx (or a clear report), never a 500, and changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from attendance import live
from attendance.models import Enrollment, ExcuseRequest, TimetableSlot
from attendance.photos import external
from conftest import login

from .live_helpers import start
from .test_hybrid import start_hybrid

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


# --- found by the audit of round three (issue 26): each was a 500 ---


def test_a_remote_link_with_a_token_that_is_not_ascii_is_a_404(student_client, teacher, course):
    session = start_hybrid(teacher, course)
    url = reverse("attendance:remote", args=[session.id, "é" * 24])
    assert student_client.get(url).status_code == 404
    assert student_client.post(url).status_code == 404
    assert live.get_record(session.id, "S1001") is None


def test_a_webhook_signature_that_is_not_ascii_is_a_403(client, settings):
    settings.PHOTO_VERIFIER_SECRET = "test-verifier-secret"
    payload = b'{"id": "req-1"}'
    headers = external.signed_headers(payload, settings.PHOTO_VERIFIER_SECRET)
    headers[external.SIGNATURE_HEADER] = "sha256=é"
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    response = client.post(
        reverse("attendance:verification_callback"), payload, content_type="application/json", **extra
    )
    assert response.status_code == 403


@pytest.fixture
def live_session(teacher, course):
    return start(teacher, course)


def test_a_nul_in_an_address_is_a_400(teacher_client, teacher, live_session):
    photo = reverse("attendance:check_in_photo", args=[live_session.id, "S1001\x00"])
    action = reverse("attendance:record_action", args=[live_session.id, "S1\x00", "reject"])
    assert teacher_client.get(photo).status_code == 400
    assert teacher_client.post(action).status_code == 400
    assert teacher_client.get(reverse("attendance:session_list"), {"course": "\x00"}).status_code == 400
    assert teacher_client.get(reverse("attendance:session_list"), {"x\x00": "1"}).status_code == 400


def test_a_nul_in_an_admin_filter_is_a_400(client, staff):
    login(client, staff)
    assert client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "\x00"}).status_code == 400
    assert client.get(reverse("admin:accounts_user_changelist"), {"q": "a\x00"}).status_code == 400


def test_an_excuse_for_the_end_of_the_calendar_is_refused_with_a_message(student_client, course):
    data = {"course": course.pk, "first_day": "9999-12-31", "reason": "Far away"}
    response = student_client.post(reverse("attendance:my_excuses"), data)
    assert response.status_code == 400 and "Ask at most a year ahead." in response.text
    assert not ExcuseRequest.objects.exists()


@pytest.mark.parametrize(("first", "last"), [("2026-09-14", "9999-12-31"), ("2700-01-01", "2700-02-01")])
def test_a_timetable_beyond_a_year_is_refused_with_a_message(teacher_client, course, first, last):
    slot = {"weekday": 0, "starts": "09:00", "duration_minutes": 90, "network_mode": "off"}
    response = teacher_client.post(
        reverse("attendance:slot_add", args=[course.pk]), {**slot, "first_day": first, "last_day": last}
    )
    assert response.status_code == 400 and "at most a year, starting within a year" in response.text
    csv = SimpleUploadedFile("t.csv", b"Monday;09:00;90;B-204\n")
    response = teacher_client.post(
        reverse("attendance:slots_import", args=[course.pk]), {"file": csv, "first_day": first, "last_day": last}
    )
    assert response.status_code == 400 and "at most a year, starting within a year" in response.text
    assert not TimetableSlot.objects.exists()


# --- found by the fuzz once it followed the admin's own links (issue 26) ---


@pytest.mark.parametrize(
    "query",
    [
        {"starts_at__year": "2147483648"},  # past C's int: OverflowError
        {"starts_at__year": "9999"},  # the next year's first day is year 10000: ValueError
        {"starts_at__year": "9999", "starts_at__month": "12"},  # 32 days on: OverflowError
    ],
)
def test_a_date_drill_down_beyond_the_calendar_is_a_message_not_a_500(client, staff, query):
    staff.is_superuser = True  # the sessions' admin pages are the superuser's
    staff.save(update_fields=["is_superuser"])
    login(client, staff)
    changelist = reverse("admin:attendance_attendance_changelist")
    response = client.get(changelist, query)
    assert response.status_code == 302 and response.url == f"{changelist}?e=1"  # the admin's bad-lookup answer
    page = client.get(response.url)
    assert page.status_code == 200 and "That date is outside the calendar" in page.text
    days = client.get(reverse("admin:attendance_noclassday_changelist"), {"day__year": "2147483648"})
    assert days.status_code == 302
