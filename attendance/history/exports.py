"""CSV and XLSX exports, streamed: memory stays flat however large the course."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.timezone import localtime
from django.utils.translation import pgettext

from .. import clock
from ..models import Attendance, AttendanceRecord, Course
from . import xlsx
from .reports import Tally

User = get_user_model()


def pgettext_noop(context: str, message: str) -> str:
    """Marks a message with a context for the catalog (scripts/messages.py); translated where it is shown."""
    return message


# Column names in the reader's language (the English ones are the msgids: "student_number" → "öğrenci_no").
LONG_HEADER = [
    pgettext_noop("export column", "course"),
    pgettext_noop("export column", "session"),
    pgettext_noop("export column", "start"),
    pgettext_noop("export column", "end"),
    pgettext_noop("export column", "student_number"),
    pgettext_noop("export column", "student_name"),
    pgettext_noop("export column", "status"),
    pgettext_noop("export column", "checked_in_at"),
    pgettext_noop("export column", "source"),
    pgettext_noop("export column", "reason"),
]


def column_name(name: str) -> str:
    return pgettext("export column", name)


def long_header() -> list[str]:
    return [column_name(name) for name in LONG_HEADER]


CHUNK = 2000
CSV_BLOCK = 64 * 1024


# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell written from Python: an apostrophe before a would-be formula (``_sql_text`` is the same in SQL)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _sql_literal(character: str) -> str:
    return {"\t": "E'\\t'", "\r": "E'\\r'"}.get(character, f"'{character}'")


def _sql_text(expression: str) -> str:
    """``csv_cell`` in SQL: an apostrophe before a would-be formula; NULL for empty text (written unquoted)."""
    value = f"coalesce({expression}, '')"
    starts = ", ".join(_sql_literal(c) for c in FORMULA_STARTS)
    return f"nullif(CASE WHEN left({value}, 1) IN ({starts}) THEN '''' || {value} ELSE {value} END, '')"


def _sql_time(expression: str) -> str:
    """``_iso`` in SQL: the time in the connection's (local) time zone with its offset, to the second."""
    return f"""to_char({expression}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')"""


def _plain_text(expression: str) -> str:
    return f"coalesce({expression}, '')"


def _local_time(expression: str) -> str:
    """The time as a timestamp in the connection's (local) zone: a real date and time in a spreadsheet."""
    return f"date_trunc('second', {expression} AT TIME ZONE current_setting('TimeZone'))"


def _long_select(text, time=_sql_time, checked_in=lambda e: f"coalesce({_sql_time(e)}, '')") -> str:
    """The long rows, one per student per session, in session then name order, as text.

    The sessions first (a few dozen rows, their times formatted once each),
    then their records by index: left to itself, the planner walked the
    whole sessions index to merge-join a term's records.
    """
    return f"""
    WITH s AS MATERIALIZED (
        SELECT a.id, a.starts_at, {text("c.code")} AS code, {text("a.lesson_name")} AS lesson,
            {time("a.starts_at")} AS starts, {time("a.ends_at")} AS ends
        FROM {Attendance._meta.db_table} a
        LEFT JOIN {Course._meta.db_table} c ON c.id = a.course_id
        WHERE a.id = ANY(%(sessions)s)
    )
    SELECT s.code, s.lesson, s.starts, s.ends, {text("u.school_number")}, {text("u.full_name")}, r.status,
        {checked_in("r.checked_in_at")}, r.source, {text("r.fail_reason")}
    FROM s
    JOIN {AttendanceRecord._meta.db_table} r ON r.attendance_id = s.id
    JOIN {User._meta.db_table} u ON u.id = r.student_id
    WHERE NOT r.is_deleted
    ORDER BY s.starts_at, s.id, u.name_key
    """


# Written by PostgreSQL's own CSV writer: a hundred times faster than rows
# through Python, and streamed in blocks.
LONG_CSV_SQL = f"COPY ({_long_select(_sql_text)}) TO STDOUT (FORMAT csv)"
# Excel set to Turkish (or most of Europe) splits a CSV file at semicolons: the comma is the decimal sign.
LONG_CSV_SEMICOLON_SQL = f"COPY ({_long_select(_sql_text)}) TO STDOUT (FORMAT csv, DELIMITER ';')"
# For XLSX, where text is text (no apostrophes before would-be formulas) and times are dates.
LONG_ROWS_SQL = _long_select(_plain_text, _local_time, _local_time)


