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
import io
import re
from pathlib import Path

from register.checks.problems import Problem
from register.staff.input_file import (
    MAX_CELL_CHARS,
    MAX_INPUT_BYTES,
    MAX_ROWS,
    OLE_MAGIC,
    SAVE_AS,
    SAVE_ODS_AS,
    ZIP_MAGIC,
    InputError,
    Table,
    fail,
)
from register.staff.workbook_reader import read_xlsx
from register.util.files import lock_file

__all__ = ["InputError", "Table", "open_elsewhere", "read_table"]

# A valid UTF-8 multi-byte sequence: seeing one in a file that is not valid UTF-8
# overall means the file mixes encodings, and decoding it as Windows-1252 would
# silently turn the UTF-8 parts into mojibake.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

# The apostrophe of "we'd" and "people's" as an old Mac "CSV" file holds it (byte 0xd5,
# Mac Roman's right single quote), read as Windows-1252: weÕd. Between two small letters
# the capital Õ is no word of English.
MAC_ROMAN_APOSTROPHE = re.compile(r"[a-z]\u00d5[a-z]")

csv.field_size_limit(MAX_CELL_CHARS + 1)


def open_elsewhere(path: Path) -> str | None:
    """A warning when the file is open in LibreOffice or Excel (their lock file is beside
    it): what is read is the last saved version."""
    if lock_file(path):
        return (
            f"{path.name} is open in LibreOffice or Excel (its lock file is beside it): "
            "only what was last saved is read, and changes not yet saved are not included. "
            "Save the file, then run the command again if you changed it"
        )
    return None


def spaced_name_hint(path: Path) -> str:
    """When FILE= named only the start of a file whose name has a space (FILE=my meeting.csv
    without quotes gives the command just "my"), the file meant, and how to name it."""
    try:
        found = sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name + " ") and p.is_file())
    except OSError:
        return ""
    if not found:
        return ""
    return f'; there is {found[0]}: a name with spaces must be in quotes, FILE="{found[0]}"' + (
        " (or another file whose name starts the same)" if len(found) > 1 else ""
    )


def read_table(
    path: Path | str, label: str | None = None, sheet: str | None = None, columns: list[str] | None = None
) -> Table:
    """The header and rows of a CSV or .xlsx file, or InputError saying why not. In a
    workbook, the sheet read is `sheet`, else the first visible one whose row 1 names any
    of `columns` (the record sheet may have been moved), else the first visible one."""
    path = Path(path)
    file = label or str(path)
    if not path.exists():
        fail(file, "there is no such file" + spaced_name_hint(path))
    if path.is_dir():
        fail(file, "this is a folder, not a file")
    if not path.is_file():  # a device like /dev/zero never ends; a named pipe may never start
        fail(file, "this is not an ordinary file (it is a device, pipe or socket): save the data to a file")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        fail(
            file,
            f"the file is {size // (1024 * 1024)} MB; the most one append takes is "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MB: split it into smaller files",
        )
    suffix = path.suffix.lower()
    if suffix in (".ods", ".fods"):
        fail(file, f"{suffix} (OpenDocument) files are not read here; {SAVE_ODS_AS}")
    if suffix in (".xls", ".xlsm", ".xlsb", ".numbers"):
        fail(file, f"{suffix} files cannot be read; {SAVE_AS}")
    with path.open("rb") as f:
        head = f.read(8)
    if suffix == ".xlsx" or head.startswith(ZIP_MAGIC):
        if suffix != ".xlsx":
            fail(file, "this looks like an Excel workbook, not a CSV file: name it .xlsx, or " + SAVE_AS)
        table = read_xlsx(path, file, sheet, columns)
    else:
        table = read_csv(path, file)
    if not table.header:
        fail(
            file,
            f"{table.where} is empty: there is no header row and there are no records",
            None,
            "a header row naming the columns, then one row per record",
        )
    if not table.rows:
        fail(
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
            fail(file, "the file starts like UTF-16 text but is not valid UTF-16; " + SAVE_AS)
    if raw.startswith(OLE_MAGIC):
        fail(file, "this is an old Excel (.xls) or password-protected workbook, not a CSV; " + SAVE_AS)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        fail(file, f"this is not a CSV text file: it holds binary data (a zero byte on line {line}); " + SAVE_AS)
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as e:
        bad_line = raw[: e.start].count(b"\n") + 1
        if UTF8_MULTIBYTE.search(raw):
            fail(
                file,
                f"the file mixes text encodings: most of it is UTF-8 but line {bad_line} is not "
                f'(byte {raw[e.start]:#04x}); re-save the whole file as "CSV UTF-8"',
                row_at(raw, e.start, "utf-8"),
            )
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as e:
        bad_line = raw[: e.start].count(b"\n") + 1
        fail(
            file,
            f"the file is in a text encoding the register cannot read (line {bad_line}, byte "
            f"{raw[e.start]:#04x} is neither UTF-8 nor Windows-1252); " + SAVE_AS,
            row_at(raw, e.start, "cp1252"),
        )
    mac = MAC_ROMAN_APOSTROPHE.search(text)
    if mac:
        fail(
            file,
            f"the file looks saved in the old Mac text encoding (Mac Roman), not Windows-1252: it holds "
            f"{mac.group(0)!r}, which in that encoding is {mac.group(0).encode('cp1252').decode('mac_roman')!r}, "
            "and its other quote marks and dashes would come out wrong too. In Excel for Mac, save it as "
            '"CSV UTF-8 (Comma delimited)"',
            row_at(raw, mac.start(), "cp1252"),
        )
    return text, "Windows-1252"


def row_at(raw: bytes, offset: int, encoding: str) -> int:
    """The spreadsheet row (the header is row 1) holding the byte at `offset`: the line
    of the file, less the line breaks inside quoted cells above it."""
    text = raw[:offset].decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text + "x", newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        return max(sum(1 for _ in reader), 1)
    except csv.Error:
        return text.count("\n") + 1


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
        fail(
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
                if not any(c.strip() for c in cells):
                    continue  # a blank row above the header: said below, once the header is found
                if record > 1:
                    fail(
                        file,
                        f"the header row must be row 1 of the file; it is row {record}, under "
                        f"{'an empty row' if record == 2 else f'{record - 1} empty rows'}: delete "
                        f"{'it' if record == 2 else 'them'} and save the file again",
                        record,
                    )
                header = cells
                last_line = reader.line_num
                continue
            if record > MAX_ROWS + 1:
                fail(file, f"the file has more than {MAX_ROWS:,} records: split it into smaller files")
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
        fail(
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
