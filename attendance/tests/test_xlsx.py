"""The exports' own XLSX writer: what openpyxl reads back is what went in, text stays text."""

import io

from openpyxl import load_workbook

from attendance.history import xlsx


def test_it_writes_sheets_that_openpyxl_reads_back_cell_for_cell():
    handle = io.BytesIO()
    rows = [
        ["plain", "=SUM(A1:A9)", "<b>&amp;</b>", "bell\x07tab\tnew\nline", "", None, 3, 2.5, True],
        ["ünïcödé — 漢字", "+1", "-2", "@x"],
    ]
    xlsx.write(handle, [("Records", iter(rows)), ("Matrix", [["x"]])])

    book = load_workbook(io.BytesIO(handle.getvalue()))
    assert book.sheetnames == ["Records", "Matrix"]
    first, second = ([cell.value for cell in row] for row in book["Records"].iter_rows())
    assert first == ["plain", "=SUM(A1:A9)", "<b>&amp;</b>", "belltab\tnew\nline", None, None, 3, 2.5, True]
    assert second[:4] == ["ünïcödé — 漢字", "+1", "-2", "@x"]
    assert {cell.data_type for cell in book["Records"][1][:4]} == {"s"}  # text, never a formula
    assert book["Matrix"]["A1"].value == "x"


def test_it_streams_many_rows_without_holding_them():
    handle = io.BytesIO()
    xlsx.write(handle, [("Records", ([f"S{i}", i] for i in range(2001)))])
    sheet = load_workbook(io.BytesIO(handle.getvalue()), read_only=True)["Records"]
    values = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert len(values) == 2001 and values[-1] == ("S2000", 2000)


def test_dates_and_times_are_spreadsheet_dates():
    import datetime as dt

    handle = io.BytesIO()
    moment, day = dt.datetime(2026, 11, 29, 9, 41, 52), dt.date(2026, 3, 1)
    xlsx.write(handle, [("Records", [[moment, day]])])
    sheet = load_workbook(io.BytesIO(handle.getvalue()))["Records"]
    assert sheet["A1"].is_date and sheet["A1"].value == moment
    assert sheet["A1"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["B1"].is_date and sheet["B1"].value.date() == day


def test_the_header_row_is_frozen_and_columns_are_as_wide_as_their_titles():
    handle = io.BytesIO()
    xlsx.write(handle, [("Records", iter([["student_number", "a_much_longer_column_title", "x"], ["S1", "v", 1]]))])
    sheet = load_workbook(io.BytesIO(handle.getvalue()))["Records"]
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths == [16, 28, 14]
    assert [cell.value for cell in sheet[2]] == ["S1", "v", 1]
    empty = io.BytesIO()
    xlsx.write(empty, [("Records", iter([]))])  # no rows at all: still a workbook
    assert load_workbook(io.BytesIO(empty.getvalue()))["Records"].max_row == 1
