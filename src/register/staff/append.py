"""`make append TABLE=<resource> FILE=<path>`: add the records in a CSV or .xlsx file to
the register, all or nothing.

Every new row is checked against its Table Schema (types, required fields, patterns,
lengths, codes), against the rows already in datasets/ (identifiers unique, foreign
keys pointing at real rows), against the cross-row rules (register/checks/rules.py) and the
privacy gate (register/checks/privacy.py). Only when every row passes is the resource's CSV
rewritten, as a temporary file beside it that is fsynced and renamed into place, under
a lock; then the database is rebuilt so the site shows the new rows. On any problem the
command prints one line per problem (file, row, field, value, what is allowed), exits
non-zero and datasets/ is byte-for-byte unchanged.

Existing rows are not re-validated with frictionless (that takes about 30 s at a
million rows): they are streamed once with the csv module and only the identifiers and
values the new rows need are kept. `make validate` remains the full check.

`make add` and `make update-status` build their rows and hand them to `append_rows`,
so every way of adding data goes through the same checks and the same write.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from register import settings
from register.checks import privacy, rules
from register.checks.problems import Problem
from register.database import known_rows
from register.database.build import build
from register.schema.package import ROOT, Field, Package, Resource
from register.staff import readers
from register.util import locking

# Printing ten thousand lines helps nobody: show this many, then say how many more.
MAX_SHOWN = 500
# Used only by the fault tests: seconds to pause after the new file is written and
# fsynced and before it is renamed into place, so a test can kill the append there.
PAUSE_ENV = settings.TEST_PAUSE_BEFORE_REPLACE.name
RELEASE_ENV = settings.TEST_RELEASE_FILE.name  # ...or until this file exists

DATE_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
DATE_UK = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
DATE_TIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]00:00(:00)?$")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}
# Text a spreadsheet would run as a formula when the register's data is opened in one.
# Includes the DDE form (+cmd|' /C calc'!A0), which needs no brackets.
FORMULA = re.compile(r"^(?:=|[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*(?:\(|\|))")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UsageError(Exception):
    """The command was asked for something impossible (no such table, no file)."""


class WriteError(Exception):
    """The checked rows could not be written; the register's file is as it was."""


# --- from a file's table to rows of text keyed by field ------------------------------


@dataclass
class Batch:
    """The new rows of one append, as (spreadsheet row number, {field: text})."""

    resource: Resource
    file: str
    rows: list[tuple[int, dict]]
    problems: list[Problem] = field(default_factory=list)


def columns_text(resource: Resource) -> str:
    return "columns " + ", ".join(resource.field_names)


def generated_field(resource: Resource) -> str | None:
    """The identifier field that may be left blank (and so may be missing)."""
    return resource.primary_key[0] if resource.id_prefix else None


def from_table(resource: Resource, table: readers.Table) -> Batch:
    """Match the file's header to the schema and turn its rows into dicts of text.

    Columns may come in any order and their names are matched ignoring case and
    surrounding spaces. An unknown or repeated column is an error. A missing column is
    an error when its field is required; a missing optional column is left empty, and
    a missing identifier column means every identifier is given.
    """
    file = table.file
    problems: list[Problem] = []
    by_name = {n.lower(): n for n in resource.field_names}
    index: dict[str, int] = {}
    ignored: list[int] = []
    for i, label in enumerate(table.header):
        key = label.strip().lower()
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
                    f"the column {name!r} appears twice in the header (columns {index[name] + 1} and {i + 1})",
                    "each column once",
                )
            )
        else:
            index[name] = i
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
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue  # blank rows (Excel leaves them at the end) are not records
        for i in ignored:
            if i < len(cells) and cells[i].strip():
                problems.append(
                    Problem(
                        file,
                        number,
                        None,
                        cells[i],
                        f"cell {i + 1} has a value but its column has no heading",
                        columns_text(resource),
                    )
                )
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = next(c for c in cells[width:] if c.strip())
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    extra,
                    f"the row has {len(cells)} cells but the header names only {width} columns",
                    columns_text(resource),
                )
            )
        row = {}
        for name, i in index.items():
            row[name] = cells[i] if i < len(cells) else ""
        rows.append((number, row))
    if not rows and not problems:
        problems.append(
            Problem(
                file,
                None,
                None,
                None,
                "the file has a header row but no records under it",
                "one row per record under the header row",
            )
        )
    return Batch(resource, file, rows, problems)


