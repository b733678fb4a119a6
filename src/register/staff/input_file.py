"""What a staff member's file was read into, and how reading it fails: shared by the CSV
reader (readers.py) and the workbook reader (workbook_reader.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from register.checks.problems import Problem

# Limits that keep a mistaken or hostile file from exhausting the machine. They are far
# above any real batch of records (a 10,000-row CSV is about 3 MB).
MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_CELL_CHARS = 1_000_000
MAX_ROWS = 1_000_000

# Characters that show as nothing (zero-width spaces, word joiner, byte-order mark): text
# copied from a web page or an email brings them round a header or a code.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def column_key(label: str) -> str:
    """How a column name is matched: without capitals, surrounding spaces or invisible
    characters, and with spaces or hyphens between words taken as the underscore
    ("Project ID" is project_id)."""
    return re.sub(r"[\s_-]+", "_", label.strip().strip(INVISIBLE).strip().lower())


def column_letter(index: int) -> str:
    """A column as a spreadsheet names it, and its place for a text editor: column S (the
    19th). `index` counts from 0."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"column {letters} (the {ordinal(index + 1)})"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
SAVE_AS = 'save it from Excel as "CSV UTF-8 (Comma delimited)" or as an Excel Workbook (.xlsx)'
SAVE_ODS_AS = (
    "in LibreOffice Calc choose File > Save As, pick the file type "
    '"Excel 2007-365 (.xlsx)" and press "Use Excel 2007-365!" when asked, then give that .xlsx file'
)


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
    # ... and cells stored as dates or times: typed into a text field, "8/10" or
    # "March 2025" was already turned into a date there.
    dates: set[tuple[int, int]] = field(default_factory=set)
    # ... and cells holding a formula (=TODAY(), =B2): to be replaced by their values.
    formulas: set[tuple[int, int]] = field(default_factory=set)

    @property
    def where(self) -> str:
        """How messages name what was read: the file, and its sheet for a workbook."""
        return f"the sheet {self.sheet!r}" if self.sheet else "the file"


def fail(file: str, message: str, row: int | None = None, allowed: str | None = None):
    raise InputError([Problem(file, row, None, None, message, allowed)])
