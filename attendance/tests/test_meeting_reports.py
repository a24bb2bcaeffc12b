"""Online meeting reports (issue 32): Zoom's, Teams' and BigBlueButton's attendance exports applied to a saved
session — matched by e-mail, by a school number in the name and by the name as Turkish compares it; minutes
summed over rejoins; present (remote) from the course's least share; nothing checked in overwritten; one
audited import; the same file twice changes nothing; bad files get a sentence with the line."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from attendance.meetings import parse
from attendance.models import AttendanceRecord, MeetingImport, RecordChange, Source, Status
from attendance.reasons import translate as translate_reason
from conftest import login
from tests.factories import AttendanceFactory, CourseFactory, EnrollmentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "data" / "meetings"
ZOOM, TEAMS, BBB = "zoom_participants.csv", "teams_attendance.csv", "bbb_learning_dashboard.csv"


@pytest.fixture
def course(teacher):
    course = CourseFactory(code="CS101", teachers=[teacher])
    for number, name, email in [
        ("S1101", "Işıl Yılmaz", "isil.yilmaz@uni.example"),
        ("S1102", "Çağrı Öztürk", ""),
        ("S1103", "Ayşe Demir", "ayse.demir@uni.example"),
        ("S1104", "Mehmet Kaya", ""),
        ("S1105", "Zeynep Arslan", ""),
    ]:
        EnrollmentFactory(course=course, student=UserFactory(school_number=number, full_name=name, email=email))
    return course


@pytest.fixture
def meeting(course, teacher):
    """A saved hybrid hour: everyone the sweep found absent, but Zeynep, who checked in in the room."""
    starts = timezone.now() - timedelta(hours=3)
    session = AttendanceFactory(course=course, teacher=teacher, starts_at=starts, ends_at=starts + timedelta(hours=1))
    for enrolment in course.enrollments.select_related("student"):
        checked_in = enrolment.student.school_number == "S1105"
        RecordFactory(
            attendance=session,
            student=enrolment.student,
            status=Status.PRESENT if checked_in else Status.ABSENT,
            source=Source.CODE if checked_in else Source.SWEEP,
        )
    return session


def upload(name: str, data: bytes | None = None):
    return SimpleUploadedFile(name, data if data is not None else (SAMPLES / name).read_bytes(), "text/csv")


def preview(client, session, name: str, *, data: bytes | None = None, share: int = 75):
    url = reverse("attendance:meeting_preview", args=[session.pk])
    return client.post(url, {"report": upload(name, data), "min_share": share})


def apply(client, session, page, *, confirm=()):
    token = page.text.split('name="plan" value="')[1].split('"')[0]
    url = reverse("attendance:meeting_apply", args=[session.pk])
    return client.post(url, {"plan": token, "confirmed": list(confirm)})


def statuses(session) -> dict[str, str]:
    rows = AttendanceRecord.objects.alive().filter(attendance=session).values_list("student__school_number", "status")
    return dict(rows)


# --- reading the three tools' reports ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "product", "minutes"),
    [
        (ZOOM, parse.ZOOM, {"Işıl Yılmaz": 59, "S1102 Cagri Ozturk": 15, "AYŞE DEMİR": 50, "Visiting Guest": 40}),
        (TEAMS, parse.TEAMS, {"Işıl Yılmaz": 59.5, "Çağrı Öztürk (S1102)": 20.1, "Ayşe Demir": 60.0}),
        (BBB, parse.BBB, {"isil yilmaz": 59.5, "Cagri Ozturk": 20.1, "Ayşe Demir": 60.0}),
    ],
)
def test_each_tools_report_is_read_with_its_minutes_summed(name, product, minutes):
    report = parse.read_report((SAMPLES / name).read_bytes())

    assert report.product == product
    found = {p.name: round(p.minutes, 1) for p in report.participants}
    for person, expected in minutes.items():
        assert found[person] == pytest.approx(expected, abs=0.1), person
    if name == TEAMS:  # the participants' section only: the activities after it are not counted again
        assert len(report.participants) == 5


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"just,some,columns\n1,2,3\n", "table found: the report needs a name column and a duration column"),
        (b"Name,Duration (Minutes)\n", "the report lists no participants"),
        (b"Name,Duration (Minutes)\nAda,ten\n", "Line 2: the duration “ten” is not a time"),
        (b"Name,Email,Duration (Minutes)\n,,5\n", "Line 2: a participant without a name"),
        (b"\xff\xfe\x00\xd8", "neither UTF-8 nor Windows-1254"),
    ],
)
def test_a_bad_file_is_a_400_with_the_line_and_changes_nothing(teacher_client, meeting, data, problem):
    before = statuses(meeting)

    response = preview(teacher_client, meeting, "bad.csv", data=data)

    assert response.status_code == 400 and problem in response.content.decode()
    assert statuses(meeting) == before and not MeetingImport.objects.exists()


# --- matching and applying -------------------------------------------------------------------


def test_a_zoom_report_makes_the_students_in_the_meeting_present_remote(teacher_client, teacher, meeting):
    page = preview(teacher_client, meeting, ZOOM)

    assert page.status_code == 200
    assert statuses(meeting)["S1101"] == Status.ABSENT  # nothing changes before the teacher applies
    for shown in ("meeting-S1101", "meeting-S1102", "meeting-S1103", "Visiting Guest", "Mehmet Kaya (iPhone)"):
        assert shown in page.text, shown

    response = apply(teacher_client, meeting, page)

    assert response.status_code == 302
    assert statuses(meeting) == {
        "S1101": Status.REMOTE,  # by e-mail (any case), 30 + 29 minutes of 60
        "S1102": Status.ABSENT,  # by the number in the name, 15 minutes: under 75 %
        "S1103": Status.REMOTE,  # by the name as Turkish compares it ("AYŞE DEMİR")
        "S1104": Status.ABSENT,  # "Mehmet Kaya (iPhone)" only looks alike: not ticked
        "S1105": Status.PRESENT,  # checked in in the room: never overwritten
    }
    isil = AttendanceRecord.objects.get(attendance=meeting, student__school_number="S1101")
    assert (isil.source, isil.fail_reason) == (Source.MEETING, "In the online meeting for 59 of 60 minutes.")
    done = MeetingImport.objects.get(attendance=meeting)
    assert (done.product, done.remote, done.absent, done.unchanged, done.unmatched) == ("zoom", 2, 1, 0, 2)
    changes = RecordChange.objects.filter(record__attendance=meeting)
    assert sorted(c.record.student.school_number for c in changes) == ["S1101", "S1102", "S1103"]
    assert all(c.changed_by == teacher for c in changes)
    session_page = teacher_client.get(reverse("attendance:session_detail", args=[meeting.pk])).text
    assert "Zoom report" in session_page and "2 present (remote)" in session_page


def test_a_name_that_only_looks_alike_counts_once_the_teacher_ticks_it(teacher_client, meeting):
    page = preview(teacher_client, meeting, ZOOM)
    mehmet = AttendanceRecord.objects.get(attendance=meeting, student__school_number="S1104").student_id

    apply(teacher_client, meeting, page, confirm=[mehmet])

    assert statuses(meeting)["S1104"] == Status.REMOTE


def test_the_same_report_twice_changes_nothing(teacher_client, meeting):
    apply(teacher_client, meeting, preview(teacher_client, meeting, ZOOM))
    before, changes = statuses(meeting), RecordChange.objects.count()

    again = preview(teacher_client, meeting, ZOOM)

    assert again.status_code == 302 and again.url == reverse("attendance:session_detail", args=[meeting.pk])
    assert "nothing changed" in teacher_client.get(again.url).content.decode()
    assert statuses(meeting) == before and RecordChange.objects.count() == changes
    assert MeetingImport.objects.count() == 1


def test_a_teams_report_in_utf16_and_a_bbb_export_are_applied_alike(teacher_client, meeting):
    apply(teacher_client, meeting, preview(teacher_client, meeting, TEAMS))
    assert statuses(meeting)["S1103"] == Status.REMOTE and statuses(meeting)["S1102"] == Status.ABSENT

    page = preview(teacher_client, meeting, BBB)  # no e-mails: names only; "isil yilmaz" only looks alike
    assert "isil yilmaz" in page.text and "Cagri Ozturk" in page.text


def test_a_share_of_twenty_percent_counts_a_quarter_hour(teacher_client, meeting):
    apply(teacher_client, meeting, preview(teacher_client, meeting, ZOOM, share=20))
    record = AttendanceRecord.objects.get(attendance=meeting, student__school_number="S1102")
    assert record.status == Status.REMOTE


def test_the_reason_reads_in_turkish(meeting, teacher_client):
    apply(teacher_client, meeting, preview(teacher_client, meeting, ZOOM))
    reason = AttendanceRecord.objects.get(attendance=meeting, student__school_number="S1101").fail_reason
    with translation.override("tr"):
        assert translate_reason(reason) != reason and "59" in translate_reason(reason)


def test_only_the_sessions_teacher_may_import(client, meeting, other_teacher, student):
    for who in (other_teacher, student):
        login(client, who)
        assert preview(client, meeting, ZOOM).status_code in (403, 404)
    assert not MeetingImport.objects.exists()


def test_a_tampered_preview_is_refused(teacher_client, meeting):
    page = preview(teacher_client, meeting, ZOOM)
    token = page.text.split('name="plan" value="')[1].split('"')[0]
    url = reverse("attendance:meeting_apply", args=[meeting.pk])
    response = teacher_client.post(url, {"plan": token[:-2] + "xx"})
    assert response.status_code == 400 and "read the report again" in response.content.decode()
    assert not MeetingImport.objects.exists()
