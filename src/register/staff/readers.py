"""Read the spreadsheet a member of staff gives `make append`: CSV or Excel .xlsx.

Staff save files from Excel, LibreOffice or a text editor, so this accepts what those
write (UTF-8 with or without a byte-order mark, Windows line endings, Windows-1252 as
older Excel writes "CSV (Comma delimited)", and .xlsx workbooks) and refuses, with a
message a person can act on, what cannot be read safely: binary files, mixed
encodings, broken quoting, workbooks that are not zip files and zip bombs.

The result is plain text cells with the spreadsheet row number a person sees (the
header is row 1), so every later message can point at the right row. Nothing here
knows about schemas: that is register/staff/append.py's job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from register.checks.problems import Problem

# Limits that keep a mistaken or hostile file from exhausting the machine. They are far
# above any real batch of records (a 10,000-row CSV is about 3 MB).
MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_CELL_CHARS = 1_000_000
MAX_ROWS = 1_000_000
# .xlsx is a zip of XML files: refuse archives that would inflate beyond these.
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200  # uncompressed / compressed, checked for members over 1 MB
XLSX_RATIO_FLOOR = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
# A valid UTF-8 multi-byte sequence: seeing one in a file that is not valid UTF-8
# overall means the file mixes encodings, and decoding it as Windows-1252 would
# silently turn the UTF-8 parts into mojibake.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

SAVE_AS = 'save it from Excel as "CSV UTF-8 (Comma delimited)" or as an Excel Workbook (.xlsx)'
SAVE_ODS_AS = (
    "in LibreOffice Calc choose File > Save As, pick the file type "
    '"Excel 2007-365 (.xlsx)" and press "Use Excel 2007-365!" when asked, then give that .xlsx file'
)
# What LibreOffice and Excel leave beside a file while it is open in them.
LOCK_FILES = (".~lock.{}#", "~${}")

csv.field_size_limit(MAX_CELL_CHARS + 1)


class InputError(Exception):
    """The file cannot be read as a table at all; carries the problems to show."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Table:
    file: str  # the file as the person named it
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    sheet: str | None = None  # the sheet that was read, for a workbook
    # (row number, column index) of workbook cells stored as numbers: a text field's
    # value there may already have lost a character (8.10 becomes 8.1).
    numbers: set[tuple[int, int]] = field(default_factory=set)

    @property
    def where(self) -> str:
        """How messages name what was read: the file, and its sheet for a workbook."""
        return f"the sheet {self.sheet!r}" if self.sheet else "the file"


def open_elsewhere(path: Path) -> str | None:
    """A warning when the file is open in LibreOffice or Excel (their lock file is beside
    it): what is read is the last saved version."""
    for pattern in LOCK_FILES:
        if (path.parent / pattern.format(path.name)).exists():
            return (
                f"{path.name} is open in LibreOffice or Excel (its lock file is beside it): "
                "only what was last saved is read, and changes not yet saved are not included. "
                "Save the file, then run the command again if you changed it"
            )
    return None


def _fail(file: str, message: str, row: int | None = None, allowed: str | None = None):
    raise InputError([Problem(file, row, None, None, message, allowed)])


def read_table(
    path: Path | str, label: str | None = None, sheet: str | None = None, columns: list[str] | None = None
) -> Table:
    """The header and rows of a CSV or .xlsx file, or InputError saying why not. In a
    workbook, the sheet read is `sheet`, else the first visible one whose row 1 names any
    of `columns` (the record sheet may have been moved), else the first visible one."""
    path = Path(path)
    file = label or str(path)
    if not path.exists():
        _fail(file, "there is no such file")
    if path.is_dir():
        _fail(file, "this is a folder, not a file")
    if not path.is_file():  # a device like /dev/zero never ends; a named pipe may never start
        _fail(file, "this is not an ordinary file (it is a device, pipe or socket): save the data to a file")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        _fail(
            file,
            f"the file is {size // (1024 * 1024)} MB; the most one append takes is "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MB: split it into smaller files",
        )
    suffix = path.suffix.lower()
    if suffix in (".ods", ".fods"):
        _fail(file, f"{suffix} (OpenDocument) files are not read here; {SAVE_ODS_AS}")
    if suffix in (".xls", ".xlsm", ".xlsb", ".numbers"):
        _fail(file, f"{suffix} files cannot be read; {SAVE_AS}")
    with path.open("rb") as f:
        head = f.read(8)
    if suffix == ".xlsx" or head.startswith(ZIP_MAGIC):
        if suffix != ".xlsx":
            _fail(file, "this looks like an Excel workbook, not a CSV file: name it .xlsx, or " + SAVE_AS)
        table = read_xlsx(path, file, sheet, columns)
    else:
        table = read_csv(path, file)
    if not table.header:
        _fail(
            file,
            f"{table.where} is empty: there is no header row and there are no records",
            None,
            "a header row naming the columns, then one row per record",
        )
    if not table.rows:
        _fail(
            file,
            f"{table.where} has a header row but no records under it",
            None,
            "one row per record under the header row" + (f" of the sheet {table.sheet!r}" if table.sheet else ""),
        )
    return table


