"""Read the records sheet of an Excel .xlsx workbook as plain text cells, with the row
numbers a person sees; refuse, by name, a workbook that is unsafe to open or whose
records sheet cannot be told (two of them, or a hidden one)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

from register.checks.problems import Problem
from register.staff.input_file import (
    MAX_CELL_CHARS,
    MAX_ROWS,
    OLE_MAGIC,
    SAVE_AS,
    ZIP_MAGIC,
    InputError,
    Table,
    column_key,
    column_letter,
    fail,
)

# .xlsx is a zip of XML files: refuse archives that would inflate beyond these.
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200  # uncompressed / compressed, checked for members over 1 MB
XLSX_RATIO_FLOOR = 1024 * 1024


def check_zip(path: Path, file: str) -> None:
    """Refuse a .xlsx that is not a zip, or that would inflate to an unsafe size."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        fail(file, "this is an old Excel (.xls) or password-protected workbook; remove the password and " + SAVE_AS)
    if not head.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(path):
        fail(file, "this is not an Excel workbook: a .xlsx file is a zip archive and this one is not; " + SAVE_AS)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        fail(file, f"this Excel workbook is damaged and cannot be opened ({e}); " + SAVE_AS)
    if len(infos) > XLSX_MAX_MEMBERS:
        fail(file, f"this workbook holds {len(infos):,} parts, far more than a spreadsheet has: refused as unsafe")
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED:
        fail(
            file,
            f"this workbook would unpack to {total // (1024 * 1024):,} MB, more than the "
            f'{XLSX_MAX_UNCOMPRESSED // (1024 * 1024)} MB allowed: refused as unsafe (a "zip bomb"), '
            f"or split it into smaller files",
        )
    for i in infos:
        if i.file_size > XLSX_RATIO_FLOOR and i.file_size > XLSX_MAX_RATIO * max(i.compress_size, 1):
            fail(
                file,
                f"part {i.filename} of this workbook is compressed {i.file_size // max(i.compress_size, 1):,} "
                f'to 1, which real spreadsheets never are: refused as unsafe (a "zip bomb")',
            )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        fail(file, "this zip file is not an Excel workbook (it has no xl/workbook.xml); " + SAVE_AS)


