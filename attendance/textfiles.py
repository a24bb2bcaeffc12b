"""Spreadsheet text as people send it: UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text",
Microsoft Teams' attendance reports), else Windows-1254 (Excel in Turkish); a comma, a semicolon or a tab
between the cells. One reading for every upload of a table (the roster import, meeting reports)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext_lazy as _

CP1254_NOTE = _(
    "The file was not UTF-8; it was read as Windows-1254 (Turkish Windows). "
    'Check the names below, or save it as "CSV UTF-8" next time.'
)
UNREADABLE = _("the file is neither UTF-8 nor Windows-1254 text; save it as CSV UTF-8")


class UnreadableText(Exception):
    """Not text in any encoding the uploads are read in."""


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and a note on how it was read ("" for UTF-8 and UTF-16).

    Windows-1254 decodes every byte but a few; Excel in Turkish and most European locales writes it (or
    ISO-8859-9, which it contains for letters).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError as exc:
            raise UnreadableText(str(UNREADABLE)) from exc
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1254"), CP1254_NOTE
    except UnicodeDecodeError as exc:
        raise UnreadableText(str(UNREADABLE)) from exc


def separator(text: str) -> str:
    """The file's separator: a comma, or the semicolon (or tab) Excel writes in many locales.

    A tab that separates nearly every line wins outright: Teams' reports are tab-separated with commas
    inside their dates ("9/7/26, 9:01 AM"), which the sniffer would take for the separator."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    sample = "\n".join(lines)
    if lines and sum("\t" in line for line in lines) >= 0.6 * len(lines):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def rows(text: str):
    """Yield (line, cells, error); a line the csv module cannot read (a field over its size limit) gives
    (line, None, why)."""
    reader = csv.reader(io.StringIO(text), delimiter=separator(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, str(exc)
            continue
        yield reader.line_num, row, ""