# --- checks of one value ------------------------------------------------------------


class Codes:
    """The codes of every codelist, with titles, so a code may also be typed by its
    name ('In person' for in_person) or in another case."""

    def __init__(self, package: Package):
        self.package = package
        self._lists: dict[str, dict[str, str]] = {}
        self._titles: dict[str, dict[str, str]] = {}

    def titles(self, codelist: str) -> dict[str, str]:
        """code -> title, in the codelist's order."""
        if codelist not in self._titles:
            with self.package.resource(codelist).path.open(newline="", encoding="utf-8-sig") as f:
                self._titles[codelist] = {r["code"]: r.get("title") or r["code"] for r in csv.DictReader(f)}
        return self._titles[codelist]

    def lookup(self, codelist: str) -> dict[str, str]:
        """lower-cased code or title -> code."""
        if codelist not in self._lists:
            table: dict[str, str] = {}
            titles = self.titles(codelist)
            for code, title in titles.items():
                table.setdefault(title.strip().lower(), code)
            for code in titles:
                table[code.lower()] = code
            self._lists[codelist] = table
        return self._lists[codelist]

    def normalise(self, codelist: str, text: str) -> str | None:
        return self.lookup(codelist).get(text.strip().lower())


def codelist_of(package: Package, f: Field) -> str | None:
    ref = f.reference
    if ref and package.is_codelist(ref[0]):
        return ref[0]
    return None


def check_value(package: Package, codes: Codes, f: Field, text: str) -> tuple[str, list[str]]:
    """(normalised text, problem messages) for one cell. Empty text is the caller's
    business (required fields). The checks are those frictionless applies for the
    field's type and constraints, made a little stricter where the register is
    (ASCII digits only, no formulas, no control characters)."""
    value = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    msgs: list[str] = []
    if not value:
        return "", msgs
    if FORMULA.match(value):
        msgs.append(
            f"{f.title} starts with {value[0]!r}, so a spreadsheet would run it as a formula; "
            f"the register does not store formulas. Remove the {value[0]!r} at the start "
            f"(for a link, write the web address on its own)"
        )
        return value, msgs
    m = CONTROL.search(value)
    if m:
        msgs.append(
            f"{f.title} holds an invisible control character (code {ord(m.group(0))}) at "
            f"character {m.start() + 1}; delete it"
        )
        return value, msgs
    t = f.type
    if t == "date":
        norm = normalise_date(value)
        if norm is None:
            msgs.append(f"{f.title} is not a date the register can read")
            return value, msgs
        value = norm
    elif t == "integer":
        if not INTEGER.match(value):
            msgs.append(f"{f.title} is not a whole number")
            return value, msgs
        value = str(int(value))
    elif t == "number":
        if not NUMBER.match(value):
            msgs.append(f"{f.title} is not a number")
            return value, msgs
    elif t == "boolean":
        word = value.lower()
        if word in TRUE_WORDS:
            value = "true" if "true" in f.true_values else f.true_values[0]
        elif word in FALSE_WORDS:
            value = "false" if "false" in f.false_values else f.false_values[0]
        else:
            msgs.append(f"{f.title} must be yes or no")
            return value, msgs
    elif t not in ("string",):
        pass  # datetime and year are not used by the register's schemas
    if f.list_of:
        # Codes may be typed by name or separated by commas; unknown ones are kept as
        # typed, one per item, for the x-list-of rule to report each by name.
        normalised = []
        for p in (p.strip() for p in re.split(r"[;,]", value)):
            code = codes.normalise(f.list_of, p) or p if p else None
            if code and code not in normalised:
                normalised.append(code)
        value = ";".join(normalised)
        if any(codes.normalise(f.list_of, p) is None for p in normalised):
            return value, msgs  # reported by rules.check_rows (x-list-of)
    cl = codelist_of(package, f)
    if cl:
        code = codes.normalise(cl, value)
        if code is None:
            msgs.append(f"{value!r} is not a code in {cl}")
            return value, msgs
        value = code
    c = f.constraints
    if "pattern" in c and not re.fullmatch(c["pattern"], value):
        msgs.append(f"{f.title} is not in the right form")
    if "maxLength" in c and len(value) > c["maxLength"]:
        msgs.append(f"{f.title} is {len(value):,} characters long; the most allowed is {c['maxLength']:,}")
    if "minLength" in c and len(value) < c["minLength"]:
        msgs.append(f"{f.title} is shorter than {c['minLength']} characters")
    if t in ("integer", "number"):
        n = int(value) if t == "integer" else float(value)
        if "minimum" in c and n < c["minimum"]:
            msgs.append(f"{f.title} is less than {c['minimum']}")
        if "maximum" in c and n > c["maximum"]:
            msgs.append(f"{f.title} is more than {c['maximum']}")
    if "enum" in c and value not in [str(v) for v in c["enum"]]:
        msgs.append(f"{f.title} is not one of {', '.join(map(str, c['enum']))}")
    return value, msgs