# --- CSV --------------------------------------------------------------------------


def decode(raw: bytes, file: str) -> tuple[str, str]:
    """(text, encoding name) of a CSV's bytes: UTF-8 (BOM or not), UTF-16 with BOM, or
    Windows-1252. Refuses binary and mixed-encoding files rather than guess."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            _fail(file, "the file starts like UTF-16 text but is not valid UTF-16; " + SAVE_AS)
    if raw.startswith(OLE_MAGIC):
        _fail(file, "this is an old Excel (.xls) or password-protected workbook, not a CSV; " + SAVE_AS)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        _fail(file, f"this is not a CSV text file: it holds binary data (a zero byte on line {line}); " + SAVE_AS)
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as e:
        bad_line = raw[: e.start].count(b"\n") + 1
        if UTF8_MULTIBYTE.search(raw):
            _fail(
                file,
                f"the file mixes text encodings: most of it is UTF-8 but line {bad_line} is not "
                f'(byte {raw[e.start]:#04x}); re-save the whole file as "CSV UTF-8"',
                bad_line,
            )
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as e:
        bad_line = raw[: e.start].count(b"\n") + 1
        _fail(
            file,
            f"the file is in a text encoding the register cannot read (line {bad_line}, byte "
            f"{raw[e.start]:#04x} is neither UTF-8 nor Windows-1252); " + SAVE_AS,
            bad_line,
        )
    raise AssertionError("unreachable")


def _delimiter(first_line: str) -> str:
    """Comma, unless the header clearly uses tabs or semicolons (Excel's other CSVs)."""
    if "," in first_line:
        return ","
    for d in ("\t", ";"):
        if d in first_line:
            return d
    return ","


def read_csv(path: Path, file: str) -> Table:
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        _fail(
            file,
            "the file is empty: there is no header row and there are no records",
            None,
            "a header row naming the columns, then one row per record",
        )
    text, encoding = decode(raw, file)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    record = 0
    last_line = 0
    try:
        for cells in reader:
            record += 1
            if header is None:
                header = cells
                last_line = reader.line_num
                continue
            if record > MAX_ROWS + 1:
                _fail(file, f"the file has more than {MAX_ROWS:,} records: split it into smaller files")
            lines = reader.line_num - last_line
            if lines > 1 and _swallowed(cells, len(header)):
                problems.append(
                    Problem(
                        file,
                        record,
                        None,
                        None,
                        f"this row runs over lines {last_line + 1} to {reader.line_num} of the "
                        f'file and looks like several rows joined by a stray quote mark (")',
                        'a quote mark only around a whole cell, and doubled ("") inside it',
                    )
                )
            last_line = reader.line_num
            rows.append((record, cells))
    except csv.Error as e:
        _fail(
            file,
            f"the file is not a well-formed CSV near line {reader.line_num}: {e}. Look for a stray "
            f'quote mark ("), or {SAVE_AS}',
            record + 1,
        )
    if problems:
        raise InputError(problems)
    return Table(file, header or [], rows, "csv", encoding)


def _swallowed(cells: list[str], width: int) -> bool:
    """True when a cell holds a line that looks like a whole CSV record of its own."""
    if width < 3:
        return False
    for cell in cells:
        if "\n" in cell:
            for line in cell.splitlines()[1:]:
                if line.count(",") >= width - 1:
                    return True
    return False


# --- Excel ------------------------------------------------------------------------


def check_zip(path: Path, file: str) -> None:
    """Refuse a .xlsx that is not a zip, or that would inflate to an unsafe size."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        _fail(file, "this is an old Excel (.xls) or password-protected workbook; remove the password and " + SAVE_AS)
    if not head.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(path):
        _fail(file, "this is not an Excel workbook: a .xlsx file is a zip archive and this one is not; " + SAVE_AS)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        _fail(file, f"this Excel workbook is damaged and cannot be opened ({e}); " + SAVE_AS)
    if len(infos) > XLSX_MAX_MEMBERS:
        _fail(file, f"this workbook holds {len(infos):,} parts, far more than a spreadsheet has: refused as unsafe")
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED:
        _fail(
            file,
            f"this workbook would unpack to {total // (1024 * 1024):,} MB, more than the "
            f'{XLSX_MAX_UNCOMPRESSED // (1024 * 1024)} MB allowed: refused as unsafe (a "zip bomb"), '
            f"or split it into smaller files",
        )
    for i in infos:
        if i.file_size > XLSX_RATIO_FLOOR and i.file_size > XLSX_MAX_RATIO * max(i.compress_size, 1):
            _fail(
                file,
                f"part {i.filename} of this workbook is compressed {i.file_size // max(i.compress_size, 1):,} "
                f'to 1, which real spreadsheets never are: refused as unsafe (a "zip bomb")',
            )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        _fail(file, "this zip file is not an Excel workbook (it has no xl/workbook.xml); " + SAVE_AS)


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
        _fail(file, f"this Excel workbook cannot be read ({type(e).__name__}: {e}); " + SAVE_AS)
    try:
        ws = _data_sheet(wb, sheet, file, columns)
        # A workbook can claim any size in its <dimension> element (A1:XFD1048576 makes
        # openpyxl pad every row to 16,384 cells); count what is really there instead.
        ws.reset_dimensions()
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        numbers: set[tuple[int, int]] = set()
        name = f"the sheet {ws.title!r}"
        try:
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    # Only rows with content count: LibreOffice keeps a formatted empty
                    # row at 1,048,576 after Delete Rows, and blank rows are not records.
                    continue
                if not header:
                    if number > 1:
                        _fail(file, f"the header row must be row 1 of {name}; it is row {number}", number)
                    header = cells
                    continue
                if len(rows) >= MAX_ROWS:
                    _fail(file, f"{name} has more than {MAX_ROWS:,} records: split it into smaller files")
                if any(len(c) > MAX_CELL_CHARS for c in cells):
                    _fail(file, f"a cell holds more than {MAX_CELL_CHARS:,} characters", number)
                numbers.update(
                    (number, i) for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool)
                )
                rows.append((number, cells))
        except InputError:
            raise
        except Exception as e:
            _fail(file, f"this Excel workbook cannot be read ({type(e).__name__}: {e}); " + SAVE_AS)
        return Table(file, header, rows, "xlsx", None, [f"sheet {ws.title!r}"], ws.title, numbers)
    finally:
        wb.close()


def _data_sheet(wb, sheet: str | None, file: str, columns: list[str] | None):
    """The sheet asked for, else the visible one whose row 1 is mostly the columns (it may
    have been moved), else the first visible one. Two such sheets, or only a hidden one,
    are refused by name: reading the wrong sheet drops records or reports nonsense."""
    if sheet:
        if sheet not in wb.sheetnames:
            _fail(file, f"the workbook has no sheet called {sheet!r}; it has: {', '.join(wb.sheetnames)}")
        return wb[sheet]
    visible = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    wanted = {c.lower() for c in columns or []}
    found = {ws.title: _header_match(ws, wanted) for ws in wb.worksheets}
    records = [ws for ws in visible if found[ws.title][1]]
    if len(records) > 1:
        names = " and ".join(repr(ws.title) for ws in records[:2]) + (" (and more)" if len(records) > 2 else "")
        _fail(
            file,
            f"the sheets {names} both have the record columns in row 1, so it is not clear which holds the "
            "records: put every record on one sheet and delete the other, then save and try again",
        )
    if records:
        return records[0]
    hidden = [ws for ws in wb.worksheets if ws not in visible and found[ws.title][1]]
    if hidden:
        _fail(
            file,
            f"the sheet {hidden[0].title!r}, which has the record columns, is hidden: unhide it (Excel: right-click "
            "a sheet tab > Unhide; LibreOffice Calc: Sheet > Show Sheet), save, and try again",
        )
    if not visible:
        _fail(file, "the workbook has no visible sheet of records")
    for ws in visible:
        if found[ws.title][0]:
            return ws
    return visible[0]


def _header_match(ws, wanted: set[str]) -> tuple[bool, bool]:
    """(row 1 names a column, row 1 is mostly columns): the template's hidden codes sheet
    starts with a column name or two, a sheet of records with them all."""
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    names = {cell_text(v).strip().lower() for v in first} - {""}
    hits = len(names & wanted)
    return hits > 0, hits > 0 and 2 * hits > len(names)
