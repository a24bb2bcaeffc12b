"""Timetables: weekly slots open their sessions by themselves, once per slot and day even with two
workers, skip holidays and cancelled days, and give the course its planned sessions."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from attendance import live
from attendance.models import NoClassDay, SlotOpening, TimetableSlot
from attendance.teaching import service as live_sessions
from attendance.timetables import service as timetable
from conftest import login

from .live_helpers import all_at_once
from .sweep_helpers import start_live


def slot_at(course, teacher, starts: datetime, **fields) -> TimetableSlot:
    local = timezone.localtime(starts)
    defaults = {
        "weekday": local.weekday(),
        "starts": local.time().replace(second=0, microsecond=0),
        "duration_minutes": 90,
        "room": "B-204",
        "first_day": local.date() - timedelta(days=60),
        "last_day": local.date() + timedelta(days=60),
    }
    return timetable.add_slot(course=course, teacher=teacher, **defaults | fields)


def now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


@pytest.mark.django_db
def test_planned_sessions_follow_the_slots_and_the_days_without_class(teacher, course):
    monday = date(2026, 9, 14)
    mondays = {"weekday": 0, "starts": time(9), "first_day": monday, "last_day": monday + timedelta(weeks=11)}
    timetable.add_slot(course=course, teacher=teacher, duration_minutes=90, **mondays)
    course.refresh_from_db()
    assert course.planned_sessions == 12
    timetable.add_no_class_day(course=None, day=monday + timedelta(weeks=2), reason="Republic Day")
    timetable.add_no_class_day(course=course, day=monday + timedelta(weeks=5), reason="Teacher at a conference")
    timetable.add_no_class_day(course=course, day=monday + timedelta(days=1), reason="Not a Monday")
    course.refresh_from_db()
    assert course.planned_sessions == 10


@pytest.mark.django_db
def test_a_due_slot_opens_its_session_once_ready_to_project(teacher, course):
    starts = now_local() + timedelta(minutes=10)  # inside the 15 minutes' lead
    slot = slot_at(course, teacher, starts)
    assert timetable.open_due_sessions() == 1
    assert timetable.open_due_sessions() == 0  # the same slot and day: nothing more
    sid = live.teacher_open_session_id(teacher.school_number)
    session = live.get_session(sid)
    assert session.starts_dt == starts and not session.has_started(timezone.now().timestamp())
    assert session.course_id == course.pk and "B-204" in session.lesson_name
    assert SlotOpening.objects.get(slot=slot).session_id is not None
    page = login_page(teacher)
    assert "Open now" in page


def login_page(teacher):
    from django.test import Client

    client = Client()
    login(client, teacher)
    return client.get(reverse("attendance:teacher_home")).text


@pytest.mark.django_db
def test_a_slot_not_yet_due_or_already_over_opens_nothing(teacher, course):
    slot_at(course, teacher, now_local() + timedelta(minutes=40))
    slot_at(course, teacher, now_local() - timedelta(minutes=120), duration_minutes=60)
    assert timetable.open_due_sessions() == 0
    assert live.teacher_open_session_id(teacher.school_number) is None


@pytest.mark.django_db
def test_a_holiday_or_a_cancelled_class_is_skipped(teacher, course, other_teacher):
    starts = now_local() + timedelta(minutes=5)
    slot = slot_at(course, teacher, starts)
    timetable.add_no_class_day(course=None, day=starts.date(), reason="Republic Day")
    assert timetable.open_due_sessions() == 0
    assert "Republic Day" in SlotOpening.objects.get(slot=slot).summary()
    assert live.teacher_open_session_id(teacher.school_number) is None


@pytest.mark.django_db
def test_a_slot_that_clashes_with_an_open_session_opens_when_that_one_ends(teacher, teacher_client, course):
    running = start_live(teacher, course)
    slot = slot_at(course, teacher, now_local() + timedelta(minutes=5))
    assert timetable.open_due_sessions() == 0
    claim = SlotOpening.objects.get(slot=slot)
    assert claim.waiting and "another session open; this one opens when it ends" in claim.summary()
    live_page = teacher_client.get(reverse("attendance:live", args=[running.id])).text
    assert 'id="waiting-slots"' in live_page and "is waiting: it opens by itself once you finish" in live_page
    assert timetable.open_due_sessions() == 0  # still open: still waiting

    live_sessions.session_finish(session=live.get_session(running.id))
    assert timetable.open_due_sessions() == 1
    claim.refresh_from_db()
    assert not claim.waiting and claim.session_id and claim.skipped == "" and claim.summary() == ""
    assert live.teacher_open_session_id(teacher.school_number) == str(claim.session_id)
    assert 'id="waiting-slots"' not in teacher_client.get(reverse("attendance:teacher_home")).text


@pytest.mark.django_db
def test_a_slot_still_waiting_at_its_end_says_it_never_opened(teacher, course):
    start_live(teacher, course, minutes_left=600)
    slot = slot_at(course, teacher, now_local() + timedelta(minutes=5), duration_minutes=30)
    timetable.open_due_sessions()
    assert SlotOpening.objects.get(slot=slot).waiting
    assert timetable.open_due_sessions(now=timezone.now() + timedelta(minutes=40)) == 0
    claim = SlotOpening.objects.get(slot=slot)
    assert not claim.waiting and "still open when this class ended" in claim.summary()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_open_one_session(teacher, course):
    slot_at(course, teacher, now_local() + timedelta(minutes=5))
    opened = all_at_once(2, lambda i: timetable.open_due_sessions())
    assert sorted(opened) == [0, 1]
    assert SlotOpening.objects.count() == 1
    sid = live.teacher_open_session_id(teacher.school_number)
    live_sessions.session_finish(session=live.get_session(sid))


@pytest.mark.django_db
def test_the_schedule_exists_after_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="attn-timetable")
    assert (schedule.func, schedule.minutes) == ("attendance.tasks.open_timetable_sessions", 1)


# --- the page ---


@pytest.mark.django_db
def test_the_teacher_adds_and_removes_a_slot(teacher_client, course):
    url = reverse("attendance:slot_add", args=[course.pk])
    response = teacher_client.post(
        url,
        {
            "weekday": 2,
            "starts": "10:30",
            "duration_minutes": 90,
            "room": "A-1",
            "first_day": "2026-09-14",
            "last_day": "2026-12-25",
            "require_code": "on",
            "network_mode": "off",
            "one_device_per_student": "on",
        },
    )
    assert response.status_code == 302
    slot = TimetableSlot.objects.get()
    assert (slot.weekday, slot.starts, slot.room) == (2, time(10, 30), "A-1")
    course.refresh_from_db()
    assert course.planned_sessions == 15
    page = teacher_client.get(reverse("attendance:timetable", args=[course.pk])).text
    assert "Wednesday" in page and "10:30" in page
    teacher_client.post(reverse("attendance:slot_remove", args=[course.pk, slot.pk]))
    assert not TimetableSlot.objects.exists()


@pytest.mark.django_db
def test_a_bad_slot_is_refused_with_a_message(teacher_client, course):
    response = teacher_client.post(
        reverse("attendance:slot_add", args=[course.pk]),
        {
            "weekday": 9,
            "starts": "25:00",
            "duration_minutes": 2,
            "first_day": "2026-12-01",
            "last_day": "2026-11-01",
            "network_mode": "same",
        },
    )
    assert response.status_code == 400 and not TimetableSlot.objects.exists()
    assert "The last day comes before the first." in response.text


@pytest.mark.django_db
def test_the_timetable_imports_from_csv_all_lines_or_none(teacher_client, course):
    url = reverse("attendance:slots_import", args=[course.pk])
    good = "gün;başlangıç;süre;derslik\nPazartesi;09:00;90;B-204\n3;13:30;60;\n"
    response = teacher_client.post(
        url, {"file": SimpleUploadedFile("t.csv", good.encode()), "first_day": "2026-09-14", "last_day": "2026-12-25"}
    )
    assert response.status_code == 302
    assert sorted(TimetableSlot.objects.values_list("weekday", "starts")) == [(0, time(9)), (2, time(13, 30))]
    bad = "Monday, 09:00, 90, B-204\nFunday, 10:00, 90, B\n"
    response = teacher_client.post(
        url, {"file": SimpleUploadedFile("t.csv", bad.encode()), "first_day": "2026-09-14", "last_day": "2026-12-25"}
    )
    assert response.status_code == 400 and "Line 2: Funday is not a weekday" in response.text
    assert TimetableSlot.objects.count() == 2


@pytest.mark.django_db
def test_a_teacher_cancels_a_class_but_not_a_holiday(teacher_client, course):
    holiday = NoClassDay.objects.create(day=date(2026, 10, 29), reason="Republic Day")
    response = teacher_client.post(
        reverse("attendance:day_add", args=[course.pk]), {"day": "2026-11-02", "reason": "Conference"}
    )
    assert response.status_code == 302
    again = teacher_client.post(reverse("attendance:day_add", args=[course.pk]), {"day": "2026-11-02", "reason": "x"})
    assert again.status_code == 400 and "already without class" in again.text
    assert teacher_client.post(reverse("attendance:day_remove", args=[course.pk, holiday.pk])).status_code == 404
    page = teacher_client.get(reverse("attendance:timetable", args=[course.pk])).text
    assert "Republic Day" in page and "Conference" in page


@pytest.mark.django_db
def test_only_the_courses_teachers_see_its_timetable(client, other_teacher, student, course):
    login(client, other_teacher)
    assert client.get(reverse("attendance:timetable", args=[course.pk])).status_code == 404
    login(client, student)
    assert client.get(reverse("attendance:timetable", args=[course.pk])).status_code == 403


@pytest.mark.django_db
def test_deleting_slots_in_the_admin_keeps_the_planned_sessions_true(client, staff, teacher, course):
    from accounts.models import User

    User.objects.filter(pk=staff.pk).update(is_superuser=True)
    mondays = {"weekday": 0, "starts": time(9), "first_day": date(2026, 9, 14), "last_day": date(2026, 12, 7)}
    slot = timetable.add_slot(course=course, teacher=teacher, duration_minutes=90, **mondays)
    timetable.add_slot(course=course, teacher=teacher, duration_minutes=90, **mondays | {"weekday": 2})
    course.refresh_from_db()
    assert course.planned_sessions == 13 + 12  # Mondays and Wednesdays
    login(client, staff)
    response = client.post(
        reverse("admin:attendance_timetableslot_changelist"),
        {"action": "delete_selected", "_selected_action": [slot.pk], "post": "yes"},
    )
    assert response.status_code == 302 and TimetableSlot.objects.count() == 1
    course.refresh_from_db()
    assert course.planned_sessions == 12  # the Wednesdays only


@pytest.mark.django_db
def test_importing_the_same_timetable_twice_changes_nothing_and_an_overlap_is_refused(teacher_client, course):
    url = reverse("attendance:slots_import", args=[course.pk])
    term = {"first_day": "2026-09-14", "last_day": "2026-12-25"}
    text = "Monday, 09:00, 90, B-204\nWednesday, 10:00, 60, B-101\n"
    for _ in range(2):
        response = teacher_client.post(url, {"file": SimpleUploadedFile("t.csv", text.encode()), **term})
        assert response.status_code == 302
    assert TimetableSlot.objects.filter(course=course).count() == 2
    course.refresh_from_db()
    planned = course.planned_sessions
    assert planned == 30  # 15 Mondays and 15 Wednesdays, not twice as many

    clashing = "Wednesday, 10:30, 60, B-102\n"
    response = teacher_client.post(url, {"file": SimpleUploadedFile("t.csv", clashing.encode()), **term})
    assert response.status_code == 400 and "Wednesday 10:30–11:30 overlaps Wednesday 10:00–11:00" in response.text
    form = {"weekday": 2, "starts": "10:30", "duration_minutes": 60, "room": "B", **term, "require_code": "on"}
    form["network_mode"] = "off"
    response = teacher_client.post(reverse("attendance:slot_add", args=[course.pk]), form)
    assert response.status_code == 400 and "overlaps Wednesday 10:00–11:00" in response.text
    assert TimetableSlot.objects.filter(course=course).count() == 2
    course.refresh_from_db()
    assert course.planned_sessions == planned


@pytest.mark.django_db
def test_the_pages_forms_have_ids_of_their_own_and_removing_a_slot_asks_first(teacher, teacher_client, course):
    import re

    slot_at(course, teacher, now_local() + timedelta(days=2))
    page = teacher_client.get(reverse("attendance:timetable", args=[course.pk])).text
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert 'for="id_slot_first_day"' in page and 'for="id_import_first_day"' in page and 'for="id_day_day"' in page
    assert re.search(r'slots/\d+/remove/" data-confirm="Remove this slot\?', page)