def normalise_date(value: str) -> str | None:
    """YYYY-MM-DD from 2024-08-06, 2024-8-6, 06/08/2024 (day first, as UK Excel writes
    dates in a CSV) or an Excel date-time at midnight; None when it is not a date."""
    import datetime as dt

    m = DATE_TIME.match(value)
    if m:
        value = m.group(1)
    m = DATE_ISO.match(value)
    if m:
        y, mo, d = m.groups()
    else:
        m = DATE_UK.match(value)
        if not m:
            return None
        d, mo, y = m.groups()
    try:
        return dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def check_cells(package: Package, batch: Batch, codes: Codes) -> None:
    """Type, constraint and code checks of every cell, normalising values in place."""
    res = batch.resource
    gen = generated_field(res)
    for number, row in batch.rows:
        for f in res.fields:
            if f.name not in row:
                continue
            value, msgs = check_value(package, codes, f, row[f.name])
            row[f.name] = value
            for m in msgs:
                batch.problems.append(Problem(batch.file, number, f.name, value, m, f.allowed(package)))
            if not value and f.required and f.name != gen:
                batch.problems.append(
                    Problem(batch.file, number, f.name, "", f"{f.title} is required", f.allowed(package))
                )


# --- checks against the rows already in datasets/ ------------------------------------


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


def _cells(path: Path, start: int | None):
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
        head, cut = f"{prefix}-", len(prefix) + 1
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
        for cells in _cells(res.path, start):
            if pk_i is not None and pk_i < len(cells):
                v = cells[pk_i]
                if v.startswith(head):
                    digits = v[cut:]
                    if digits.isdigit() and digits.isascii():
                        number = int(digits)
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
            for cells in _cells(tres.path, start):  # a dict only for the few rows the batch points at
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
            n = max(n, int(m.group(1)))
    given = []
    for _, row in batch.rows:
        if not row.get(pk):
            n += 1
            row[pk] = f"{prefix}-{n:04d}"
            given.append(row[pk])
    return given


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
                        f"{f.title} {v} is already used by a record in {rel}",
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
                        f"{f.title} {v} is also used by row {seen[v]} of this file",
                        "a different value on every row",
                    )
                )
            else:
                seen[v] = number
    for key, taken in ex.together.items():
        for number, row in batch.rows:
            t = tuple(row.get(c, "") for c in key)
            if all(t) and t in taken:
                batch.problems.append(
                    Problem(
                        batch.file,
                        number,
                        ",".join(key),
                        ",".join(t),
                        f"{rel} already has a record with the same {' and '.join(key)}",
                        f"one row per {' and '.join(key)}",
                    )
                )
    batch_ids = {row.get(res.primary_key[0], "") for _, row in batch.rows} if res.primary_key else set()
    for name, found in ex.found.items():
        f = res.field(name)
        target = f.reference[0]
        for number, row in batch.rows:
            v = row.get(name, "")
            if v and v not in found and not (target == res.name and v in batch_ids):
                batch.problems.append(
                    Problem(batch.file, number, name, v, f"there is no record {v} in {target}", f.allowed(package))
                )


