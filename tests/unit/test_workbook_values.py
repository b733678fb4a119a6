"""Workbook rows are written as plain values where openpyxl stores them as they are, and as
cells marked as text where it would not: text that looks like a formula or an error code
must reach the sheet as the text itself, whatever column it is in."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook, load_workbook

from register.publishing.extract_excel import _value

TEXTS = ["=1+1", "#N/A", "#DIV/0!", "=", "plain", "", "bell\x07"]


def test_values_reach_the_sheet_as_they_are(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    ws.append([_value(ws, v) for v in TEXTS])
    ws.append([_value(ws, v) for v in (dt.date(2025, 4, 1), 3, 2.5, True, None)])
    wb.save(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx")["t"]
    texts = [c for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    assert [c.data_type for c in texts if c.value is not None] == ["s"] * 6
    assert [c.value for c in texts] == ["=1+1", "#N/A", "#DIV/0!", "=", "plain", None, "bell\ufffd"]
    date, three, half, yes, empty = next(sheet.iter_rows(min_row=2, max_row=2))[:5]
    assert date.value == dt.datetime(2025, 4, 1) and date.number_format == "yyyy-mm-dd"
    assert (three.value, half.value, yes.value, empty.value) == (3, 2.5, True, None)
