"""The new rows of one append: which table a staff command adds to, and a file's table
matched to that resource's schema.

Columns may come in any order, named in any case; what cannot be matched is a problem
of the header, reported before any cell is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from register.checks.problems import Problem
from register.schema.package import Package, Resource
from register.staff import readers
from register.staff.input_file import column_key, column_letter


class UsageError(Exception):
    """The command was asked for something impossible (no such table, no file)."""


# Tables whose rows only go in together with a change elsewhere, so only their own
# command may add them: a correction added on its own would not change its record.
OWN_COMMAND = {
    "corrections": 'make correct ID=<record id> FIELD=<field> VALUE=<new value> REASON="..."',
}


def staff_resource(package: Package, name: str) -> Resource:
    names = ", ".join(n for n in package.names if n not in OWN_COMMAND)
    if not name:
        raise UsageError("say which table to add to with TABLE=, one of: " + names)
    name = {column_key(n): n for n in package.names}.get(column_key(name), name)  # Coproduction_Log, "you said we did"
    try:
        res = package.resource(name)
    except KeyError:
        raise UsageError(f"there is no table called {name!r}; TABLE= must be one of: " + names)
    if name in OWN_COMMAND:
        raise UsageError(
            f"{name} is not added to directly, because a row there must change its record at the same time. "
            f"Use: {OWN_COMMAND[name]}"
        )
    return res


@dataclass
class Batch:
    """The new rows of one append, as (spreadsheet row number, {field: text})."""

    resource: Resource
    file: str
    rows: list[tuple[int, dict]]
    problems: list[Problem] = field(default_factory=list)
    # Checks of what datasets/ holds that must hold when the rows are written, so are
    # made again under the write lock (another change may have landed meanwhile).
    under_lock: Callable[[], list[Problem]] | None = None
    # Rows with a cell or two filled in ahead and left out of `rows` (sketched_row).
    sketched: list[int] = field(default_factory=list)


def columns_text(resource: Resource) -> str:
    return "columns " + ", ".join(resource.field_names)


def column_names(resource: Resource) -> dict[str, str]:
    """The field each header label names, by its column_key: the field's name, or its title
    as the site, the downloaded workbook's headers and the template's "About these fields"
    sheet show it ("Date said" is said_date). A name wins over another field's title."""
    return {column_key(f.title): f.name for f in resource.fields} | {column_key(n): n for n in resource.field_names}


def generated_field(resource: Resource) -> str | None:
    """The identifier field that may be left blank (and so may be missing)."""
    return resource.primary_key[0] if resource.id_prefix else None


# What a spreadsheet did to a cell, said for the field it is in: {title} is the field's
# title, {value} the cell as it came. (message, what is allowed)
CHANGED_CELLS = {
    # A text field stored as a number: a section 8.10 is already 8.1, and 7.0 is 7.
    "text as number": (
        "{title_lower} {value} came in as a number, so the spreadsheet may have changed it "
        "(8.10 becomes 8.1, 7.0 becomes 7): format the column as Text and type the value again "
        "as the source writes it",
        "text; in the spreadsheet, format the cell or column as Text before typing",
    ),
    # A text field stored as a date or time: what was typed (8/10, March 2025) is gone.
    "text as date": (
        "{title_lower} {value} came in as a date or time, so the spreadsheet has changed what was typed "
        "(8/10 becomes 8 October, March 2025 becomes 2025-03-01): format the column as Text and type the "
        "value again as the source writes it",
        "text; in the spreadsheet, format the cell or column as Text before typing",
    ),
    # A formula: the register keeps what a cell shows, typed in.
    "formula": (
        "{title} holds a formula; the register keeps values, not formulas. Replace the formula with its "
        "value (copy the cell, then Paste Special > Values only), save, and try again",
        "a value, not a formula",
    ),
    # A date field stored as a plain number (45658): a date in a cell not formatted as one.
    "date as number": (
        "{title} came in as the number {value}, not a date: a spreadsheet stores a date as a number "
        "and shows it as one only in a cell formatted as a date. Format the column as Date, check each "
        "cell shows the right day, save, and try again",
        "a date written YYYY-MM-DD or DD/MM/YYYY, or a cell formatted as a date",
    ),
    # A whole number stored as a date: 1-2 or 3/4 typed in a cell the spreadsheet read as a day.
    "number as date": (
        "{title} came in as the date {value}, not a whole number: the spreadsheet read what was typed "
        "(1-2, 3/4) as a day. Format the column as Number, type the number again, save, and try again",
        "a whole number",
    ),
}


def changed_cell(kind: str, resource: Resource, file: str, number: int, name: str, value: str) -> Problem:
    """The problem with a cell a spreadsheet changed (CHANGED_CELLS[kind])."""
    title = resource.field(name).title
    message, allowed = CHANGED_CELLS[kind]
    return Problem(
        file, number, name, value, message.format(title=title, title_lower=title.lower(), value=value), allowed
    )


def header_below(by_name: dict[str, str], table: readers.Table, look: int = 10) -> int | None:
    """The row (among the first few) that names the columns, when row 1 names none of
    them: someone typed a title above the header."""
    if any(column_key(label) in by_name for label in table.header):
        return None
    for number, cells in table.rows[:look]:
        names = {column_key(c) for c in cells} - {""}
        if names and 2 * len(names & by_name.keys()) > len(names):
            return number
    return None


def other_table(resource: Resource, header: list[str]) -> Resource | None:
    """Another table of the register whose columns the header names, every one, when
    this one's are not: a template of one table given with TABLE= of another."""
    labels = {column_key(label) for label in header} - {""}
    if labels <= column_names(resource).keys():  # its own columns, one of them twice
        return None
    for name in resource.package.names:
        other = resource.package.resource(name)
        names = {column_key(n) for n in other.field_names}
        if name != resource.name and labels <= names and 2 * len(labels) > len(names):
            return other
    return None


