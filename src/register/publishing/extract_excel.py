"""The extract's files for spreadsheet users: Excel-ready CSVs and one workbook.

Excel on Windows opens a CSV without a byte order mark as Windows-1252, so dashes, curly
quotes and accents come out garbled. The machine-readable CSVs stay as they are (UTF-8,
no BOM, valid in the data package); beside each, `<table>.excel.csv` is the same file
with a BOM, written by csvkit's csvformat from it, so the two can never disagree.

The workbook has an About sheet (what it is, licence, source, build date, release, the
citation and the data dictionary) and one sheet per table, headed by each column's title
from its schema, with the header frozen. Text that a spreadsheet would run as a formula
is neutralised by the same function as the CSVs (register/util/spreadsheet_safety.py). It
is written in openpyxl's write-only mode, row by row, so memory does not grow with rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import signal
import sqlite3
import sys
import threading
from pathlib import Path

from csvkit.utilities.csvformat import CSVFormat
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from register.publishing.extract_dictionary import DICTIONARY_COLUMNS
from register.publishing.extract_tables import (
    LINE_TERMINATOR,
    NEUTRALISATION_NOTE,
    Table,
    neutralised,
    select_sql,
)
from register.schema.package import Package
from register.site.downloads import EXCEL_SUFFIX
from register.util.spreadsheet_safety import neutralise

# A sheet holds 1,048,576 rows; one is the header. A longer table continues on more sheets.
SHEET_ROWS = 1_048_575
SHEET_NAME_MAX = 31
# Control characters that an .xlsx file (XML 1.0) cannot hold at all.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
BOLD = Font(bold=True)
WORKBOOK_NOTE = (
    "Each table is on its own sheet, with each column's title in the header row; the data "
    "dictionary below gives each title's field name as used in the CSV and JSON files. "
    "Dates are real dates and true/false columns are TRUE or FALSE. A table longer than "
    "one sheet continues on sheets named '<table> (2)' and so on. Control characters "
    "that a workbook cannot hold are shown as \ufffd (the CSV and JSON files keep them)."
)


def excel_csv_name(table_name: str) -> str:
    return f"{table_name}{EXCEL_SUFFIX}"


@contextlib.contextmanager
def _process_state_kept():
    """csvkit's command classes are written for a process of their own: making one resets
    SIGPIPE to its default (a later write to a closed pipe would then kill this whole
    process, silently) and replaces sys.excepthook. Put both back afterwards."""
    hook = sys.excepthook
    pipe = signal.getsignal(signal.SIGPIPE) if hasattr(signal, "SIGPIPE") else None
    try:
        yield
    finally:
        sys.excepthook = hook
        if pipe is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGPIPE, pipe)


def write_excel_csv(source: Path, target: Path) -> None:
    """The machine-readable CSV again, with a UTF-8 byte order mark (csvkit's csvformat)."""
    args = ["--add-bom", "--maxfieldsize", str(2**31 - 1), "--out-lineterminator", LINE_TERMINATOR, str(source)]
    with target.open("w", encoding="utf-8", newline="") as fh, _process_state_kept():
        CSVFormat(args, output_file=fh).run()


def _text(value: str) -> str:
    return ILLEGAL.sub("\ufffd", value)


def _cell(ws, value, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text begins with
    if bold:
        cell.font = BOLD
    return cell


def _value(ws, value):
    """A database value as the sheet takes it: plain, or a cell where a plain value would
    not be stored as it is.

    openpyxl's write-only sheet first tries each item of a row as a plain value and, for a
    cell object, catches the error that raises. With a cell for every value, the extracts
    of 100,000 log rows took 61.7 s; with plain values, 41.9 s, the workbook's sheets
    byte for byte the same. Plain values are typed as the cells were (a date gets the same
    yyyy-mm-dd format); only text that openpyxl would take for a formula or an error code
    is given as a cell marked as text.
    """
    if isinstance(value, str):
        value = _text(value)
        if (len(value) > 1 and value.startswith("=")) or value in ERROR_CODES:
            return _cell(ws, value)
    return value


def _sheet_name(name: str, part: int) -> str:
    suffix = f" ({part})" if part > 1 else ""
    return name[: SHEET_NAME_MAX - len(suffix)] + suffix


def _converters(table: Table):
    """One function per column: database value -> the workbook's typed, safe value."""
    safe = neutralised(table)
    out = []
    for d in table.schema["fields"]:
        kind = d.get("type", "string")
        if kind == "boolean":
            out.append(lambda v: None if v is None else bool(v))
        elif kind == "date":

            def to_date(v):
                try:
                    return dt.date.fromisoformat(v) if isinstance(v, str) else v
                except ValueError:
                    return v

            out.append(to_date)
        elif d["name"] in safe:
            out.append(lambda v: neutralise(v) if isinstance(v, str) else v)
        else:
            out.append(lambda v: v)
    return out


def _new_sheet(wb: Workbook, table: Table, part: int):
    ws = wb.create_sheet(_sheet_name(table.name, part))
    ws.freeze_panes = "A2"
    for i, f in enumerate(table.fields, start=1):
        width = min(max(len(f.title or f.name) + 2, 12), 60)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append([_cell(ws, f.title or f.name, bold=True) for f in table.fields])
    return ws


def _write_table(wb: Workbook, conn: sqlite3.Connection, table: Table) -> int:
    convert = _converters(table)
    part, in_sheet, rows = 1, 0, 0
    ws = _new_sheet(wb, table, part)
    cur = conn.execute(select_sql(table))
    while batch := cur.fetchmany(2000):
        for row in batch:
            if in_sheet == SHEET_ROWS:
                part, in_sheet = part + 1, 0
                ws = _new_sheet(wb, table, part)
            ws.append([_value(ws, c(v)) for c, v in zip(convert, row)])
            in_sheet += 1
        rows += len(batch)
    return rows


def _about(wb: Workbook, package: Package, about: dict, written: list[dict], dictionary: list[dict]) -> None:
    ws = wb.create_sheet("About")
    for letter, width in zip("ABCDEFGHI", (24, 28, 30, 10, 10, 40, 60, 40, 12)):
        ws.column_dimensions[letter].width = width
    desc = package.descriptor
    lic = (desc.get("licenses") or [{}])[0]
    sources = "; ".join(f"{s.get('title', '')} {s.get('path', '')}".strip() for s in desc.get("sources", []))

    def line(label: str, value: str = "") -> None:
        ws.append([_cell(ws, label, bold=True), _cell(ws, value)])

    ws.append([_cell(ws, desc.get("title", "Register"), bold=True)])
    line("Publisher", str(desc.get("publisher", "")))
    line("Release", about["release"])
    line("Suggested citation", about["citation"])
    line("Built", about["created"])
    if about.get("as_of"):
        line("Figures as of", about["as_of"])
    line("Licence", f"{lic.get('title', lic.get('name', ''))} {lic.get('path', '')}".strip())
    line("Source", sources)
    line("Published at", str(desc.get("homepage", "")))
    line("About the data", str(desc.get("description", "")))
    line("This workbook", WORKBOOK_NOTE)
    line("Formula-like text", NEUTRALISATION_NOTE.replace("in the CSV files", "in the CSV files and this workbook"))
    ws.append([])
    ws.append([_cell(ws, "Sheet", bold=True), _cell(ws, "Table", bold=True), _cell(ws, "Rows", bold=True)])
    for w in written:
        ws.append([_cell(ws, w["table"].name), _cell(ws, w["table"].title), _cell(ws, w["rows"])])
    ws.append([])
    ws.append([_cell(ws, "Data dictionary", bold=True)])
    ws.append([_cell(ws, c, bold=True) for c in DICTIONARY_COLUMNS])
    for r in dictionary:
        ws.append([_cell(ws, r.get(c, "")) for c in DICTIONARY_COLUMNS])


def write_workbook(
    path: Path, conn: sqlite3.Connection, package: Package, written: list[dict], dictionary: list[dict], about: dict
) -> dict[str, int]:
    """The whole register as one .xlsx; returns the rows written per table."""
    wb = Workbook(write_only=True)
    _about(wb, package, about, written, dictionary)
    counts = {w["table"].name: _write_table(wb, conn, w["table"]) for w in written}
    wb.save(path)
    return counts