MERGE_CELL = re.compile(rb'<(?:[A-Za-z0-9_]+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
MERGE_ROWS = re.compile(r"[A-Z]+([0-9]+)(?::[A-Z]+([0-9]+))?")
HIDDEN_ROW = re.compile(rb'<(?:[A-Za-z0-9_]+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
HIDDEN_COLUMNS = re.compile(rb'<(?:[A-Za-z0-9_]+:)?col\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
COLUMN_SPAN = (re.compile(rb'\bmin="([0-9]+)"'), re.compile(rb'\bmax="([0-9]+)"'))
LAYOUT_CHUNK = 1024 * 1024


class Layout(NamedTuple):
    merged: list[tuple[str, int, int]]  # (range, first row, last row)
    hidden: set[int]  # hidden rows
    hidden_columns: set[tuple[int, int]]  # (first, last) column, counted from 1


def sheet_layout(path: Path, ws) -> Layout:
    """The sheet's merged ranges, hidden rows and hidden columns, read from its XML
    (read-only openpyxl gives none of them)."""
    member = getattr(ws, "_worksheet_path", None)
    merged: list[tuple[str, int, int]] = []
    hidden: set[int] = set()
    columns: set[tuple[int, int]] = set()
    if not member:
        return Layout(merged, hidden, columns)
    with zipfile.ZipFile(path) as z, z.open(member) as f:
        tail = b""
        while chunk := f.read(LAYOUT_CHUNK):
            data = tail + chunk
            tail = data[-512:]
            if b"mergeCell" in data:  # most sheets have none: no need to scan the XML
                for m in MERGE_CELL.finditer(data):
                    ref = m.group(1).decode("ascii")
                    first, last = MERGE_ROWS.fullmatch(ref).groups()
                    if (ref, int(first), int(last or first)) not in merged:
                        merged.append((ref, int(first), int(last or first)))
            if b'hidden="1"' in data or b'hidden="true"' in data:
                for m in HIDDEN_ROW.finditer(data):
                    number = ROW_NUMBER.search(m.group(0))
                    if number:
                        hidden.add(int(number.group(1)))
                for m in HIDDEN_COLUMNS.finditer(data):
                    low, high = (r.search(m.group(0)) for r in COLUMN_SPAN)
                    if low and high:
                        columns.add((int(low.group(1)), int(high.group(1))))
    return Layout(merged, hidden, columns)


UNMERGE = (
    "Unmerge them (Excel: Home > Merge & Center > Unmerge Cells; LibreOffice Calc: Format > Merge and "
    "Unmerge Cells > Split Cells), type the value in every cell, save, and try again"
)
UNHIDE = (
    "every row with something in it is added, hidden or not. Show the hidden rows (a filter, or "
    "Hide Rows: Excel: Data > Clear, or right-click the row numbers > Unhide; LibreOffice Calc: "
    "Data > More Filters > Reset Filter, or Format > Rows > Show), check them, delete any not to be "
    "added, save, and try again"
)


def _field_at(header: list[str], index: int) -> str | None:
    """The field a column holds, by its name in row 1 (matched as the columns are)."""
    return (column_key(header[index]) or None) if 0 <= index < len(header) else None


def _first_column(ref: str) -> int:
    """The column a cell range such as K2:K3 starts in, counted from 0."""
    n = 0
    for c in ref.split(":")[0].rstrip("0123456789"):
        n = n * 26 + ord(c) - ord("A") + 1
    return n - 1


def _spans_columns(ref: str) -> bool:
    return ":" in ref and len({part.rstrip("0123456789") for part in ref.split(":")}) > 1


def check_layout(file: str, ws, layout: Layout, header: list[str], rows: list[tuple[int, list[str]]]) -> None:
    """Refuse merged cells among the records (a merged cell's value belongs to its first
    cell only, so the other rows or columns it seems to fill would be added empty), and
    hidden records or hidden columns holding values (the person cannot see what would be
    published). Each names the field its column holds, by row 1."""
    merged, hidden, hidden_columns = layout
    records = {number for number, _ in rows}
    problems = [
        Problem(
            file,
            first,
            _field_at(header, _first_column(ref)),
            None,
            f"the cells {ref} of the sheet {ws.title!r} are merged: only the first of them holds the value, "
            f"so the others would be added empty. {UNMERGE}",
        )
        for ref, first, last in merged
        if any(n in records for n in range(first, last + 1))
    ]
    problems += [  # a title merged across the column names hides the names of all but the first
        Problem(
            file,
            1,
            _field_at(header, _first_column(ref)),
            None,
            f"the cells {ref} of the sheet {ws.title!r} are merged in row 1, where each column needs its own name. "
            "Unmerge them (Excel: Home > Merge & Center > Unmerge Cells; LibreOffice Calc: Format > Merge and "
            "Unmerge Cells > Split Cells), type each column's name in row 1, save, and try again",
        )
        for ref, first, _ in merged
        if first == 1
        and _first_column(ref) < len(header)
        and _spans_columns(ref)
        and sum(1 for c in header if c.strip()) > 1  # not a title above the names (said as such later)
    ]
    unseen = sorted(hidden & records)
    if unseen:
        shown = ", ".join(map(str, unseen[:10])) + (f" and {len(unseen) - 10:,} more" if len(unseen) > 10 else "")
        problems.append(
            Problem(
                file,
                unseen[0],
                None,
                None,
                f"row{'s' if len(unseen) > 1 else ''} {shown} of the sheet {ws.title!r} "
                f"{'are' if len(unseen) > 1 else 'is'} hidden: {UNHIDE}",
            )
        )
    width = max((len(cells) for _, cells in rows), default=0)
    unseen_columns = sorted(
        {
            i
            for low, high in hidden_columns
            for i in range(low - 1, min(high, width))
            if any(i < len(cells) and cells[i].strip() for _, cells in rows)
        }
    )
    problems += [
        Problem(
            file,
            next(n for n, cells in rows if i < len(cells) and cells[i].strip()),
            _field_at(header, i),
            None,
            f"{column_letter(i)} of the sheet {ws.title!r} is hidden but holds values, which would be added "
            "without anyone seeing them. Show the column (select the columns either side, right-click > Unhide; "
            "LibreOffice Calc: Format > Columns > Show), check it, save, and try again",
        )
        for i in unseen_columns
    ]
    if problems:
        raise InputError(problems)


# LibreOffice Calc saves a TRUE or FALSE cell as the formula TRUE() with its value:
# read as the yes or no it shows, not refused as a formula.
FORMULA_BOOLEANS = {"=TRUE()": "true", "=FALSE()": "false", "=TRUE": "true", "=FALSE": "false"}


def cell_text(value) -> str:
    """A cell's value as the text a CSV would hold: dates as YYYY-MM-DD (a date cell that
    also holds a time, as its day), whole numbers without '.0', TRUE/FALSE (and Calc's
    TRUE()/FALSE()) as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # no field of the register holds a time: the day is what counts
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and value.replace(" ", "").upper() in FORMULA_BOOLEANS:
        return FORMULA_BOOLEANS[value.replace(" ", "").upper()]
    return str(value)


def read_xlsx(path: Path, file: str, sheet: str | None = None, columns: list[str] | None = None) -> Table:
    check_zip(path, file)
    import openpyxl  # defusedxml is installed, so openpyxl parses the XML safely

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many kinds for damaged files
        fail(file, f"this Excel workbook cannot be read ({type(e).__name__}: {e}); " + SAVE_AS)
    try:
        ws = _data_sheet(wb, sheet, file, columns)
        # A workbook can claim any size in its <dimension> element (A1:XFD1048576 makes
        # openpyxl pad every row to 16,384 cells); count what is really there instead.
        ws.reset_dimensions()
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        numbers: set[tuple[int, int]] = set()
        dates: set[tuple[int, int]] = set()
        formulas: set[tuple[int, int]] = set()
        name = f"the sheet {ws.title!r}"
        try:
            layout = sheet_layout(path, ws)
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    # Only rows with content count: LibreOffice keeps a formatted empty
                    # row at 1,048,576 after Delete Rows, and blank rows are not records.
                    continue
                if not header:
                    if number > 1:
                        fail(file, f"the header row must be row 1 of {name}; it is row {number}", number)
                    header = cells
                    continue
                if len(rows) >= MAX_ROWS:
                    fail(file, f"{name} has more than {MAX_ROWS:,} records: split it into smaller files")
                if any(len(c) > MAX_CELL_CHARS for c in cells):
                    fail(file, f"a cell holds more than {MAX_CELL_CHARS:,} characters", number)
                numbers.update(
                    (number, i) for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool)
                )
                dates.update((number, i) for i, v in enumerate(values) if isinstance(v, (dt.date, dt.time)))
                formulas.update((number, i) for i, c in enumerate(cells) if c.startswith("="))
                rows.append((number, cells))
        except InputError:
            raise
        except Exception as e:
            fail(file, f"this Excel workbook cannot be read ({type(e).__name__}: {e}); " + SAVE_AS)
        check_layout(file, ws, layout, header, rows)
        return Table(file, header, rows, "xlsx", None, [f"sheet {ws.title!r}"], ws.title, numbers, dates, formulas)
    finally:
        wb.close()


def _data_sheet(wb, sheet: str | None, file: str, columns: list[str] | None):
    """The sheet asked for, else the visible one whose row 1 is mostly the columns (it may
    have been moved), else the first visible one. Two such sheets, or only a hidden one,
    are refused by name: reading the wrong sheet drops records or reports nonsense."""
    if sheet:
        if sheet not in wb.sheetnames:
            fail(file, f"the workbook has no sheet called {sheet!r}; it has: {', '.join(wb.sheetnames)}")
        return wb[sheet]
    visible = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    wanted = {column_key(c) for c in columns or []}
    found = {ws.title: _header_match(ws, wanted) for ws in wb.worksheets}
    records = [ws for ws in visible if found[ws.title][1]]
    if len(records) > 1:
        names = " and ".join(repr(ws.title) for ws in records[:2]) + (" (and more)" if len(records) > 2 else "")
        fail(
            file,
            f"the sheets {names} both have the record columns in row 1, so it is not clear which holds the "
            "records: put every record on one sheet and delete the other, then save and try again",
        )
    hidden = [ws for ws in wb.worksheets if ws not in visible and found[ws.title][1]]
    if records and (unseen := [ws for ws in hidden if _holds_records(ws)]):
        fail(
            file,
            f"the sheets {records[0].title!r} and {unseen[0].title!r} both have the record columns in row 1, and "
            f"{unseen[0].title!r} is hidden, so its rows would not be added: unhide it (Excel: right-click a sheet "
            "tab > Unhide; LibreOffice Calc: Sheet > Show Sheet), put every record on one sheet and delete the "
            "other, then save and try again",
        )
    if records:
        return records[0]
    if hidden:
        fail(
            file,
            f"the sheet {hidden[0].title!r}, which has the record columns, is hidden: unhide it (Excel: right-click "
            "a sheet tab > Unhide; LibreOffice Calc: Sheet > Show Sheet), save, and try again",
        )
    if not visible:
        fail(file, "the workbook has no visible sheet of records")
    for ws in visible:
        if found[ws.title][0]:
            return ws
    return visible[0]


def _holds_records(ws) -> bool:
    """Whether anything is typed below row 1."""
    return any(v not in (None, "") for row in ws.iter_rows(min_row=2, values_only=True) for v in row)


def _header_match(ws, wanted: set[str]) -> tuple[bool, bool]:
    """(row 1 names a column, row 1 is mostly columns): the template's hidden codes sheet
    starts with a column name or two, a sheet of records with them all."""
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    names = {column_key(cell_text(v)) for v in first} - {""}
    hits = len(names & wanted)
    return hits > 0, hits > 0 and 2 * hits > len(names)
