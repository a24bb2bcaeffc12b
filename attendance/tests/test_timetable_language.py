"""The timetable worker writes no sentence in its own language: why a slot's session did not open is kept
as a code (and the day's reason as typed), worded in each reader's language; a session it opens is named
with an ISO date. Rows written before (in English or Turkish) are turned into codes by migration 0013."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from attendance import live
from attendance.models import Attendance, SlotOpening
from attendance.timetables import service as timetable
from conftest import login
from tests.factories import AttendanceFactory

from .sweep_helpers import start_live
from .test_timetable import now_local, slot_at

pytestmark = pytest.mark.django_db
migration = importlib.import_module("attendance.migrations.0013_slot_opening_skipped")


def timetable_page(teacher, course, language: str) -> str:
    """The course's timetable page as the teacher reads it with ``language`` chosen."""
    teacher.language = language
    teacher.save(update_fields=["language"])
    return login(Client(), teacher).get(reverse("attendance:timetable", args=[course.pk])).text


def test_a_holiday_skipped_by_a_turkish_worker_reads_in_each_readers_language(teacher, course):
    starts = now_local() + timedelta(minutes=5)
    slot = slot_at(course, teacher, starts)
    timetable.add_no_class_day(course=None, day=starts.date(), reason="Republic Day")
    with translation.override("tr"):  # the worker's language is nobody's business
        assert timetable.open_due_sessions() == 0
    opening = SlotOpening.objects.get(slot=slot)
    assert (opening.skipped, opening.note) == (SlotOpening.Skipped.HOLIDAY, "Republic Day")
    assert "No class: Republic Day" in timetable_page(teacher, course, "en")
    assert "Ders yok: Republic Day" in timetable_page(teacher, course, "tr")


def test_a_busy_teachers_skipped_slot_reads_in_each_readers_language(teacher, course):
    start_live(teacher, course)
    slot = slot_at(course, teacher, now_local() + timedelta(minutes=5))
    with translation.override("en"):
        timetable.open_due_sessions()
    opening = SlotOpening.objects.get(slot=slot)
    assert (opening.skipped, opening.waiting, opening.note) == (SlotOpening.Skipped.TEACHER_BUSY, True, "")
    assert "Waiting: the teacher has another session open" in timetable_page(teacher, course, "en")
    with translation.override("tr"):
        turkish = opening.summary()
    assert turkish.startswith("Bekliyor") and turkish in timetable_page(teacher, course, "tr")


def test_a_session_the_worker_opens_is_named_with_an_iso_date_whatever_its_language(teacher, course):
    starts = now_local() + timedelta(minutes=10)
    slot_at(course, teacher, starts)
    with translation.override("tr"):
        assert timetable.open_due_sessions() == 1
    session = live.get_session(live.teacher_open_session_id(teacher.school_number))
    assert session.lesson_name == f"Programming — {timezone.localdate(starts):%Y-%m-%d} · B-204"


def test_the_migration_turns_earlier_sentences_into_codes_and_dates(teacher, course):
    slot = slot_at(course, teacher, now_local())
    days = [timezone.localdate() - timedelta(days=n) for n in range(1, 6)]
    written = [
        "Ders yok: Cumhuriyet Bayramı",
        "No class: Republic Day",
        "Not opened: the teacher had another session open.",
        "Açılmadı: öğretmenin açık başka bir yoklaması vardı.",
        "Something else",
    ]
    for day, note in zip(days, written, strict=True):
        SlotOpening.objects.create(slot=slot, day=day, note=note)
    named = AttendanceFactory(teacher=teacher, course=course, lesson_name="Programming — 5 Ara 2026 · B-204")
    SlotOpening.objects.create(slot=slot, day=days[0] - timedelta(days=7), session_id=named.pk)
    by_hand = AttendanceFactory(teacher=teacher, course=course, lesson_name="Programming — 5 Ara 2026")

    migration.sentences_to_codes(apps, None)

    found = {o.day: (o.skipped, o.note) for o in SlotOpening.objects.filter(session_id__isnull=True)}
    assert [found[day] for day in days] == [
        ("holiday", "Cumhuriyet Bayramı"),
        ("holiday", "Republic Day"),
        ("teacher_busy", ""),
        ("teacher_busy", ""),
        ("", "Something else"),  # not the worker's: shown as it is
    ]
    assert Attendance.objects.get(pk=named.pk).lesson_name == f"Programming — {days[0] - timedelta(days=7)} · B-204"
    assert Attendance.objects.get(pk=by_hand.pk).lesson_name == "Programming — 5 Ara 2026"  # not a slot's