def _settings_for_rows(cursor, time_zone: str) -> None:
    # Times in the user's zone; a term's rows sorted in memory, not on disk.
    cursor.execute("SELECT set_config('TimeZone', %s, true), set_config('work_mem', '32MB', true)", [time_zone])


def long_rows(sessions: list, time_zone: str) -> Iterator[tuple]:
    """The long rows through a server-side cursor, formatted by PostgreSQL (memory stays flat)."""
    with transaction.atomic(), connection.cursor() as cursor:
        _settings_for_rows(cursor, time_zone)
        with connection.connection.cursor(name="attn_long_rows") as rows:
            rows.itersize = CHUNK
            rows.execute(LONG_ROWS_SQL, {"sessions": list(sessions)})
            yield from rows


def long_csv(sessions: list, time_zone: str, *, semicolons: bool = False) -> Iterator[bytes]:
    """The long export as CSV, written by PostgreSQL and streamed (memory stays flat); with semicolons
    between the fields for Excel in Turkish."""
    # The header now, in the request's language: the rows are written later, as the response streams.
    separator = ";" if semicolons else ","
    header = ("\ufeff" + separator.join(long_header()) + "\n").encode()  # the BOM makes spreadsheet apps read UTF-8
    return _long_csv_rows(header, sessions, time_zone, LONG_CSV_SEMICOLON_SQL if semicolons else LONG_CSV_SQL)


def _long_csv_rows(header: bytes, sessions: list, time_zone: str, sql: str) -> Iterator[bytes]:
    yield header
    with transaction.atomic(), connection.cursor() as cursor:
        _settings_for_rows(cursor, time_zone)
        with cursor.cursor.copy(sql, {"sessions": list(sessions)}) as copy:
            # COPY hands over a row at a time: gathered into blocks, or the web
            # server would write each row to the socket on its own.
            buffer = bytearray()
            for row in copy:
                buffer += row
                if len(buffer) >= CSV_BLOCK:
                    yield bytes(buffer)
                    buffer.clear()
            yield bytes(buffer)


def matrix_rows(course: Course, sessions: list[Attendance]) -> Iterator[list]:
    """The wide matrix: one row per student, one column per session, then the rate."""
    column = {s.pk: i for i, s in enumerate(sessions)}
    yield (
        [column_name("student_number"), column_name("student_name")]
        + [f"{localtime(s.starts_at):%Y-%m-%d %H:%M} {s.lesson_name}" for s in sessions]  # the school's time
        + [column_name(pgettext_noop("export column", "rate_percent"))]
    )
    records = (
        AttendanceRecord.objects.alive()
        .filter(attendance__in=[s.pk for s in sessions])
        .order_by("student__name_key", "student_id")
        .values_list("student_id", "student__school_number", "student__full_name", "attendance_id", "status")
    )
    current, marks, tally, head = None, [], Tally(), []
    for student_id, number, name, attendance_id, status in records.iterator(chunk_size=CHUNK):
        if student_id != current:
            if current is not None:
                yield head + marks + [tally.rate_for(course)]
            current, marks, tally, head = student_id, [""] * len(sessions), Tally(), [number, name]
        marks[column[attendance_id]] = status
        tally.add(status, course.excused_counts_as_present, course.remote_weight)
    if current is not None:
        yield head + marks + [tally.rate_for(course)]


def xlsx_file(*, long: Iterable[list[str]], matrix: Iterable[list] | None):
    """Write the workbook (rows go straight into the file) and return the open file."""
    sheets = [(pgettext("export sheet", "Records"), itertools.chain([long_header()], long))]
    if matrix is not None:
        sheets.append((pgettext("export sheet", "Matrix"), matrix))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    xlsx.write(handle, sheets)
    handle.seek(0)
    return handle


def session_filename(attendance: Attendance, ext: str) -> str:
    code = attendance.course.code if attendance.course_id else "adhoc"
    day = localtime(attendance.starts_at)  # the school's day, as the lesson's name says it
    return f"attn-{slugify(code)}-{day:%Y-%m-%d}-{slugify(attendance.lesson_name)[:40]}.{ext}"


def course_filename(course: Course, ext: str) -> str:
    return f"attn-{slugify(course.code)}-{clock.localdate():%Y-%m-%d}.{ext}"
