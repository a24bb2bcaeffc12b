"""A minimal XLSX writer for the exports: rows in, a workbook file out, memory flat.

A term's course export is some 300,000 cells; openpyxl (even write-only)
spends about 15 µs on each, seconds per export.  The exports need no styles,
formulas or shared strings, so each sheet is written here as SpreadsheetML
text straight into the zip, row by row: text as inline strings (never a
formula), numbers as numbers, dates and times as Excel dates (a serial
number in a date style, so spreadsheets sort and filter them as dates),
nothing for None.  Tests read the result back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from typing import BinaryIO
from xml.sax.saxutils import escape

# What XML 1.0 cannot hold (openpyxl drops the same characters).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f&<>]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
    "</workbook>"
)
_WORKBOOK_SHEET = '<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'
)
_WORKBOOK_REL = (
    '<Relationship Id="rId{n}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{n}.xml"/>'
)
_STYLES_REL = (
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
)
# Style 1: a date and time, style 2: a date (the cells' s="1" / s="2").
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk, right from March 1900)

_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    # The header row stays in view while the reader scrolls.
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
)
_SHEET_END = "</sheetData></worksheet>"


def _columns(header: list) -> str:
    """Each column as wide as its header, at least 14 characters (a date and time), at most 50."""
    widths = (min(50, max(14, len(str(title or "")) + 2)) for title in header)
    cols = "".join(f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>' for n, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>" if cols else ""


def _cell(value) -> str:
    if type(value) is str and value:  # most cells: checked first
        if _NEEDS_WORK.search(value):
            value = escape(_ILLEGAL.sub("", value))
        return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, dt.datetime):  # naive, already in the reader's time zone
        days = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
        return f'<c s="1"><v>{round(days, 8)}</v></c>'
    if isinstance(value, dt.date):
        return f'<c s="2"><v>{(value - _EPOCH.date()).days}</v></c>'
    return _cell(str(value))


def write(handle: BinaryIO, sheets: Iterable[tuple[str, Iterable[list]]]) -> None:
    """Write a workbook of (sheet name, rows) into ``handle``, one row at a time."""
    names = []
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for n, (name, rows) in enumerate(sheets, start=1):
            names.append(name)
            with book.open(f"xl/worksheets/sheet{n}.xml", "w") as sheet:
                rows = iter(rows)
                header = next(rows, None)
                sheet.write((_SHEET_START + _columns(header or []) + "<sheetData>").encode())
                batch = [] if header is None else ["<row>" + "".join(_cell(value) for value in header) + "</row>"]
                for row in rows:
                    batch.append("<row>" + "".join(_cell(value) for value in row) + "</row>")
                    if len(batch) == 500:
                        sheet.write("".join(batch).encode())
                        batch = []
                sheet.write(("".join(batch) + _SHEET_END).encode())
        numbers = range(1, len(names) + 1)
        types = "".join(_SHEET_TYPE.format(n=n) for n in numbers)
        listed = "".join(_WORKBOOK_SHEET.format(name=escape(name), n=n) for n, name in zip(numbers, names))
        rels = "".join(_WORKBOOK_REL.format(n=n) for n in numbers) + _STYLES_REL
        book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=types))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=listed))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels=rels))