def check_rules_and_privacy(package: Package, batch: Batch, ex: Existing) -> None:

    res = batch.resource
    lookups = {k: dict(v) for k, v in ex.lookups.items()}
    if res.primary_key == ["id"]:
        lookups.setdefault(res.name, {}).update({row["id"]: row for _, row in batch.rows if row.get("id")})
    batch.problems += rules.check_rows(package, res, batch.rows, batch.file, lookups)
    batch.problems += privacy.check_rows(res, batch.rows, batch.file)


# --- writing ------------------------------------------------------------------------


def display_path(package: Package, path: Path) -> str:
    try:
        return str(path.relative_to(package.root))
    except ValueError:
        return str(path)


def line_style(path: Path) -> tuple[str, bool]:
    """(line terminator, ends with one) of an existing CSV, so appended rows match it."""
    with path.open("rb") as f:
        head = f.read(65536)
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            last = f.read(1)
        else:
            last = b""
    first = head.find(b"\n")
    terminator = "\r\n" if first > 0 and head[first - 1 : first] == b"\r" else "\n"
    return terminator, last in (b"\n", b"\r") or size == 0


def temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.getpid()}.append.tmp"


def remove_stale_temps(path: Path) -> None:
    """Temporary files left by an append that was killed (only called under the lock)."""
    for p in path.parent.glob(f".{path.name}.*.append.tmp"):
        p.unlink(missing_ok=True)


def write_rows(res: Resource, rows: list[dict]) -> None:
    """Write existing + new rows to a temporary file beside the CSV, fsync it, and
    rename it over the CSV: a reader or a crash sees the old file or the new, never half."""
    path = res.path
    names = res.field_names
    tmp = temp_name(path)
    try:
        if path.exists():
            terminator, ends = line_style(path)
            shutil.copyfile(path, tmp)
            shutil.copymode(path, tmp)
        else:
            terminator, ends = "\n", True
            with tmp.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator=terminator).writerow(names)
        with tmp.open("a", encoding="utf-8", newline="") as f:
            if not ends:
                f.write(terminator)
            w = csv.writer(f, lineterminator=terminator)
            for row in rows:
                w.writerow([row.get(n, "") for n in names])
            f.flush()
            os.fsync(f.fileno())
        pause = settings.TEST_PAUSE_BEFORE_REPLACE.raw()
        if pause:
            print(f"append: paused before replacing {path.name} (test hook {PAUSE_ENV})", file=sys.stderr, flush=True)
            release = settings.TEST_RELEASE_FILE.raw()
            deadline = time.monotonic() + float(pause)
            while time.monotonic() < deadline and not (release and os.path.exists(release)):
                time.sleep(0.02)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:  # make the rename itself durable; the rows are in place whatever happens here
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# --- the whole append ---------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    problems: list[Problem]
    rows: list[dict]
    given: list[str]
    build_error: str | None = None
    seconds: float = 0.0
    rebuilt: bool = False