def named_columns(index: dict[str, int], cells: list[str]) -> bool:
    """True when the row names the columns as the header does: a second header row."""
    hits = sum(1 for name, i in index.items() if i < len(cells) and column_key(cells[i]) == column_key(name))
    return hits >= 2 and 2 * hits > len(index)


def sketched_row(resource: Resource, file: str, number: int, row: dict) -> Problem | None:
    """A row with a cell or two filled in ahead (a project copied down the sheet) and
    every other required field empty: not a record yet, said in one line."""
    filled = [name for name, value in row.items() if value.strip()]
    gen = generated_field(resource)
    empty = [f.name for f in resource.fields if f.required and f.name != gen and not row.get(f.name, "").strip()]
    if len(filled) > 2 or len(empty) < 3:
        return None
    return Problem(
        file,
        number,
        None,
        None,
        f"only {' and '.join(filled)} {'is' if len(filled) == 1 else 'are'} filled in on this row, and "
        f"{len(empty)} required fields ({', '.join(empty)}) are empty: fill in the record, or clear the "
        "row if it is not one",
        "one whole record per row",
    )


def from_table(resource: Resource, table: readers.Table) -> Batch:
    """Match the file's header to the schema and turn its rows into dicts of text.

    Columns may come in any order and their names (or titles) are matched ignoring case,
    surrounding spaces, and spaces or hyphens in place of underscores (column_key).
    An unknown or repeated column is an error. A missing column is
    an error when its field is required; a missing optional column is left empty, and
    a missing identifier column means every identifier is given.
    """
    file = table.file
    problems: list[Problem] = []
    by_name = column_names(resource)
    below = header_below(by_name, table)
    if below is not None:  # a title typed above the header: one line, not one per column
        message = (
            f"the column names are in row {below}, but they must be in row 1: delete the "
            f"row{'s' if below > 2 else ''} above them and save the file again"
        )
        return Batch(resource, file, [], [Problem(file, below, None, None, message, columns_text(resource))])
    index: dict[str, int] = {}
    ignored: list[int] = []
    for i, label in enumerate(table.header):
        key = column_key(label)
        if not key:
            ignored.append(i)
            continue
        name = by_name.get(key)
        if name is None:
            problems.append(
                Problem(
                    file,
                    1,
                    label.strip(),
                    label.strip(),
                    f"there is no column called {label.strip()!r} in {resource.name}",
                    columns_text(resource),
                )
            )
        elif name in index:
            problems.append(
                Problem(
                    file,
                    1,
                    name,
                    label.strip(),
                    f"the column {name!r} appears twice in the header ({column_letter(index[name])} and {column_letter(i)})",
                    "each column once",
                )
            )
        else:
            index[name] = i
    other = other_table(resource, table.header) if problems else None
    if other is not None:  # the right file, the wrong TABLE=: one line, not one per column
        message = (
            f"these are the columns of {other.name} ({other.title}), not of {resource.name}: "
            f"to add these records to {other.name}, give TABLE={other.name}"
        )
        return Batch(resource, file, [], [Problem(file, 1, None, None, message, columns_text(resource))])
    gen = generated_field(resource)
    for f in resource.fields:
        if f.name not in index and f.required and f.name != gen:
            problems.append(
                Problem(
                    file,
                    1,
                    f.name,
                    None,
                    f"the column {f.name!r} ({f.title}) is missing, and it is required",
                    columns_text(resource),
                )
            )
    width = len(table.header)
    rows: list[tuple[int, dict]] = []
    sketched: list[int] = []
    header_ok = not problems  # with columns missing, every row would look only begun
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue  # blank rows (Excel leaves them at the end) are not records
        # A value under a blank heading, or to the right of the last one (a note beside
        # a record): the first of those beyond the header, each under a blank heading.
        beyond = next((i for i in range(width, len(cells)) if cells[i].strip()), None)
        for i in [*ignored, *([beyond] if beyond is not None else [])]:
            if i < len(cells) and cells[i].strip():
                problems.append(
                    Problem(
                        file,
                        number,
                        None,
                        cells[i],
                        f"the cell in {column_letter(i)} has a value but its column has no heading: "
                        "delete the value, or name its column in row 1",
                        columns_text(resource),
                    )
                )
        row = {}
        for name, i in index.items():
            row[name] = cells[i] if i < len(cells) else ""
            kind = None
            if (number, i) in table.formulas:
                kind = "formula"
            elif (number, i) in table.numbers and resource.field(name).type == "date":
                kind = "date as number"
            elif (number, i) in table.dates and resource.field(name).type in ("integer", "number"):
                kind = "number as date"
            elif resource.field(name).type == "string":
                if (number, i) in table.numbers:
                    kind = "text as number"
                elif (number, i) in table.dates:
                    kind = "text as date"
            if kind:
                problems.append(changed_cell(kind, resource, file, number, name, row[name]))
        if named_columns(index, cells):
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    None,
                    "this row repeats the column names of row 1 (records pasted in with their own header row, "
                    "or two files joined): delete this row",
                    "one header row, in row 1",
                )
            )
            continue
        sketch = sketched_row(resource, file, number, row) if header_ok else None
        if sketch:  # one line for the row, not one per empty required field
            problems.append(sketch)
            sketched.append(number)
            continue
        rows.append((number, row))
    if not rows and not problems:
        problems.append(
            Problem(
                file,
                None,
                None,
                None,
                f"{table.where} has a header row but no records under it",
                "one row per record under the header row",
            )
        )
    return Batch(resource, file, rows, problems, sketched=sketched)
