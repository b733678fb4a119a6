"""Every problem message the register prints, written once.

`make validate` (the fast checker and the frictionless reference), `make build` and the
staff commands (`make append`, `make add`, `make update-status`) all word a problem
through these functions, so a fix to the wording reaches every path and the two
checkers cannot drift apart word by word.
"""

from __future__ import annotations

import datetime as dt
import re

from register.schema.package import Field

# What a spreadsheet or a CSV says for a whole number: ASCII digits with a sign.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+").fullmatch

TYPE_WORDS = {
    "integer": "is not a whole number",
    "number": "is not a number",
    "date": "is not a date the register can read",
    "boolean": "must be yes or no",
}


# -- one cell against its field --------------------------------------------------------


def required(f: Field) -> str:
    return f"{f.title} is required"


# A date in a form the register reads (YYYY-MM-DD, or DD/MM/YYYY as UK Excel writes it,
# either perhaps at midnight), whose day or month may still not exist.
DATE_SHAPES = (
    (re.compile(r"\s*([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?\s*").fullmatch, (1, 2, 3)),
    (re.compile(r"\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: 00:00(?::00)?)?\s*").fullmatch, (3, 2, 1)),
)
MONTHS = "January February March April May June July August September October November December".split()
# A year of two digits, as LibreOffice Calc's UK short date (DD/MM/YY) writes it in a CSV.
SHORT_YEAR = re.compile(r"\s*[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}(?: [0-9:]+)?\s*").fullmatch


def no_such_day(text: str) -> str:
    """Why a date in a readable form is not a date, in words ("" when not in such a form):
    a month over 12 typed day second (12/31/2026, as US spreadsheets write it), or a day
    its month does not have (30 February), or a year of two digits; a day that exists, in
    a form a CSV does not hold (31/05/2024), is said as the YYYY-MM-DD to write instead."""
    if SHORT_YEAR(text):
        return "the year has two digits; write it in full, DD/MM/YYYY (in the spreadsheet, format the column as dates with a four-digit year)"
    for match, (y, m, d) in DATE_SHAPES:
        found = match(text)
        if found:
            year, month, day = (int(found.group(i)) for i in (y, m, d))
            if not 1 <= month <= 12:
                return f"there is no month {month}" + ("; dates are written day first, DD/MM/YYYY" if d == 1 else "")
            try:
                meant = dt.date(year, month, day)
            except ValueError:
                return f"there is no {day} {MONTHS[month - 1]} {year}"
            # A real day in a form only the staff commands read: a CSV holds it as YYYY-MM-DD.
            return f"write {day} {MONTHS[month - 1]} {year} as YYYY-MM-DD, {meant.isoformat()}"
    return ""


def not_of_type(f: Field, text: str) -> str:
    """A value its type cannot read. A whole number too long to read (over 4,300 digits,
    Python's limit) is still a whole number: say it is out of range instead."""
    if f.type == "integer" and WHOLE_NUMBER(text.strip()):
        return too_small(f) if text.strip().startswith("-") else too_big(f)
    words = TYPE_WORDS.get(f.type, f"is not a valid {f.type}")
    why = no_such_day(text) if f.type == "date" else ""
    return f"{f.title} {words}" + (f": {why}" if why else "")


def too_long(f: Field, length: int) -> str:
    return f"{f.title} is {length:,} characters long; the most allowed is {f.constraints['maxLength']:,}"


def too_small(f: Field) -> str:
    return f"{f.title} is less than {f.constraints.get('minimum', 0):,}"


def too_big(f: Field) -> str:
    if "maximum" not in f.constraints:
        return f"{f.title} is too big a number"
    return f"{f.title} is more than {f.constraints['maximum']:,}"


def wrong_form(f: Field) -> str:
    return f"{f.title} is not in the right form"


def not_a_code(value: str, codelist: str) -> str:
    return f"{value!r} is not a code in {codelist}"


def no_such_record(value: str, table: str) -> str:
    return f"there is no record {value} in {table}"


def not_in(value: str, table: str, is_codelist: bool) -> str:
    """A foreign key that points nowhere: a code, or a record of another table."""
    return not_a_code(value, table) if is_codelist else no_such_record(value, table)


def not_utf8(byte: int) -> str:
    """A file in another encoding than UTF-8 (a CSV saved by Excel's plain "CSV", or by
    an older spreadsheet): none of its cells can be read with certainty."""
    return (
        f"this file is not UTF-8 text: the byte 0x{byte:02x} in this cell is a character written in another "
        f'encoding (such as é, £ or a curly quote saved by Excel\'s plain "CSV"). Open it in the spreadsheet '
        f'and save it as "CSV UTF-8 (Comma delimited)"'
    )


def formula(f: Field, first: str) -> str:
    return (
        f"{f.title} starts with {first!r}, so a spreadsheet would run it as a formula; "
        f"the register does not store formulas. Remove the {first!r} at the start "
        f"(for a link, write the web address on its own)"
    )