def staff_resource(package: Package, name: str) -> Resource:
    if not name:
        raise UsageError("say which table to add to with TABLE=, one of: " + ", ".join(package.names))
    try:
        return package.resource(name)
    except KeyError:
        raise UsageError(f"there is no table called {name!r}; TABLE= must be one of: " + ", ".join(package.names))


def append_batch(package: Package, batch: Batch, rebuild: bool = True, out=sys.stderr) -> Outcome:
    """Check the batch against everything, then write it and rebuild: all or nothing."""
    start = time.perf_counter()
    res = batch.resource
    codes = Codes(package)
    if batch.problems:  # the header does not match: row checks would only repeat it
        return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
    check_cells(package, batch, codes)
    with locking.exclusive(package.root, out=out):
        if res.path.exists():
            header = read_header(res.path)
            if header != res.field_names:
                batch.problems.append(
                    Problem(
                        display_path(package, res.path),
                        1,
                        None,
                        ",".join(header),
                        "the register's own file does not have the columns its schema "
                        "lists, so nothing can be added safely; run `make validate`",
                        columns_text(res),
                    )
                )
                return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
        ex = scan_existing(package, batch)
        given = give_identifiers(batch, ex)
        check_against_existing(package, batch, ex)
        check_rules_and_privacy(package, batch, ex)
        if batch.problems:
            return Outcome(False, batch.problems, [], [], seconds=time.perf_counter() - start)
        rows = [row for _, row in batch.rows]
        try:
            remove_stale_temps(res.path)
            write_rows(res, rows)
            known_rows.record_append(package, res, ex.covered)
        except OSError as e:  # read-only folder, full disk: the old file is still in place
            raise WriteError(
                f"{display_path(package, res.path)} could not be saved ({e.strerror or e}). "
                f"Check there is free disk space and that you may write to "
                f"{display_path(package, res.path.parent)}/, then run the same command again"
            ) from e
        outcome = Outcome(True, [], rows, given)
        if rebuild:
            outcome.build_error = rebuild_database(package.root)
            outcome.rebuilt = outcome.build_error is None
    outcome.seconds = time.perf_counter() - start
    return outcome


def rebuild_database(root: Path) -> str | None:
    """Rebuild build/register.db from datasets/ (the new rows were checked just now;
    the rest was valid before). Returns what went wrong, or None."""
    try:
        build(Package(root), Path(root) / "build", validate_first=False)
        return None
    except SystemExit as e:
        return f"the build stopped (exit {e.code})"
    except Exception as e:  # the rows are safely written; say so, and how to finish
        return f"{type(e).__name__}: {e}"


def print_problems(problems: list[Problem], resource: Resource, out) -> None:
    order = {n: i for i, n in enumerate(resource.field_names)}
    problems = sorted(set(problems), key=lambda p: (p.file, p.row or 0, order.get(p.field or "", -1), p.message))
    for p in problems[:MAX_SHOWN]:
        print(p, file=out)
    if len(problems) > MAX_SHOWN:
        print(f"... and {len(problems) - MAX_SHOWN:,} more problems not shown: fix these and run it again.", file=out)
    rows = len({p.row for p in problems if p.row})
    print(
        f"{len(problems):,} problem{'s' if len(problems) != 1 else ''}"
        + (f" in {rows:,} row{'s' if rows != 1 else ''}" if rows else "")
        + ".",
        file=out,
    )


