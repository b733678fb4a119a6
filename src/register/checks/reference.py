"""The reference checker: frictionless against the Table Schemas, then the x- rules and
the privacy gate. Slow at scale (about 30,000 rows a second) but the definition of what
is valid; tests/unit/test_fast_validation.py holds the fast path to it word for word.

frictionless's errors are worded for staff by register/checks/messages.py, the same
functions the fast path words its problems with.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from register.checks import messages, privacy, rules
from register.checks.cells import lenient_date
from register.checks.problems import Problem, order
from register.schema.package import Field, Package

# frictionless stops reading after limit_errors (1,000 by default) without saying so in
# its summary: ask for far more, and say so if even that is reached.
LIMIT_ERRORS = 100_000
LABEL_ERRORS = ("missing-label", "extra-label", "incorrect-label", "duplicate-label", "blank-label")
ROW_ERRORS = {
    "missing-cell": messages.TOO_FEW_CELLS,
    "extra-cell": messages.TOO_MANY_CELLS,
    "blank-row": messages.BLANK_ROW,
}
CONSTRAINT = re.compile(r'constraint "(\w+)"')


def _value(error, index: int | None):
    cells = getattr(error, "cells", None) or []
    if index is not None and 0 <= index < len(cells):
        return cells[index]
    return getattr(error, "cell", None)


def cell_message(f: Field, error) -> str:
    """A frictionless error about one cell, in the words of register/checks/messages.py."""
    cell = getattr(error, "cell", None) or ""
    if error.type == "type-error":
        return messages.not_of_type(f, cell)
    if error.type == "unique-error":
        return messages.not_unique(f, error.note.rsplit(" ", 1)[-1])
    if error.type == "constraint-error":
        found = CONSTRAINT.search(error.note)
        rule = found.group(1) if found else ""
        return {
            "required": lambda: messages.required(f),
            "pattern": lambda: messages.wrong_form(f),
            "maxLength": lambda: messages.too_long(f, len(cell)),
            "minimum": lambda: messages.too_small(f),
            "maximum": lambda: messages.too_big(f),
        }.get(rule, lambda: f"{f.title} breaks the rule {error.note.replace('constraint ', '')}")()
    return ROW_ERRORS.get(error.type, error.message)


def label_message(error, fname: str | None, label: str | None) -> str:
    if error.type == "incorrect-label" and fname:
        return messages.header_has_instead(label, fname)
    if error.type == "missing-label":
        return messages.header_lacks(fname)
    if error.type == "extra-label":
        return messages.header_extra(label)
    return messages.header_mismatch(error.note or error.type)


def frictionless_problems(package: Package, descriptor_path: Path | None = None) -> list[Problem]:
    """Schema, foreign-key and uniqueness problems, worded for staff."""
    # Imported here, the one import inside a function: the fast path and the staff
    # commands never need frictionless, and importing it costs 0.5 s.
    import frictionless

    fpkg = frictionless.Package(str(descriptor_path or package.descriptor_path), basepath=str(package.root))
    result = fpkg.validate(limit_errors=LIMIT_ERRORS)
    problems = []
    for task in result.tasks:
        res = package.resource(task.name)
        file = task.place
        # A short row: frictionless names every column it does not reach, twice for a
        # required one ("required", of the cell it calls 'None'); said once, at the first.
        short: dict[int, set[str]] = {}
        for e in task.errors:
            if e.type == "missing-cell":
                short.setdefault(e.row_number, set()).add(e.field_name)
        for e in task.errors:
            row = getattr(e, "row_number", None)
            fname = getattr(e, "field_name", None)
            if e.type == "primary-key":
                continue  # the same fact is reported as a unique-error on the id field
            if fname in short.get(row, ()):
                cells = len(e.cells or [])
                if e.type == "missing-cell" and cells < len(res.field_names) and fname == res.field_names[cells]:
                    message = messages.too_few_cells(cells, len(res.field_names))
                    problems.append(Problem(file, row, fname, None, message))
                continue
            if e.type == "foreign-key":
                for fk_field in e.field_names:
                    f = res.field(fk_field)
                    value = _value(e, res.field_names.index(fk_field))
                    target = f.reference[0]
                    message = messages.not_in(value, target, package.is_codelist(target))
                    problems.append(Problem(file, row, fk_field, value, message, f.allowed(package)))
            elif e.type in LABEL_ERRORS:
                label = getattr(e, "label", None)
                message = label_message(e, fname, label)
                problems.append(
                    Problem(file, 1, fname or label, label, message, "columns " + ",".join(res.field_names))
                )
            elif fname and fname in res.field_names:
                f = res.field(fname)
                allowed = messages.UNIQUE if e.type == "unique-error" else f.allowed(package)
                problems.append(Problem(file, row, fname, getattr(e, "cell", None), cell_message(f, e), allowed))
            else:
                problems.append(Problem(file, row, fname, None, ROW_ERRORS.get(e.type, e.message)))
        if len(task.errors) >= LIMIT_ERRORS:
            problems.append(Problem(file, None, None, None, messages.stopped_after(LIMIT_ERRORS)))
    return problems


def not_utf8(package: Package) -> list[Problem]:
    """One problem for each file that is not UTF-8 text, at the row of its first byte that
    is not: its cells, and so every check of the rows that point at them, cannot be read."""
    problems = []
    for name in package.names:
        res = package.resource(name)
        try:
            data = res.path.read_bytes()
        except OSError:
            continue  # said by frictionless, as a file that cannot be opened
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            before = data[: e.start].decode("utf-8")
            records = list(csv.reader(io.StringIO(before)))
            new_row = not before or before.endswith(("\n", "\r"))
            row, cells = (len(records) + 1, 1) if new_row else (len(records), len(records[-1]))
            field = res.field_names[cells - 1] if cells <= len(res.field_names) else None
            problems.append(Problem(res.descriptor["path"], row, field, None, messages.not_utf8(data[e.start])))
    return problems


def non_iso_dates(package: Package) -> list[Problem]:
    """Dates frictionless reads but the register does not (2024-5-1 for 2024-05-01),
    refused as the fast checker refuses them (register/checks/cells.py)."""
    problems = []
    for name in package.names:
        res = package.resource(name)
        dated = [f for f in res.fields if f.type == "date"]
        if not dated or not res.path.is_file():
            continue
        for rownum, row in rules.read_rows(res.path):
            for f in dated:
                value = row.get(f.name) or ""
                if lenient_date(value):
                    allowed = f.allowed(package)
                    problems.append(
                        Problem(res.descriptor["path"], rownum, f.name, value, messages.not_of_type(f, value), allowed)
                    )
    return problems


def validate_reference(package: Package) -> list[Problem]:
    """Every problem, found by frictionless, rules.py and privacy.py."""
    undecodable = not_utf8(package)
    if undecodable:
        return sorted(undecodable, key=order)
    problems = frictionless_problems(package) + non_iso_dates(package)
    problems += rules.check_package(package)
    problems += privacy.check_package(package)
    return sorted(problems, key=order)