def control_character(f: Field, char: str, position: int) -> str:
    return f"{f.title} holds an invisible control character (code {ord(char)}) at character {position}; delete it"


def spreadsheet_error(f: Field, shown: str) -> str:
    return (
        f"{f.title} holds the spreadsheet error {shown}, which a formula gave instead of a value; type the value itself"
    )


# -- one value against the other rows ---------------------------------------------------


# What is allowed in place of a value another row of the same file already has (in
# datasets/ an identifier is never left blank, so not the field's usual words).
UNIQUE = "a value no other row of the file has"


def not_unique(f: Field, other_row) -> str:
    return f"{f.title} must be unique, and row {other_row} already has this value"


def already_used(f: Field, value: str, where: str) -> str:
    return f"{f.title} {value} is already used by {where}"


def used_twice_in_file(f: Field, value: str, other_row) -> str:
    return f"{f.title} {value} is also used by row {other_row} of this file"


def same_together(key: list[str] | tuple[str, ...], other_row) -> str:
    return f"the same {' and '.join(key)} as row {other_row}"


def together_exists(file: str, key: list[str] | tuple[str, ...], holder: str = "") -> str:
    return f"{file} already has {holder or 'a record'} with the same {' and '.join(key)}"


def one_row_per(key: list[str] | tuple[str, ...]) -> str:
    return f"one row per {' and '.join(key)}"


# -- the x- rules of the schemas (register/checks/rules.py) ------------------------------


def required_when(f: Field, other: str, other_value: str) -> str:
    return f"{f.title} is required when {other} is {other_value}"


def earlier_than(f: Field, other: Field, other_value: str) -> str:
    return f"{f.title} is earlier than {other.title} ({other_value})"


def on_or_after(other: Field) -> str:
    """By the other field's title, as earlier_than() names it, not its column name."""
    return f"a date on or after {other.title}"


def in_future(f: Field) -> str:
    return f"{f.title} is in the future"


def on_or_before_today(today: str) -> str:
    return f"a date on or before today ({today})"


def other_project(activity: str, theirs: str, own: str) -> str:
    return f"activity {activity} belongs to project {theirs}, not to {own}"


SAME_PROJECT = "an activity of the same project"


def before_said(said: str) -> str:
    return f"the update is dated before the item was said ({said})"


AFTER_SAID = "a date on or after the date the item was said"


def one_of(name: str, other: str, both: bool) -> str:
    return f"both {name} and {other} are given" if both else f"neither {name} nor {other} is given"


def one_of_allowed(name: str, other: str) -> str:
    return f"exactly one of {name} and {other}"


def not_independent(code: str) -> str:
    return f"organisation {code} is not an independent partner (its kind in organisation_kinds says so)"


INDEPENDENT = (
    "an organisation whose kind is an independent partner (Healthwatch, voluntary sector, lived-experience group)"
)


def before_claim(claimed: str) -> str:
    return f"the verdict is dated before the claim it judges ({claimed})"


AFTER_CLAIM = "a date on or after the date of the claim"


def not_exactly_one(f: Field) -> str:
    return f"exactly one row must have {f.title} true"


EXACTLY_ONE = "true on exactly one row, false on the others"


# -- the privacy gate (register/checks/privacy.py) --------------------------------------


def personal_data(f: Field, kind: str, found: str) -> str:
    return f"{f.title} contains {kind}; personal data must not be published. Remove or reword {found!r}"


NO_PERSONAL_DATA = "text with no personal data: describe people by role or as counts"


# -- the file as a whole -----------------------------------------------------------------

TOO_FEW_CELLS = "the row has too few cells"


def too_few_cells(cells: int, columns: int) -> str:
    """A row cut short (a line break typed into a cell, or a row pasted without its end):
    said once, at the first column it does not reach."""
    return f"{TOO_FEW_CELLS}: {cells:,} where the header has {columns:,}, so it stops before this column"


TOO_MANY_CELLS = "the row has more cells than the header"
BLANK_ROW = "the row is empty"


def header_has_instead(label: str, name: str) -> str:
    return f"the header has {label!r} where the schema expects {name!r}"


def header_lacks(name: str) -> str:
    return f"the header has no column {name!r}"


def header_extra(label: str) -> str:
    return f"the header has a column {label!r} that the schema does not have"


def header_mismatch(note: str) -> str:
    return f"the header does not match the schema: {note}"


def stopped_after(limit: int) -> str:
    return f"stopped after {limit} problems: there may be more"


def not_applied(correction: dict) -> str:
    return (
        f"the correction was recorded but {correction.get('resource')} {correction.get('record_id')} does not hold "
        f"this value in {correction.get('field')}: `make correct` was stopped before it changed the record"
    )


APPLY = "run the same `make correct` again (ID=, FIELD=, VALUE=, REASON=) to finish it: docs/staff-guide.md"
