"""Turkish and English: no text outside the catalog, every message translated, the reader's language chosen
(account, then cookie, then browser), and what the pages, messages, reasons and exports say in it."""

import csv
import importlib.util
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings
from django.template import engines
from django.template.base import Lexer, TokenType
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from attendance import reasons
from conftest import login
from tests.factories import AttendanceFactory, RecordFactory

ROOT = Path(settings.BASE_DIR)
_spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

# What a reader sees: an element's text and these attributes (a button's value when it is one).
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "data-confirm", "label"}
# Words that are the same in every language: names of things, units.
SAME_IN_EVERY_LANGUAGE = {"ATTN", "PostgreSQL", "Redis", "AOF", "RDB", "MB", "ms"}
HOLE = "\x00"  # where a template tag or variable was


class _ShownText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        shown = dict(attrs)
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES or (name == "value" and shown.get("type") in ("submit", "button")):
                self._check(value or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text.replace(HOLE, " ")) if w not in SAME_IN_EVERY_LANGUAGE]
        if words:
            self.found.append(" ".join(text.replace(HOLE, "…").split()))


def untranslated_text(source: str) -> list[str]:
    """The text of a template that a reader would see untranslated: outside {% translate %} and
    {% blocktranslate %}, in an element or in a shown attribute."""
    parts, inside_block = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans"):
                inside_block += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                inside_block -= 1
            parts.append(" ")  # a tag may sit inside an HTML tag: <body{% block x %} …{% endblock %}>
        elif token.token_type == TokenType.TEXT and not inside_block:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR and not inside_block:
            parts.append(HOLE)
    parser = _ShownText()
    parser.feed("".join(parts))
    parser.close()
    return parser.found


def project_templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))


def test_the_check_finds_text_left_out_of_the_catalog():
    assert untranslated_text("<p>Hello there</p>") == ["Hello there"]
    assert untranslated_text('<input type="search" placeholder="Find a student">') == ["Find a student"]
    assert untranslated_text('<input type="submit" value="Import">') == ["Import"]
    assert untranslated_text("<p>{{ n }} rows left</p>") == ["… rows left"]
    assert untranslated_text('<p>{% translate "Hello" %}</p><a title="{% translate "Back" %}">{{ x }}</a>') == []
    assert untranslated_text("{% blocktranslate %}Page {{ n }} of {{ m }}{% endblocktranslate %}") == []
    assert untranslated_text("<script>var hello = 'world';</script><p>ATTN · 12 MB</p>") == []


