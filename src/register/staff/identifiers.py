"""What new rows need from the rows already in datasets/: identifiers in use, the
highest id number, the records foreign keys point at, and the checks against them.

Existing rows are not re-validated with frictionless (that takes about 30 s at a
million rows): they are read from the built database for the part of each file it
vouches for (register/database/known_rows.py) and streamed once with the csv module for
the rest, keeping only what the new rows need. `make validate` remains the full check.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from register.checks import messages, rules
from register.checks.problems import Problem
from register.database import known_rows
from register.schema.package import Field, Package, Resource
from register.staff.batch import Batch, generated_field
from register.staff.write import display_path


def read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f), [])


@dataclass
class Existing:
    """What the new rows need to know about the rows already in datasets/."""

    taken: dict[str, set[str]] = field(default_factory=dict)  # unique field -> batch values already used
    max_number: int = 0  # highest id number with the prefix
    together: dict[tuple, set[tuple]] = field(default_factory=dict)  # unique-together key -> batch tuples already used
    found: dict[str, set[str]] = field(default_factory=dict)  # FK field -> batch values that exist
    lookups: dict[str, dict[str, dict]] = field(default_factory=dict)
    covered: int | None = None  # leading bytes of the file the database vouched for


def scan_existing(package: Package, batch: Batch) -> Existing:
    """What the batch needs to know of the rows already in datasets/: from the built
    database for the part of each file it was built from (register/database/known_rows.py), and
    from one pass over the rest of the file (all of it when the database cannot vouch
    for it). Memory stays small however big the register grows."""
    index = known_rows.Index.open(package)
    try:
        return _existing(package, batch, index)
    finally:
        if index is not None:
            index.close()


def existing_cells(path: Path, start: int | None):
    """Rows of cells after the header, or after byte `start` (a row boundary)."""
    with path.open("rb") as raw:
        if start:
            raw.seek(start)
        fh = io.TextIOWrapper(raw, encoding="utf-8" if start else "utf-8-sig", newline="")
        reader = csv.reader(fh)
        if not start:
            next(reader, None)
        for cells in reader:
            if cells:
                yield cells


def _json(values) -> str:
    return json.dumps(sorted(values))


def _text(value) -> str:
    """A database value as the CSV holds it (ids, codes and ISO dates: what rules compare)."""
    return "" if value is None else str(value)


def _existing(package: Package, batch: Batch, index: known_rows.Index | None) -> Existing:
    res = batch.resource
    ex = Existing()
    values = lambda name: {row.get(name, "") for _, row in batch.rows} - {""}  # noqa: E731
    unique = [f.name for f in res.fields if f.constraints.get("unique") or res.primary_key == [f.name]]
    together = [tuple(k) for k in res.schema.get("x-unique-together", [])]
    prefix = res.id_prefix
    ex.taken = {n: set() for n in unique}
    ex.together = {k: set() for k in together}
    if res.path.exists():
        wanted = {n: values(n) for n in unique}
        wanted_t = {k: {tuple(row.get(c, "") for c in k) for _, row in batch.rows} for k in together}
        header = res.field_names  # append_batch has checked the file's header is this
        # Tables keyed by a code (sources, codelists) give no identifiers: nothing to number.
        head, cut = (f"{prefix}-", len(prefix) + 1) if prefix else ("", 0)
        best = 0
        start = index.covered(res) if index else None
        if start is not None:
            db, t = index.conn, f"[{res.name}]"
            for n in unique:
                if wanted[n]:
                    ex.taken[n].update(
                        _text(v)
                        for (v,) in db.execute(
                            f"SELECT [{n}] FROM {t} WHERE [{n}] IN (SELECT value FROM json_each(?))",
                            (_json(wanted[n]),),
                        )
                    )
            for k in together:
                first = {tup[0] for tup in wanted_t[k]} - {""}
                if first:
                    cols = ", ".join(f"[{c}]" for c in k)
                    for found in db.execute(
                        f"SELECT {cols} FROM {t} WHERE [{k[0]}] IN (SELECT value FROM json_each(?))", (_json(first),)
                    ):
                        tup = tuple(_text(v) for v in found)
                        if tup in wanted_t[k]:
                            ex.together[k].add(tup)
            if prefix:
                best = index.numbers.get(res.name, 0)
        uidx = [(header.index(n), wanted[n], ex.taken[n]) for n in unique if wanted[n]]
        tidx = [([header.index(c) for c in k], wanted_t[k], ex.together[k]) for k in together]
        pk_i = header.index(res.primary_key[0]) if prefix else None
        # The tight loop of an append: at a million rows every operation in it counts,
        # so the id's number is read with startswith/isdigit, not a regex.
        for cells in existing_cells(res.path, start):
            if pk_i is not None and pk_i < len(cells):
                v = cells[pk_i]
                if v.startswith(head):
                    digits = v[cut:]
                    if digits.isdigit() and digits.isascii():
                        number = id_number(digits)
                        if number > best:
                            best = number
            for i, want, taken in uidx:
                if i < len(cells) and cells[i] in want:
                    taken.add(cells[i])
            for idx, want, taken in tidx:
                tup = tuple(cells[i] if i < len(cells) else "" for i in idx)
                if tup in want:
                    taken.add(tup)
        ex.max_number = best
        ex.covered = start
    # Foreign keys to other records (codelists are checked cell by cell).
    targets: dict[str, list[Field]] = {}
    for f in res.fields:
        ref = f.reference
        if ref and not package.is_codelist(ref[0]):
            targets.setdefault(ref[0], []).append(f)
    for target, fields in targets.items():
        tres = package.resource(target)
        key = fields[0].reference[1]
        wanted = set().union(*(values(f.name) for f in fields))
        rows: dict[str, dict] = {}
        if tres.path.exists() and wanted:
            start = index.covered(tres) if index else None
            if start is not None:
                cur = index.conn.execute(
                    f"SELECT * FROM [{target}] WHERE [{key}] IN (SELECT value FROM json_each(?))", (_json(wanted),)
                )
                names = [d[0] for d in cur.description]
                for found in cur:
                    row = {n: _text(v) for n, v in zip(names, found)}
                    rows[row[key]] = row
                theader = tres.field_names
            else:
                theader = read_header(tres.path)
            ki = theader.index(key)
            for cells in existing_cells(tres.path, start):  # a dict only for the few rows the batch points at
                if ki < len(cells) and cells[ki] in wanted:
                    rows[cells[ki]] = dict(zip(theader, cells))
        for f in fields:
            ex.found[f.name] = set(rows)
        ex.lookups[target] = rows
    return ex


def give_identifiers(batch: Batch, ex: Existing) -> list[str]:
    """Fill blank identifiers with the next numbers after the highest in use."""
    res = batch.resource
    prefix = res.id_prefix
    if not prefix:
        return []
    pk = res.primary_key[0]
    id_re = re.compile(rf"^{re.escape(prefix)}-([0-9]+)$")
    n = ex.max_number
    for _, row in batch.rows:
        m = id_re.match(row.get(pk, ""))
        if m:
            n = max(n, id_number(m.group(1)))
    given = []
    for _, row in batch.rows:
        if not row.get(pk):
            n += 1
            row[pk] = f"{prefix}-{n:04d}"
            given.append(row[pk])
    return given


def id_order(identifier: str) -> tuple[int, str]:
    """Where a record's identifier sorts among those of the same day: by its number, as the
    current-status view orders updates (register/schema/ddl.py's id_number), so UPD-10000
    comes after UPD-9999; the text breaks ties between UPD-0012 and UPD-00012."""
    digits = re.search(r"[0-9]*$", identifier).group()
    return (id_number(digits) if digits.isascii() and digits.isdigit() else 0, identifier)


def id_number(digits: str) -> int:
    """The number of an identifier's digits, for numbering new ones; 0 for numbers of
    more than 18 digits (beyond SQLite's integers, and past Python's limit at 4,300),
    which are never given and so need no successor."""
    return int(digits) if len(digits) <= 18 else 0


def _holders(res: Resource, key: tuple, wanted: set[tuple]) -> dict[tuple, str]:
    """The record already holding each of these unique-together values, by its id, so
    that a refusal names the record to look at. Read only when a row is refused."""
    if not res.primary_key or not res.path.exists():
        return {}
    header = res.field_names
    idx, pk = [header.index(c) for c in key], header.index(res.primary_key[0])
    found: dict[tuple, str] = {}
    for cells in existing_cells(res.path, None):
        t = tuple(cells[i] if i < len(cells) else "" for i in idx)
        if t in wanted and pk < len(cells):
            found.setdefault(t, cells[pk])
    return found


def check_against_existing(package: Package, batch: Batch, ex: Existing) -> None:
    res = batch.resource
    rel = display_path(package, res.path)
    for name, taken in ex.taken.items():
        f = res.field(name)
        seen: dict[str, int] = {}
        for number, row in batch.rows:
            v = row.get(name, "")
            if not v:
                continue
            if v in taken:
                batch.problems.append(
                    Problem(
                        batch.file,
                        number,
                        name,
                        v,
                        messages.already_used(f, v, f"a record in {rel}"),
                        "a new value"
                        + (", or leave it blank to have one given" if name == generated_field(res) else ""),
                    )
                )
            elif v in seen:
                batch.problems.append(
                    Problem(
                        batch.file,
                        number,
                        name,
                        v,
                        messages.used_twice_in_file(f, v, seen[v]),
                        "a different value on every row",
                    )
                )
            else:
                seen[v] = number
    for key, taken in ex.together.items():
        clashes = [
            (number, t) for number, row in batch.rows if all(t := tuple(row.get(c, "") for c in key)) and t in taken
        ]
        holders = _holders(res, key, {t for _, t in clashes}) if clashes else {}
        for number, t in clashes:
            batch.problems.append(
                Problem(
                    batch.file,
                    number,
                    ",".join(key),
                    ",".join(t),
                    messages.together_exists(rel, key, holders.get(t, "")),
                    messages.one_row_per(key),
                )
            )
    batch_ids = {row.get(res.primary_key[0], "") for _, row in batch.rows} if res.primary_key else set()
    refused = {(p.row, p.field) for p in batch.problems}  # a cell refused already is said once
    for name, found in ex.found.items():
        f = res.field(name)
        target = f.reference[0]
        for number, row in batch.rows:
            v = row.get(name, "")
            if v and v not in found and not (target == res.name and v in batch_ids) and (number, name) not in refused:
                message = messages.no_such_record(v, target)
                batch.problems.append(Problem(batch.file, number, name, v, message, f.allowed(package)))


def check_rules_across(package: Package, batch: Batch, ex: Existing) -> None:
    """The x- rules that look at other rows: existing ones, and the batch's own."""
    res = batch.resource
    lookups = {k: dict(v) for k, v in ex.lookups.items()}
    if res.primary_key == ["id"]:
        lookups.setdefault(res.name, {}).update({row["id"]: row for _, row in batch.rows if row.get("id")})
    batch.problems += rules.check_rows(package, res, batch.rows, batch.file, lookups, across_only=True)
