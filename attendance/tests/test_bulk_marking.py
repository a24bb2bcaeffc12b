"""Bulk marking (issue 32): on a saved session and on the live roster, the ticked students (or everyone not
checked in) marked with one status and one reason, one audited change per record."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance import live
from attendance.models import AttendanceRecord, RecordChange, Status
from conftest import login
from tests.factories import AttendanceFactory, EnrollmentFactory, RecordFactory, UserFactory

from .live_helpers import check_in, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(course, teacher):
    """A saved session: three students absent, one present."""
    starts = timezone.now() - timedelta(days=1)
    session = AttendanceFactory(course=course, teacher=teacher, starts_at=starts, ends_at=starts + timedelta(hours=1))
    for n, status in enumerate([Status.ABSENT, Status.ABSENT, Status.ABSENT, Status.PRESENT]):
        person = UserFactory(school_number=f"S40{n:02d}")
        EnrollmentFactory(course=course, student=person)
        RecordFactory(attendance=session, student=person, status=status, source="sweep")
    return session


def statuses(session) -> dict[str, str]:
    rows = AttendanceRecord.objects.alive().filter(attendance=session)
    return dict(rows.values_list("student__school_number", "status"))


def bulk(client, session, **data):
    return client.post(reverse("attendance:records_bulk_change", args=[session.pk]), data)


def test_the_ticked_records_are_marked_with_one_change_each(teacher_client, teacher, saved):
    picked = list(AttendanceRecord.objects.filter(attendance=saved, student__school_number__in=["S4000", "S4003"]))

    response = bulk(teacher_client, saved, records=[r.pk for r in picked], status="excused", reason="Field trip")

    assert response.status_code == 302
    assert statuses(saved) == {"S4000": "excused", "S4001": "absent", "S4002": "absent", "S4003": "excused"}
    changes = RecordChange.objects.filter(record__attendance=saved)
    assert sorted((c.old_status, c.new_status, c.reason) for c in changes) == [
        ("absent", "excused", "Field trip"),
        ("present", "excused", "Field trip"),
    ]
    assert all(c.changed_by == teacher for c in changes)


def test_everyone_absent_at_once(teacher_client, saved):
    bulk(teacher_client, saved, everyone_absent="on", status="excused", reason="Strike")
    assert statuses(saved) == {"S4000": "excused", "S4001": "excused", "S4002": "excused", "S4003": "present"}
    assert RecordChange.objects.filter(record__attendance=saved).count() == 3


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"status": "excused", "reason": "x"}, "Tick the students to mark"),
        ({"everyone_absent": "on", "status": "excused", "reason": ""}, "This field is required"),
        ({"everyone_absent": "on", "status": "pending", "reason": "x"}, "Select a valid choice"),
        ({"records": ["999999"], "status": "excused", "reason": "x"}, "Select a valid choice"),
    ],
)
def test_a_bad_bulk_change_is_a_400_and_changes_nothing(teacher_client, saved, data, problem):
    response = bulk(teacher_client, saved, **data)
    assert response.status_code == 400 and problem in response.text
    assert not RecordChange.objects.exists()


def test_another_teachers_records_cannot_be_ticked(client, saved, other_teacher):
    login(client, other_teacher)
    record = AttendanceRecord.objects.filter(attendance=saved).first()
    assert bulk(client, saved, records=[record.pk], status="excused", reason="x").status_code == 404
    assert not RecordChange.objects.exists()


# --- the live roster ------------------------------------------------------------------------


def test_the_live_roster_marks_the_ticked_and_everyone_not_checked_in(
    teacher, course, session, student, classmates, clock
):
    check_in(session, student, clock.now)
    rita, mia = classmates
    extra = UserFactory(school_number="S4100")
    EnrollmentFactory(course=course, student=extra)
    teacher_page = login(Client(), teacher)

    ticked = teacher_page.post(
        url("live_bulk", session), {"numbers": [student.school_number], "action": "reject", "reason": "Left early"}
    )
    everyone = teacher_page.post(
        url("live_bulk", session), {"everyone_missing": "on", "action": "excuse", "reason": "Sports day"}
    )

    assert ticked.status_code in (200, 302) and everyone.status_code in (200, 302)
    records = live.get_records(session.id)
    assert (records[student.school_number].status, records[student.school_number].reason) == ("rejected", "Left early")
    for person in (rita, mia, extra):
        assert (records[person.school_number].status, records[person.school_number].reason) == ("excused", "Sports day")
    assert len(live.get_changes(session.id)) == 4  # one logged correction each


def test_the_live_bulk_needs_a_reason_and_a_choice(teacher, session):
    teacher_page = login(Client(), teacher)
    assert teacher_page.post(url("live_bulk", session), {"action": "excuse", "reason": "x"}).status_code == 400
    assert (
        teacher_page.post(url("live_bulk", session), {"everyone_missing": "on", "action": "excuse"}).status_code == 400
    )
    assert (
        teacher_page.post(
            url("live_bulk", session), {"everyone_missing": "on", "action": "fly", "reason": "x"}
        ).status_code
        == 400
    )
    assert live.get_records(session.id) == {}
