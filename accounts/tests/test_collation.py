"""Names sort as the language's alphabet does, in the database's lists and in Python alike."""

import pytest
from django.urls import reverse

from accounts.collation import name_key
from tests.factories import EnrollmentFactory, UserFactory

NAMES = ["Zeynep Ünal", "Çiğdem Işık", "İlkay Öztürk", "Şükrü Çağlayan", "Cem Arslan", "Irmak Aydın", "Ümit Kaya"]
TURKISH_ORDER = [
    "Cem Arslan",
    "Çiğdem Işık",
    "Irmak Aydın",
    "İlkay Öztürk",
    "Şükrü Çağlayan",
    "Ümit Kaya",
    "Zeynep Ünal",
]


def test_turkish_names_sort_in_the_turkish_alphabet():
    assert sorted(NAMES, key=lambda n: name_key(n, "tr")) == TURKISH_ORDER


def test_elsewhere_an_accented_letter_sorts_with_its_base_letter():
    names = ["Zoë", "Émile", "Eva", "Ömer", "Oscar", "Ángel", "Bob"]
    assert sorted(names, key=lambda n: name_key(n, "und")) == ["Ángel", "Bob", "Émile", "Eva", "Ömer", "Oscar", "Zoë"]


@pytest.mark.django_db
def test_lists_reports_and_exports_use_it(client, teacher, course, settings):
    from attendance.history.reports import course_report
    from conftest import login
    from tests.factories import AttendanceFactory, RecordFactory

    settings.NAME_COLLATION = "tr"
    course.enrollments.all().delete()
    people = [UserFactory(school_number=f"S9{n}", full_name=name) for n, name in enumerate(NAMES)]
    session = AttendanceFactory(teacher=teacher, course=course)
    for person in people:
        EnrollmentFactory(course=course, student=person)
        RecordFactory(attendance=session, student=person)
    report = [line.full_name for line in course_report(course).lines]
    assert report == TURKISH_ORDER
    page = login(client, teacher).get(reverse("attendance:session_detail", args=[session.id])).content.decode()
    assert sorted(NAMES, key=page.index) == TURKISH_ORDER
    export = client.get(reverse("attendance:session_export", args=[session.id]))
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert sorted(NAMES, key=body.index) == TURKISH_ORDER


@pytest.mark.django_db
def test_a_rename_keeps_the_key_in_step():
    person = UserFactory(full_name="Ali Veli")
    person.full_name = "Çağla Veli"
    person.save(update_fields=["full_name"])
    person.refresh_from_db()
    assert person.name_key == name_key("Çağla Veli")