@pytest.mark.parametrize("path", project_templates(), ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_text_is_left_untranslated(path):
    assert untranslated_text(path.read_text()) == [], f"{path}: put these in {{% translate %}} or blocktranslate"


def test_every_message_has_a_turkish_translation_with_the_same_placeholders():
    catalog = polib.pofile(str(messages.po_path("tr")))
    found = messages.extract()
    assert len(found) > 400  # the extraction sees the code and the templates
    assert messages.untranslated(catalog, found) == []


def test_the_extraction_sees_a_template_message_with_an_apostrophe():
    # templatize quotes such a message with "…"; the extraction once looked for '…' only, so the
    # timetable's and the excuses' introductions stayed English on Turkish pages, unnoticed.
    found = messages.extract()
    assert (None, "waiting for a teacher's approval") in found
    assert any(msgid.startswith("Each slot's session opens by itself") for _, msgid in found)


def test_the_catalog_check_reports_a_missing_or_broken_translation():
    found = {(None, "Hello %(name)s"): messages.Message("Hello %(name)s", None, None, "x.py:1")}
    empty, broken = polib.POFile(), polib.POFile()
    broken.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Merhaba %(isim)s"))
    assert messages.untranslated(empty, found) == ["x.py:1: no translation for 'Hello %(name)s'"]
    assert "placeholders" in messages.untranslated(broken, found)[0]


def test_the_setup_compiles_the_catalog(tmp_path, monkeypatch):
    po = tmp_path / "tr" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(messages.po_path("tr").read_bytes())
    monkeypatch.setattr(messages, "LOCALE", tmp_path)
    messages.compile_catalogs()
    compiled = polib.mofile(str(po.with_suffix(".mo")))
    assert next(e.msgstr for e in compiled if e.msgid == "Log in") == "Giriş yap"


# --- which language a reader gets ---


@pytest.mark.django_db
def test_the_browsers_language_picks_turkish_or_english(client):
    turkish = client.get(reverse("accounts:login"), headers={"accept-language": "tr-TR,tr;q=0.9"})
    assert '<html lang="tr">' in turkish.text
    assert "Giriş yap" in turkish.text and "Okul numarası" in turkish.text
    english = client.get(reverse("accounts:login"), headers={"accept-language": "en-GB"})
    assert '<html lang="en">' in english.text and "Log in" in english.text


@pytest.mark.django_db
def test_the_switch_sets_the_language_for_a_visitor(client):
    page = client.get(reverse("accounts:login"))
    assert 'value="tr"' in page.text and "Türkçe" in page.text  # the switch offers the other language
    response = client.post(reverse("accounts:language"), {"language": "tr", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "tr"
    assert "Giriş yap" in client.get(reverse("accounts:login")).text


@pytest.mark.django_db
def test_a_users_choice_follows_them_to_another_device(client, student):
    login(client, student)
    client.post(reverse("accounts:language"), {"language": "tr", "next": "/"})
    student.refresh_from_db()
    assert student.language == "tr"
    other_device = client.__class__()
    login(other_device, student)
    page = other_device.get(reverse("attendance:student_home"), headers={"accept-language": "en"})
    assert '<html lang="tr">' in page.text and "Katıl" in page.text


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client, student):
    login(client, student)
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.language == ""


@pytest.mark.django_db
def test_the_switch_does_not_redirect_elsewhere(client):
    response = client.post(reverse("accounts:language"), {"language": "tr", "next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- what a Turkish reader sees ---


@pytest.fixture
def turkish_teacher(teacher):
    User.objects.filter(pk=teacher.pk).update(language="tr")
    teacher.language = "tr"
    return teacher


@pytest.fixture
def november_session(turkish_teacher, course, student):
    starts = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Europe/Istanbul"))
    attendance = AttendanceFactory(teacher=turkish_teacher, course=course, lesson_name="Hafta 1", starts_at=starts)
    far = reasons.distance_reason(1234.0, 100)
    RecordFactory(attendance=attendance, student=student, status="rejected", fail_reason=far)
    return attendance


@pytest.mark.django_db
def test_dates_statuses_and_stored_reasons_read_in_turkish(client, turkish_teacher, november_session):
    login(client, turkish_teacher)
    page = client.get(reverse("attendance:session_detail", args=[november_session.pk])).text
    assert "Kas 2026" in page and "Nov" not in page  # the month, Turkish
    assert "Reddedildi" in page
    # Stored in English, read in the reader's language, numbers as the reader writes them (1.234 is
    # "one thousand two hundred and thirty-four" in Turkish; 1,234 would read as one and a bit).
    assert "Sınıftan 1.234 m uzaktasınız (izin verilen: 100 m)." in page
    report = client.get(reverse("attendance:course_report", args=[november_session.course_id])).text
    assert '<td class="m rejected">R</td>' in report and "V var · G geç" in report


@pytest.mark.django_db
def test_exports_have_turkish_headers_for_a_turkish_reader(client, turkish_teacher, november_session):
    login(client, turkish_teacher)
    url = reverse("attendance:session_export", args=[november_session.pk])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(body)))
    assert header[:3] == ["ders", "yoklama", "başlangıç"] and "öğrenci_no" in header
    course_url = reverse("attendance:course_export", args=[november_session.course_id]) + "?format=xlsx"
    workbook = load_workbook(io.BytesIO(b"".join(client.get(course_url).streaming_content)))
    assert workbook.sheetnames == ["Kayıtlar", "Tablo"]
    assert [c.value for c in workbook["Tablo"][1]][:2] == ["öğrenci_no", "öğrenci_adı"]


@pytest.mark.django_db
def test_messages_after_an_action_are_in_the_readers_language(client, student):
    login(client, student)
    client.post(reverse("accounts:language"), {"language": "tr", "next": "/"})
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "Oturumunuz kapatıldı." in response.text


def test_a_stored_distance_reads_with_each_languages_digit_grouping():
    from django.utils import translation

    stored = reasons.distance_reason(4989.4, 100)
    assert stored == "You are 4,989 m from the classroom (allowed: 100 m)."
    with translation.override("en"):
        assert reasons.translate(stored) == stored
    with translation.override("tr"):
        assert reasons.translate(stored) == "Sınıftan 4.989 m uzaktasınız (izin verilen: 100 m)."


def test_a_teachers_own_reason_shows_as_typed():
    assert reasons.translate("Came with a doctor's note. Late bus.") == "Came with a doctor's note. Late bus."


@pytest.mark.django_db
def test_every_template_parses_with_its_translation_tags():
    """A broken {% blocktranslate %} (a filter where only names go) fails here for any template."""
    from django.utils import translation

    engine = engines["django"]
    with translation.override("tr"):
        for path in project_templates():
            if "admin" in path.parts:
                continue  # rendered by the admin's own tests, which need its context
            engine.get_template(str(path.relative_to(ROOT / "templates")))


@pytest.mark.django_db
def test_the_admin_speaks_turkish_too(client, staff, course):
    User.objects.filter(pk=staff.pk).update(is_superuser=True)
    login(client, staff)
    client.post(reverse("accounts:language"), {"language": "tr", "next": "/"})
    users = client.get(reverse("admin:accounts_user_changelist")).text
    assert "Okul numarası" in users and "Ad soyad" in users  # our columns, beside Django's own Turkish
    courses = client.get(reverse("admin:attendance_course_changelist")).text
    assert "Öğrenci listesi içe aktar (CSV)" in courses and "ATTN yönetimi" in courses


@pytest.mark.django_db
def test_after_logout_the_message_and_the_page_speak_the_users_language(client, student):
    User.objects.filter(pk=student.pk).update(language="tr")
    login(client, student)
    response = client.post(reverse("accounts:logout"), headers={"accept-language": "en"}, follow=True)
    page = response.content.decode()
    assert '<html lang="tr">' in page and "Oturumunuz kapatıldı." in page
    assert "You are logged out." not in page
