"""New rows that are records already in the register under another id.

Running the same `make append` twice, or the same `make update-status`, would otherwise
add the same records again under new ids, and the copy would sit in the public history.
A new row that matches an existing record in every field but the id is refused, naming
the existing record, unless the person says it is meant (ALLOW_DUPLICATES=yes). Two
equal rows in one file are refused in the same way.

The rows already in datasets/ are read as register/staff/identifiers.py reads them: from
the built database for the part of the file it vouches for (only the rows sharing a
value with the new ones), and from the CSV for the rest.
"""

from __future__ import annotations

import json

from register.checks.problems import Problem
from register.database import known_rows
from register.schema.package import Field, Package, Resource
from register.staff.batch import Batch
from register.staff.identifiers import existing_cells
from register.staff.write import display_path

ALLOW = "ALLOW_DUPLICATES=yes"
TRUE_TEXT = {"true", "yes", "1"}
FALSE_TEXT = {"false", "no", "0"}


def compared(res: Resource) -> list[Field]:
    """The fields two records are compared on: all but the identifier."""
    return [f for f in res.fields if f.name not in res.primary_key]


def canonical(f: Field, value) -> str:
    """A value as the CSV or the database holds it, in one form (booleans are 1/0 in the
    database and true/yes in a CSV; empty is NULL in the database)."""
    text = "" if value is None else str(value)
    if f.type == "boolean":
        low = text.strip().lower()
        return "true" if low in TRUE_TEXT else "false" if low in FALSE_TEXT else text
    return text


def key_of(fields: list[Field], values) -> tuple:
    return tuple(canonical(f, v) for f, v in zip(fields, values))


def existing_matches(package: Package, res: Resource, wanted: set[tuple]) -> dict[tuple, list[str]]:
    """Existing records whose compared fields equal one of `wanted`: key -> their ids."""
    fields = compared(res)
    pk = res.primary_key[0]
    found: dict[tuple, list[str]] = {}
    if not wanted or not res.path.exists():
        return found
    # Text and date columns narrow the search in the database (they are stored as the CSV
    # holds them); the first of them narrows the pass over the CSV.
    text = [i for i, f in enumerate(fields) if f.type in ("string", "date")] or [0]
    k = text[0]
    first = {key[k] for key in wanted}
    index = known_rows.Index.open(package)
    try:
        start = index.covered(res) if index else None
        if start is not None:
            cols = ", ".join(f"[{f.name}]" for f in fields)
            where = " AND ".join(f"coalesce([{fields[i].name}], '') IN (SELECT value FROM json_each(?))" for i in text)
            params = [json.dumps(sorted({key[i] for key in wanted})) for i in text]
            for ident, *values in index.conn.execute(f"SELECT [{pk}], {cols} FROM [{res.name}] WHERE {where}", params):
                key = key_of(fields, values)
                if key in wanted:
                    found.setdefault(key, []).append(str(ident))
    finally:
        if index is not None:
            index.close()
    header = res.field_names  # append_batch has checked the file's header is this
    idx = [header.index(f.name) for f in fields]
    pk_i, k_i = header.index(pk), idx[k]
    for cells in existing_cells(res.path, start):
        if k_i < len(cells) and cells[k_i] in first:
            key = key_of(fields, (cells[i] if i < len(cells) else "" for i in idx))
            if key in wanted:
                found.setdefault(key, []).append(cells[pk_i])
    return found


def check_repeats(package: Package, batch: Batch) -> None:
    """Refuse rows that repeat an existing record, or an earlier row of the same file.
    Rows already refused for something else are reported for that only (their values may
    not be in their final form); the others are compared, so that one run names every
    problem of the file. A problem not of one row of a file leaves the comparison out."""
    res = batch.resource
    if len(res.primary_key) != 1 or not res.id_prefix:
        return
    refused = {p.row for p in batch.problems}
    if None in refused:
        return
    fields = compared(res)
    keys = [
        (number, key_of(fields, (row.get(f.name, "") for f in fields)))
        for number, row in batch.rows
        if number not in refused
    ]
    found = existing_matches(package, res, {key for _, key in keys})
    rel = display_path(package, res.path)
    seen: dict[tuple, int | None] = {}
    for number, key in keys:
        ids = found.get(key)
        if ids:
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")
            batch.problems.append(
                Problem(
                    batch.file,
                    number,
                    None,  # the whole row, not one field
                    None,
                    f"this {'row' if number is not None else 'record'} is already in {rel} as {shown}: "
                    "it matches in everything but the id, "
                    f"so it looks already added",
                    f"a record not yet in the register; to add it again on purpose, run the same command with {ALLOW}",
                )
            )
        elif key in seen:
            where = f"row {seen[key]}" if seen[key] is not None else "another row"
            batch.problems.append(
                Problem(
                    batch.file,
                    number,
                    None,  # the whole row, not one field
                    None,
                    f"this row is the same as {where} of the file in everything but the id",
                    f"each record once; to add both on purpose, run the same command with {ALLOW}",
                )
            )
        else:
            seen[key] = number
