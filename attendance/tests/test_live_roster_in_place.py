"""The live roster answers in place: search, reasons on the row, wrong codes, errors where the action was."""

from django.urls import reverse

from attendance import live
from attendance.models import Status
from conftest import login
from tests.factories import UserFactory

from .live_helpers import action, code, record_of, url

HX = {"HTTP_HX_REQUEST": "true"}


def test_the_search_keeps_matching_rows_and_whole_counts(teacher_client, filled):
    page = teacher_client.get(url("live_roster", filled) + "?q=rita", **HX).content.decode()
    assert "row-S1002" in page and "row-S1001" not in page and "row-S1003" not in page
    assert "1 present" in page, "counts are of the whole session"
    page = teacher_client.get(url("live_roster", filled) + "?q=S1003", **HX).content.decode()
    assert "row-S1003" in page and "row-S1002" not in page
    assert "Nobody matches" in teacher_client.get(url("live_roster", filled) + "?q=zz", **HX).content.decode()


def test_an_excuse_keeps_its_reason_on_the_row(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1003", "excuse"), {"reason": "Doctor's note", "q": "mia"}, **HX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "row-S1003" in page and "Doctor&#x27;s note" in page and "row-S1001" not in page, "the search is kept"
    assert record_of(filled, "S1003").status == Status.EXCUSED


def test_a_missing_reason_is_said_in_that_row_and_changes_nothing(teacher_client, filled):
    response = teacher_client.post(action(filled, "S1001", "excuse"), {"reason": ""}, **HX)
    assert response.status_code == 400
    page = response.content.decode()
    row = page[page.index('id="row-S1001"') :]
    assert "Say why you excuse this student." in row[: row.index("</tr>")]
    assert record_of(filled, "S1001").status == Status.PRESENT


def test_wrong_codes_and_lock_outs_show_on_the_roster(client, teacher, filled, classmates, clock, settings):
    _, mia = classmates
    login(client, mia)
    wrong = str((int(code(filled, clock.now)) + 1) % 1_000_000).zfill(6)
    for _ in range(2):
        client.post(reverse("attendance:student_home"), {"code": wrong})
    page = login(client, teacher).get(url("live_roster", filled), **HX).content.decode()
    row = page[page.index('id="row-S1003"') :]
    assert "2 wrong codes" in row[: row.index("</tr>")]
    login(client, mia)
    for _ in range(settings.CHECKIN_MAX_WRONG_CODES - 2):
        client.post(reverse("attendance:student_home"), {"code": wrong})
    page = login(client, teacher).get(url("live_roster", filled), **HX).content.decode()
    assert "locked out — accept to let them in" in page and "1 locked out" in page

    # The student's page no longer offers the code field, and says why on the session's row.
    home = login(client, mia).get(reverse("attendance:student_home")).content.decode()
    assert 'id="code-closed"' in home and "Too many wrong codes for this session" in home
    assert 'name="code"' not in home and "too many wrong codes: ask your teacher to add you" in home

    # Once the teacher accepts them, neither page says "locked out" any more.
    login(client, teacher).post(action(filled, "S1003", "accept"))
    page = client.get(url("live_roster", filled), **HX).content.decode()
    row = page[page.index('id="row-S1003"') :]
    assert "locked out" not in row[: row.index("</tr>")] and "locked out (wrong codes)" not in page
    assert f"{settings.CHECKIN_MAX_WRONG_CODES} wrong codes" in row[: row.index("</tr>")]
    home = login(client, mia).get(reverse("attendance:student_home")).content.decode()
    assert 'id="code-closed"' not in home and "you are checked in" in home


def test_a_stranger_locked_out_of_an_adhoc_session_is_listed(client, teacher, clock, settings):
    from .live_helpers import start

    session = start(teacher, None, now=clock.now)
    stranger = UserFactory(school_number="S7777", full_name="Stan Stranger")
    live.count_wrong_codes([session], stranger.school_number)
    page = login(client, teacher).get(url("live_roster", session), **HX).content.decode()
    assert "Stan Stranger" in page and "1 wrong code" in page


def test_adding_a_student_answers_in_place(teacher_client, filled):
    add = reverse("attendance:add_student", args=[filled.id])
    bad = teacher_client.post(add, {"school_number": "S9999", "full_name": "", "add_anyway": "on"}, **HX)
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="add-student"' in html and "give the student" in html and "hx-swap-oob" not in html
    good = teacher_client.post(add, {"school_number": "S9999", "full_name": "Nora New", "add_anyway": "on"}, **HX)
    html = good.content.decode()
    assert good.status_code == 200 and "Nora New (S9999) added as present." in html
    assert 'hx-swap-oob="innerHTML"' in html and "row-S9999" in html


def test_a_history_correction_keeps_its_reason_on_the_row_and_in_the_export(teacher_client, teacher):
    from attendance.history import corrections
    from tests.factories import RecordFactory

    record = RecordFactory(attendance__teacher=teacher, status=Status.ABSENT)
    corrections.record_change_status(record=record, by=teacher, status=Status.EXCUSED, reason="Sports day")
    record.refresh_from_db()
    assert record.fail_reason == "Sports day"
    export = teacher_client.get(reverse("attendance:session_export", args=[record.attendance_id]) + "?format=csv")
    assert "Sports day" in b"".join(export.streaming_content).decode()
