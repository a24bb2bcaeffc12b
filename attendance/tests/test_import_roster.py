import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from attendance.models import Enrollment
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses():
    return CourseFactory(code="CS101"), CourseFactory(code="MA110")


def write(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_creates_students_and_enrolments(tmp_path, courses, capsys):
    path = write(tmp_path, "school_number,full_name,course\nS1,Ann One,CS101\nS2,Bo Two,CS101\nS1,Ann One,MA110\n")
    call_command("import_roster", str(path))
    assert set(User.objects.values_list("school_number", flat=True)) == {"S1", "S2"}
    assert Enrollment.objects.count() == 3
    assert not User.objects.get(school_number="S1").has_usable_password()
    assert "2 students created" in capsys.readouterr().out


def test_it_updates_names_and_skips_existing_enrolments(tmp_path, courses, capsys):
    UserFactory(school_number="S1", full_name="Old Name")
    path = write(tmp_path, "S1,New Name,CS101\n")
    call_command("import_roster", str(path), confirm_renames=True)
    call_command("import_roster", str(path))
    assert User.objects.get(school_number="S1").full_name == "New Name"
    assert Enrollment.objects.count() == 1
    assert "1 already enrolled" in capsys.readouterr().out


def test_a_duplicate_file_changes_nothing_the_second_time(tmp_path, courses):
    path = write(tmp_path, "S1,Ann,CS101\nS1,Ann,CS101\nS2,Bo,MA110\n")
    call_command("import_roster", str(path))
    before = (User.objects.count(), Enrollment.objects.count())
    call_command("import_roster", str(path))
    assert (User.objects.count(), Enrollment.objects.count()) == before == (2, 2)


def test_a_malformed_file_reports_each_bad_row_and_changes_nothing(tmp_path, courses, capsys):
    path = write(tmp_path, "S1,Ann,CS101\nS2,Bo\n,No Number,CS101\nS3,Cy,XX999\nS1,Another Ann,CS101\n")
    with pytest.raises(CommandError, match="4 bad rows"):
        call_command("import_roster", str(path))
    err = capsys.readouterr().err
    for line in ("line 2:", "line 3:", "line 4:", "line 5:"):
        assert line in err
    assert "XX999" in err
    assert User.objects.count() == 0 and Enrollment.objects.count() == 0


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_roster", str(tmp_path / "nope.csv"))


def test_the_admin_imports_the_same_file(client, courses):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from conftest import login
    from tests.factories import AdminFactory

    login(client, AdminFactory(is_superuser=True))
    url = reverse("admin:attendance_import_roster")
    bad = SimpleUploadedFile("r.csv", b"S1,Ann,NOPE\n")
    response = client.post(url, {"file": bad})
    assert response.status_code == 400 and b"Line 1" in response.content
    good = SimpleUploadedFile("r.csv", b"S1,Ann,CS101\nS2,Bo,CS101\n")
    preview = client.post(url, {"file": good})
    html = preview.content.decode()
    assert preview.status_code == 200 and "create 2 students" in html and "make 2 enrolments" in html
    assert not Enrollment.objects.exists()  # nothing changed before the administrator applies it
    token = html.split('name="confirm" value="')[1].split('"')[0]
    assert client.post(url, {"confirm": token}).status_code == 302
    assert Enrollment.objects.filter(student__school_number="S1").count() == 1
    for changelist in ("admin:attendance_course_changelist", "admin:attendance_enrollment_changelist"):
        assert url in client.get(reverse(changelist)).content.decode()


def test_a_teachers_number_is_refused_and_nothing_changes(tmp_path, courses, capsys):
    from tests.factories import TeacherFactory

    teacher = TeacherFactory(school_number="T1", full_name="Ada Teacher")
    path = write(tmp_path, "S1,Ann,CS101\nT1,Someone Else,CS101\n")
    with pytest.raises(CommandError, match="1 bad rows"):
        call_command("import_roster", str(path))
    assert "belongs to a teacher" in capsys.readouterr().err
    teacher.refresh_from_db()
    assert teacher.full_name == "Ada Teacher" and not Enrollment.objects.exists()
    assert not User.objects.filter(school_number="S1").exists()


def test_name_changes_are_listed_and_applied_only_when_confirmed(tmp_path, courses, capsys):
    UserFactory(school_number="S1", full_name="Old Name")
    path = write(tmp_path, "S1,New Name,CS101\nS2,Bo,CS101\n")
    with pytest.raises(CommandError, match="1 names would change; nothing was changed"):
        call_command("import_roster", str(path))
    assert "S1: 'Old Name' → 'New Name'" in capsys.readouterr().err
    assert User.objects.get(school_number="S1").full_name == "Old Name"
    assert not User.objects.filter(school_number="S2").exists()
    call_command("import_roster", str(path), confirm_renames=True)
    assert User.objects.get(school_number="S1").full_name == "New Name"
    assert "1 renamed" in capsys.readouterr().out


def test_semicolons_and_windows_1254_are_read(tmp_path, courses, capsys):
    path = tmp_path / "excel.csv"
    path.write_bytes("Okul No;Ad Soyad;Ders\nS1;Çiğdem Işık;CS101\nS2;Şükrü Çağlayan;MA110\n".encode("cp1254"))
    call_command("import_roster", str(path))
    assert User.objects.get(school_number="S1").full_name == "Çiğdem Işık"
    assert User.objects.get(school_number="S2").full_name == "Şükrü Çağlayan"
    assert "read as Windows-1254" in capsys.readouterr().err


def test_the_result_says_who_cannot_log_in_yet(tmp_path, courses, capsys):
    UserFactory(school_number="S1", full_name="Ann")  # has a password
    call_command("import_roster", str(write(tmp_path, "S1,Ann,CS101\nS2,Bo,CS101\n")))
    assert "1 of these students cannot log in yet" in capsys.readouterr().out