def report_outcome(package: Package, res: Resource, outcome: Outcome, source: str) -> int:
    """Tell the person what happened; the exit code for the command."""
    rel = display_path(package, res.path)
    if not outcome.ok:
        print(f"Nothing was added to {res.name}: {source} has problems. Fix these and try again:", file=sys.stderr)
        print_problems(outcome.problems, res, sys.stderr)
        print(f"{rel} and the rest of datasets/ are unchanged.", file=sys.stderr)
        return 1
    n = len(outcome.rows)
    pk = res.primary_key[0] if len(res.primary_key) == 1 else None
    ids = [r.get(pk, "") for r in outcome.rows] if pk else []
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10:,} more" if len(ids) > 10 else "")
    print(f"Added {n:,} record{'s' if n != 1 else ''} to {rel}" + (f": {shown}" if shown else "") + ".")
    if outcome.given and len(outcome.given) < n:
        print(
            f"Identifiers given to rows that had none: {', '.join(outcome.given[:10])}"
            + (f" and {len(outcome.given) - 10:,} more" if len(outcome.given) > 10 else "")
            + "."
        )
    if outcome.build_error:
        print(
            f"The records are saved, but the database could not be rebuilt ({outcome.build_error}). "
            f"Run `make validate` and then `make build`.",
            file=sys.stderr,
        )
        return 3
    if outcome.rebuilt:
        print(
            f"The database is rebuilt; restart `make serve` if it is running, to see them on the site. "
            f"({outcome.seconds:.2f} s)"
        )
    else:
        print(f"The database was not rebuilt: run `make build` to see them on the site. ({outcome.seconds:.2f} s)")
    return 0


def run_batch(package: Package, batch: Batch, rebuild: bool, source: str) -> int:
    """Append a batch and tell the person what happened; the exit code."""
    res = batch.resource
    try:
        outcome = append_batch(package, batch, rebuild=rebuild)
    except (locking.LockTimeout, WriteError) as e:
        print(f"Nothing was added to {res.name}: {e}.", file=sys.stderr)
        return 1
    except OSError as e:  # the lock file could not be made (build/ not writable)
        print(
            f"Nothing was added to {res.name}: {e.strerror or e} ({getattr(e, 'filename', '') or ''}). "
            f"Check there is free disk space and that you may write to the register's folder.",
            file=sys.stderr,
        )
        return 1
    return report_outcome(package, res, outcome, source)


def append_rows(package: Package, res: Resource, rows: list[dict], source: str, rebuild: bool = True) -> int:
    """Append rows built by a program (`make add`, `make update-status`); exit code."""
    batch = Batch(res, source, [(None, dict(r)) for r in rows])
    return run_batch(package, batch, rebuild, source)


def fast_imports() -> None:
    """Keep pandas and numpy out of a command-line append. sqlite_utils (which the build
    uses) imports them when installed, only for DataFrame support the build never uses,
    and they cost about 0.3 s of the second an append may take. Command-line only."""
    for name in ("pandas", "numpy"):
        sys.modules.setdefault(name, None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="", help="the resource to add to, e.g. coproduction_log")
    parser.add_argument("--file", default="", help="a CSV (UTF-8 or Windows-1252) or .xlsx file of new records")
    parser.add_argument("--sheet", default=None, help="the .xlsx sheet to read (default: the first visible one)")
    parser.add_argument("--root", default=str(ROOT), help="the repository to add to (default: this one)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild the database afterwards")
    args = parser.parse_args(argv)
    package = Package(args.root)
    try:
        res = staff_resource(package, args.table)
        if not args.file:
            raise UsageError("say which file to add with FILE=<path to a .csv or .xlsx file>")
    except UsageError as e:
        print(f"Nothing was added: {e}", file=sys.stderr)
        return 2
    try:
        table = readers.read_table(Path(args.file).expanduser(), label=args.file, sheet=args.sheet)
    except OSError as e:
        print(f"Nothing was added to {res.name}: {args.file} cannot be opened ({e.strerror or e}).", file=sys.stderr)
        return 1
    except readers.InputError as e:
        print(f"Nothing was added to {res.name}: {args.file} cannot be read. Fix this and try again:", file=sys.stderr)
        print_problems(e.problems, res, sys.stderr)
        print(f"{display_path(package, res.path)} and the rest of datasets/ are unchanged.", file=sys.stderr)
        return 1
    return run_batch(package, from_table(res, table), not args.no_build, args.file)


if __name__ == "__main__":
    fast_imports()
    sys.exit(main())
