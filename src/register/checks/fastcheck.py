"""Exact validation at national scale: every check of `make validate`, in one pass that
also loads the rows into SQLite.

Why: frictionless reads about 30,000 rows a second, so a million-row register takes
over a minute to validate, and the build then reads every CSV again. This module reads
each CSV once with Python's csv module, checks every cell with straight-line code
generated from the Table Schema (types, required, pattern, maxLength, minimum, codes,
booleans, dates, the x- rules of register/checks/rules.py and the privacy gate), and inserts the
rows into the database the build is writing. Checks that look across rows run in SQL
after the load: primary keys through the table's unique index, foreign keys to big
tables and the cross-table rules through joins, x-unique-together through GROUP BY.

Frictionless stays the schema language and the reference: tests/test_fast_validation.py
runs both over generated and mutated registers and requires the same problems. Anything
this path does not model exactly (a header that does not match the schema, rows with
too few or too many cells, blank rows, a byte-order mark or a CSV dialect other than
plain comma-separated, undecodable bytes, a constraint or type the schemas do not use
today, or more than LIMIT_ERRORS problems in one file) raises Fallback, and the caller
runs the reference instead: slower, never different.

Problems are worded exactly as register/checks/validate.py words frictionless's errors, and as
register/checks/rules.py and register/checks/privacy.py word theirs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
import time
from pathlib import Path

from register.checks import privacy
from register.checks.problems import Problem
from register.schema.ddl import build_order, create_table
from register.schema.package import Field, Package, Resource, today
from register.util.progress import Progress

# Referenced tables up to this many rows are checked from a Python set while loading;
# bigger ones (the co-production log at national scale) through a SQL join afterwards.
LOOKUP_MAX = 100_000
BATCH = 5_000
# Matches validate.LIMIT_ERRORS: beyond it frictionless truncates, so use the reference.
LIMIT_ERRORS = 100_000
# (wall s, CPU s) per step of the last check in this process, for `make bench`.
TIMINGS: dict[str, tuple[float, float]] = {}
SUPPORTED_CONSTRAINTS = {"required", "unique", "pattern", "maxLength", "minimum"}
SUPPORTED_TYPES = {"string", "integer", "boolean", "date"}
# The x- properties register/checks/rules.py (and the site) read; a new rule there that this file
# does not model makes the fast path hand over to the reference rather than skip it.
FIELD_X = {
    "x-free-text",
    "x-list-of",
    "x-required-when",
    "x-not-before",
    "x-not-after-today",
    "x-same-project",
    "x-not-before-said",
}
SCHEMA_X = {"x-unique-together"}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
CANONICAL_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
# Every pattern of the privacy gate needs a digit (\d: any Unicode digit) or an @, so
# text with neither is clean and is not searched. The generated loop tests ASCII text
# with `in` (about 25 times faster than re.search) and other text with this.
_UNICODE_DIGIT_OR_AT = re.compile(r"[\d@]").search
# ...as long as the gate's patterns are the ones that was checked for: if register/checks/privacy.py
# gains or changes a pattern, every text is searched (exact, slower) until someone checks
# the new pattern also needs a digit or an @ and adds it here.
PRIVACY_PATTERNS_NEEDING_A_DIGIT_OR_AT = {
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    r"(?<![\w+])(?:(?:\+|00)\s?44[\s.-]*(?:\(0\)[\s.-]*)?|\(?0)(?:\d[\s.)-]*){9,10}(?!\d)",
    r"(?<![\w+])(?:\+44[\s.-]*(?:\(0\)[\s.-]*)?|\(?0)(?:\d[\s.)-]*){9,10}(?!\d)",
    r"(?<!\d)(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})(?!\d)",
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
}


def privacy_prefilter_safe() -> bool:
    """True when every pattern register/checks/privacy.py searches with is one known to need a
    digit or an @ (so text with neither can be skipped)."""
    patterns = {v.pattern for v in vars(privacy).values() if isinstance(v, re.Pattern)}
    return bool(patterns) and patterns <= PRIVACY_PATTERNS_NEEDING_A_DIGIT_OR_AT


class Fallback(Exception):
    """The fast path cannot promise frictionless's exact answer here: use the reference."""


def standard_dialect(path: Path) -> None:
    """Raise Fallback unless frictionless would read the file as plain comma-separated CSV.

    Frictionless sniffs the dialect from the first 100 lines (formats/csv/parser.py);
    the same sniff is repeated here so both read the same cells.
    """
    with path.open("rb") as fb:
        head = fb.read(3)
    if head.startswith(b"\xef\xbb\xbf"):
        raise Fallback(f"{path.name} starts with a byte-order mark")
    sample = []
    with path.open(newline="", encoding="utf-8") as f:
        for line in f:
            sample.append(line)
            if len(sample) >= 100:
                break
    try:
        config = csv.Sniffer().sniff("".join(sample), ",\t;|")
    except csv.Error:
        return  # frictionless falls back to the excel dialect: the standard one
    quote = '"' if config.quotechar == "'" else config.quotechar
    if config.delimiter != "," or quote != '"' or config.skipinitialspace or config.escapechar:
        raise Fallback(f"{path.name} is not read as plain comma-separated CSV")


def _rules_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _date_info(text: str) -> tuple[bool, dt.date | None]:
    """(valid for frictionless's default date format, the date register/checks/rules.py sees)."""
    if ISO_DATE(text):
        try:
            d = dt.date.fromisoformat(text)
            return True, d
        except ValueError:
            return False, None
    try:
        dt.datetime.strptime(text, "%Y-%m-%d")
        ok = True
    except ValueError:
        ok = False
    return ok, _rules_date(text)


class Loader:
    """Checks and loads every resource of a package into an open SQLite connection."""

    def __init__(self, package: Package, conn: sqlite3.Connection, progress: bool | None = None):
        self.package = package
        self.conn = conn
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}
        self.dups: dict[str, dict[str, dict]] = {}  # resource -> id -> last row with that id
        self.now = today()
        self.date_cache: dict[str, tuple] = {}
        self.sets: dict[tuple[str, str], set[str]] = {}
        self.progress = progress

    # -- set-up -----------------------------------------------------------------------

    def plan(self, order: list[Resource]) -> None:
        """Refuse up front what the generated checks do not model exactly."""
        for res in order:
            if not res.path.exists():
                raise Fallback(f"{res.descriptor['path']} does not exist")
            if len(res.primary_key) != 1:
                raise Fallback(f"{res.name} has a composite primary key")
            if res.schema.get("missingValues", [""]) != [""]:
                raise Fallback(f"{res.name} has other missing values")
            for f in res.fields:
                if f.type not in SUPPORTED_TYPES or f.descriptor.get("format", "default") != "default":
                    raise Fallback(f"{res.name}.{f.name}: type {f.type} is not modelled")
                if set(f.constraints) - SUPPORTED_CONSTRAINTS:
                    raise Fallback(f"{res.name}.{f.name}: constraint not modelled")
                if f.constraints.get("unique") and f.name not in res.primary_key:
                    raise Fallback(f"{res.name}.{f.name}: unique outside the primary key")
                if f.reference and (f.type != "string" or f.reference[0] == res.name):
                    raise Fallback(f"{res.name}.{f.name}: foreign key not modelled")
                if "missingValues" in f.descriptor:
                    raise Fallback(f"{res.name}.{f.name}: field missing values")
            for fk in res.schema.get("foreignKeys", []):
                fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
                if len(fields) != 1:
                    raise Fallback(f"{res.name}: composite foreign key")
            unknown = {k for k in res.schema if k.startswith("x-")} - SCHEMA_X
            unknown |= {k for f in res.fields for k in f.descriptor if k.startswith("x-")} - FIELD_X
            if unknown:
                raise Fallback(f"{res.name}: {', '.join(sorted(unknown))} not modelled")
            for key in res.schema.get("x-unique-together", []):
                if len(key) != 2:
                    raise Fallback(f"{res.name}: x-unique-together of {len(key)} fields")
            standard_dialect(res.path)

    def lookup_set(self, parent: str, field: str) -> set[str] | None:
        """The referenced values as a set, when the referenced table is small enough."""
        if self.counts.get(parent, LOOKUP_MAX + 1) > LOOKUP_MAX:
            return None
        if (parent, field) not in self.sets:
            self.sets[parent, field] = {
                v
                for (v,) in self.conn.execute(
                    f"SELECT [{field}] FROM [{parent}] WHERE [{field}] <> '' AND instr([{field}], char(0)) = 0"
                )
            }
        return self.sets[parent, field]

    # -- problems, worded as register/checks/validate.py, rules.py and privacy.py word them ---

    def _schema_problem_factory(self, res: Resource, file: str):
        package = self.package
        fields = res.fields
        allowed = [f.allowed(package) for f in fields]
        messages = []
        for f in fields:
            c = f.constraints
            messages.append(
                {
                    0: f"{f.title} is required",
                    1: f'{f.title} breaks the rule "maxLength" is "{c.get("maxLength")}"',
                    2: f"{f.title} is not in the right form",
                    3: f"not a valid {f.type}",
                    4: f'{f.title} breaks the rule "minimum" is "{c.get("minimum")}"',
                }
            )
        problems = self.problems

        def P(rn, i, value, kind):
            problems.append(Problem(file, rn, fields[i].name, value, messages[i][kind], allowed[i]))

        def FKP(rn, i, value):
            f = fields[i]
            ref = f.reference
            what = "code" if package.is_codelist(ref[0]) else "row"
            problems.append(Problem(file, rn, f.name, value, f"{value!r} is not a {what} in {ref[0]}", allowed[i]))

        list_codes = {f.list_of: set(package.codes(f.list_of)) for f in fields if f.list_of}

        def LISTP(rn, i, value, valid_lists):
            f = fields[i]
            codes = list_codes[f.list_of]
            bad = False
            for code in value.split(";"):
                if code and code not in codes:
                    bad = True
                    problems.append(
                        Problem(file, rn, f.name, code, f"{code!r} is not a code in {f.list_of}", allowed[i])
                    )
            if not bad and len(valid_lists) < 100_000:
                valid_lists.add(value)

        def REQWHEN(rn, i, value, other_value):
            f = fields[i]
            cond = f.descriptor["x-required-when"]
            problems.append(
                Problem(
                    file,
                    rn,
                    f.name,
                    value,
                    f"{f.title} is required when {cond['field']} is {other_value}",
                    f.description,
                )
            )

        def NOTBEFORE(rn, i, value, other_value):
            f = fields[i]
            other = f.descriptor["x-not-before"]
            problems.append(
                Problem(
                    file,
                    rn,
                    f.name,
                    value,
                    f"{f.title} is earlier than {res.field(other).title} ({other_value})",
                    f"a date on or after {other}",
                )
            )

        now = self.now

        def FUTURE(rn, i, value):
            f = fields[i]
            problems.append(
                Problem(
                    file,
                    rn,
                    f.name,
                    value,
                    f"{f.title} is in the future",
                    f"a date on or before today ({now.isoformat()})",
                )
            )

        checked = privacy.checked_fields(res)

        def PRIV(rn, values):
            problems.extend(privacy.check_rows(res, [(rn, dict(zip((f.name for f in checked), values)))], file))

        return {
            "P": P,
            "FKP": FKP,
            "LISTP": LISTP,
            "REQWHEN": REQWHEN,
            "NOTBEFORE": NOTBEFORE,
            "FUTURE": FUTURE,
            "PRIV": PRIV,
        }

    # -- the generated row checker --------------------------------------------------

    def compile(self, res: Resource, file: str):
        """Straight-line Python for this resource's checks: one loop, no per-cell calls.

        Every name the loop uses is a local (a default argument), and a valid cell costs
        one truth test plus its own checks. The cell value inserted is the CSV text (an
        int for integers, 1/0 for booleans); an empty optional cell is NULL and an empty
        required one is '' (the row is invalid then, and the database is thrown away).
        """
        ns: dict = {
            "Fallback": Fallback,
            "FILE": file,
            "PREU": _UNICODE_DIGIT_OR_AT,
            "DC": self.date_cache,
            "DATE_INFO": self._cached_date_info,
            "NOW": self.now,
        }
        ns.update(self._schema_problem_factory(res, file))
        fields = res.fields
        n = len(fields)
        names = [f.name for f in fields]
        index = {name: i for i, name in enumerate(names)}
        L = []  # lines of the loop body, indented for inside `for`
        emit = L.append
        date_fields = {i for i, f in enumerate(fields) if f.type == "date"}
        for f in fields:
            d = f.descriptor
            if d.get("x-not-before"):
                date_fields.add(index[f.name])
                date_fields.add(index[d["x-not-before"]])
            if d.get("x-not-after-today"):
                date_fields.add(index[f.name])
        deferred_fks = []
        values = []
        for i, f in enumerate(fields):
            c = f"c{i}"
            req = f.required
            cons = f.constraints
            if f.type == "string":
                if req:
                    emit(f"if not {c}: P(rn, {i}, '', 0)")
                if "maxLength" in cons:
                    emit(f"if len({c}) > {int(cons['maxLength'])}: P(rn, {i}, {c}, 1)")
                if "pattern" in cons:
                    ns[f"PAT{i}"] = re.compile("^{0}$".format(cons["pattern"])).match
                    emit(f"if {c} and PAT{i}({c}) is None: P(rn, {i}, {c}, 2)")
                values.append(c if req else f"({c} or None)")
                if i in date_fields:
                    emit(f"d{i} = (DC.get({c}) or DATE_INFO({c}))[1] if {c} else None")
            else:
                v = f"v{i}"
                values.append(v)
                emit(f"if {c}:")
                if f.type == "integer":
                    emit("    try:")
                    emit(f"        {v} = int({c}.strip())")
                    emit("    except ValueError:")
                    emit(f"        P(rn, {i}, {c}, 3)")
                    emit(f"        {v} = {c}")
                    if "minimum" in cons:
                        ns[f"MIN{i}"] = int(cons["minimum"])
                        emit("    else:")
                        emit(f"        if {v} < MIN{i}: P(rn, {i}, {c}, 4)")
                elif f.type == "boolean":
                    mapping = {}
                    for t in f.true_values:
                        mapping[t] = 1
                    for t in f.false_values:
                        mapping[t] = 0
                    ns[f"B{i}"] = mapping
                    emit(f"    {v} = B{i}.get({c})")
                    emit(f"    if {v} is None:")
                    emit(f"        P(rn, {i}, {c}, 3)")
                    emit(f"        {v} = {c}")
                elif f.type == "date":
                    emit(f"    {v} = {c}")
                    emit(f"    t = DC.get({c}) or DATE_INFO({c})")
                    emit(f"    if not t[0]: P(rn, {i}, {c}, 3)")
                    if i in date_fields:
                        emit(f"    d{i} = t[1]")
                emit("else:")
                if req:
                    emit(f"    P(rn, {i}, '', 0)")
                emit(f"    {v} = {repr('') if req else 'None'}")
                if i in date_fields:
                    emit(f"    d{i} = None")
            if f.reference:
                parent, pfield = f.reference
                keys = self.lookup_set(parent, pfield)
                if keys is None:
                    deferred_fks.append((f, parent, pfield))
                else:
                    ns[f"FK{i}"] = keys
                    emit(f"if {c} and {c} not in FK{i}: FKP(rn, {i}, {c})")
            if f.list_of:
                # A code holding ";" can never match one item of a list: leave it out, so
                # such a value is split and checked item by item, as rules.py does.
                ns[f"LS{i}"] = {code for code in self.package.codes(f.list_of) if ";" not in code}
                ns[f"LSOK{i}"] = set()  # lists already found valid
                emit(f"if {c} and {c} not in LS{i} and {c} not in LSOK{i}: LISTP(rn, {i}, {c}, LSOK{i})")
        # Rules of register/checks/rules.py that look only at the row itself.
        for i, f in enumerate(fields):
            d = f.descriptor
            cond = d.get("x-required-when")
            if cond:
                j = index[cond["field"]]
                ns[f"RW{i}"] = frozenset(cond["in"])
                emit(f"if c{j} in RW{i} and not c{i}.strip(): REQWHEN(rn, {i}, c{i}, c{j})")
            if d.get("x-not-before"):
                j = index[d["x-not-before"]]
                emit(f"if d{i} is not None and d{j} is not None and d{i} < d{j}: NOTBEFORE(rn, {i}, c{i}, c{j})")
            if d.get("x-not-after-today"):
                emit(f"if d{i} is not None and d{i} > NOW: FUTURE(rn, {i}, c{i})")
        checked = [index[f.name] for f in privacy.checked_fields(res)]
        if checked:
            cells = ", ".join(f"c{i}" for i in checked)
            emit(f"j = {'c' + str(checked[0]) if len(checked) == 1 else repr(chr(0)) + '.join((' + cells + ',))'}")
            if privacy_prefilter_safe():
                digits = " or ".join(f"'{ch}' in j" for ch in "@0123456789")
                emit(f"if (({digits}) if j.isascii() else PREU(j) is not None): PRIV(rn, ({cells},))")
            else:
                emit(f"if j: PRIV(rn, ({cells},))")
        emit(f"add((rn - 1, {', '.join(values)}))")
        emit("if len(batch) >= BATCH:")
        emit("    flush(batch)")
        emit("    batch = []")
        emit("    add = batch.append")
        unpack = ", ".join(f"c{i}" for i in range(n)) + ("," if n == 1 else "")
        free = [name for name in ns if name not in ("Fallback", "FILE") and not name.startswith("__")]
        src = (
            [
                f"def run(reader, flush, BATCH, {', '.join(f'{k}={k}' for k in free)}):",
                "    batch = []",
                "    add = batch.append",
                "    rn = 1",
                "    for r in reader:",
                "        rn += 1",
                f"        if len(r) != {n}:",
                "            raise Fallback(f'{FILE}, row {rn}: {len(r)} cells')",
                f"        {unpack} = r",
            ]
            + ["        " + line for line in L]
            + [
                "    if batch:",
                "        flush(batch)",
                "    return rn - 1",
            ]
        )
        self.source = "\n".join(src)
        exec(compile(self.source, f"<fastcheck {res.name}>", "exec"), ns)
        return ns["run"], deferred_fks

    def _cached_date_info(self, text: str):
        info = _date_info(text)
        if len(self.date_cache) < 100_000:
            self.date_cache[text] = info
        return info

    # -- loading ----------------------------------------------------------------------

    def _flusher(self, res: Resource, file: str, bar: Progress, stream):
        """executemany in batches; a duplicate primary key is reported and kept aside."""
        conn = self.conn
        names = res.field_names
        pk = res.primary_key[0]
        pk_pos = 1 + names.index(pk)
        f_pk = res.field(pk)
        allowed = f_pk.allowed(self.package)
        sql = f"INSERT INTO [{res.name}] (rowid, {', '.join(f'[{n}]' for n in names)}) VALUES (?{', ?' * len(names)})"
        last_seen: dict[str, int] = {}
        dups = self.dups.setdefault(res.name, {})
        problems = self.problems
        rows = [0]

        def flush(batch):
            start = 0
            while start < len(batch):
                before = conn.total_changes
                try:
                    conn.executemany(sql, batch if start == 0 else batch[start:])
                    break
                except sqlite3.IntegrityError:
                    done = conn.total_changes - before
                    row = batch[start + done]
                    key = row[pk_pos]
                    rn = row[0] + 1
                    if key not in (None, ""):
                        other = last_seen.get(key)
                        if other is None:
                            found = conn.execute(f"SELECT rowid FROM [{res.name}] WHERE [{pk}] = ?", (key,)).fetchone()
                            other = found[0] + 1
                        problems.append(
                            Problem(
                                file,
                                rn,
                                pk,
                                key,
                                f"{f_pk.title} must be unique, and row {other} already has this value",
                                allowed,
                            )
                        )
                    last_seen[key] = rn
                    dups[key] = dict(zip(names, row[1:]))
                    # Kept under another key so that the cross-row checks still see it.
                    conn.execute(sql, row[:pk_pos] + (f"{key}\x00{rn}",) + row[pk_pos + 1 :])
                    start += done + 1
            rows[0] += len(batch)
            bar.update(stream.tell() // 1_000_000, " MB")
            if len(problems) > LIMIT_ERRORS:
                raise Fallback("too many problems to report exactly")

        return flush

    def load(self, res: Resource) -> int:
        file = res.descriptor["path"]
        run, deferred = self.compile(res, file)
        bar = Progress(f"Checking and loading {res.name}", res.path.stat().st_size // 1_000_000, self.progress)
        raw = res.path.open("rb")
        try:
            with io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                reader = csv.reader(text)
                try:
                    header = next(reader)
                except StopIteration:
                    raise Fallback(f"{file} is empty")
                if header != res.field_names:
                    raise Fallback(f"{file}: the header does not match the schema")
                n = run(reader, self._flusher(res, file, bar, raw), BATCH)
        except (UnicodeDecodeError, csv.Error) as e:
            raise Fallback(f"{file}: {e}")
        bar.done(f"{n:,} rows")
        self.counts[res.name] = n
        self.deferred += [(res, file, *d) for d in deferred]
        return n

    # -- checks across rows, after the load -------------------------------------------

    def _dup_table(self, name: str) -> str:
        table = f"temp._dups_{name}"
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY)")
        self.conn.execute(f"DELETE FROM {table}")
        self.conn.executemany(f"INSERT INTO {table} VALUES (?)", [(k,) for k in self.dups.get(name, {})])
        return table

    def cross_checks(self) -> None:
        conn, package, problems = self.conn, self.package, self.problems
        # Foreign keys into tables too big for a set.
        for res, file, f, parent, pfield in self.deferred:
            allowed = f.allowed(package)
            what = "code" if package.is_codelist(parent) else "row"
            for rowid, value in conn.execute(
                f"SELECT c.rowid, c.[{f.name}] FROM [{res.name}] c WHERE c.[{f.name}] <> '' "
                f"AND NOT EXISTS (SELECT 1 FROM [{parent}] p WHERE p.[{pfield}] = c.[{f.name}])"
            ):
                problems.append(
                    Problem(file, rowid + 1, f.name, value, f"{value!r} is not a {what} in {parent}", allowed)
                )
        for res in self.order:
            file = res.descriptor["path"]
            for f in res.fields:
                if f.descriptor.get("x-same-project"):
                    self._same_project(res, file, f)
                if f.descriptor.get("x-not-before-said"):
                    self._not_before_said(res, file, f)
            unknown = {k for k in res.schema if k.startswith("x-")} - SCHEMA_X
            unknown |= {k for f in res.fields for k in f.descriptor if k.startswith("x-")} - FIELD_X
            if unknown:
                raise Fallback(f"{res.name}: {', '.join(sorted(unknown))} not modelled")
            for key in res.schema.get("x-unique-together", []):
                self._unique_together(res, file, key)

    def _same_project(self, res: Resource, file: str, f: Field) -> None:
        """rules.py: the activity (looked up in coproduction_log) belongs to the row's project."""
        if "coproduction_log" not in self.counts:
            return
        dup = self._dup_table("coproduction_log")
        dups = self.dups.get("coproduction_log", {})
        rows = list(
            self.conn.execute(
                f"SELECT y.rowid, y.[{f.name}], l.project_id, y.project_id FROM [{res.name}] y "
                f"JOIN coproduction_log l ON l.id = y.[{f.name}] WHERE y.[{f.name}] <> '' "
                f"AND y.[{f.name}] NOT IN (SELECT id FROM {dup}) AND l.project_id IS NOT y.project_id"
            )
        )
        for rowid, value, own in self.conn.execute(
            f"SELECT y.rowid, y.[{f.name}], y.project_id FROM [{res.name}] y "
            f"WHERE y.[{f.name}] IN (SELECT id FROM {dup})"
        ):
            theirs = dups[value].get("project_id")
            if theirs != own:
                rows.append((rowid, value, theirs, own))
        for rowid, value, theirs, own in rows:
            self.problems.append(
                Problem(
                    file,
                    rowid + 1,
                    f.name,
                    value,
                    f"activity {value} belongs to project {_raw(theirs)}, not to {_raw(own)}",
                    "an activity of the same project",
                )
            )

    def _not_before_said(self, res: Resource, file: str, f: Field) -> None:
        """rules.py: an update is not dated before its "You said" item was said."""
        if "you_said_we_did" not in self.counts:
            return
        dup = self._dup_table("you_said_we_did")
        dups = self.dups.get("you_said_we_did", {})
        candidates = list(
            self.conn.execute(
                f"SELECT u.rowid, u.[{f.name}], y.said_date FROM [{res.name}] u "
                f"JOIN you_said_we_did y ON y.id = IFNULL(u.you_said_id, '') "
                f"WHERE IFNULL(u.you_said_id, '') NOT IN (SELECT id FROM {dup}) AND (u.[{f.name}] < y.said_date "
                f"OR NOT IFNULL(u.[{f.name}], '') GLOB '{CANONICAL_GLOB}' OR NOT IFNULL(y.said_date, '') GLOB '{CANONICAL_GLOB}')"
            )
        )
        for rowid, value, key in self.conn.execute(
            f"SELECT u.rowid, u.[{f.name}], IFNULL(u.you_said_id, '') FROM [{res.name}] u "
            f"WHERE IFNULL(u.you_said_id, '') IN (SELECT id FROM {dup})"
        ):
            candidates.append((rowid, value, dups[key].get("said_date")))
        for rowid, value, said_text in candidates:
            value = _raw(value)
            mine = _rules_date(value)
            said = _rules_date(_raw(said_text))
            if mine and said and mine < said:
                self.problems.append(
                    Problem(
                        file,
                        rowid + 1,
                        f.name,
                        value,
                        f"the update is dated before the item was said ({_raw(said_text)})",
                        "a date on or after the date the item was said",
                    )
                )

    def _unique_together(self, res: Resource, file: str, key: list[str]) -> None:
        a, b = key
        for rowid, va, vb, first in self.conn.execute(
            f"SELECT t.rowid, t.[{a}], t.[{b}], g.first FROM [{res.name}] t JOIN ("
            f"  SELECT [{a}] AS a, [{b}] AS b, MIN(rowid) AS first FROM [{res.name}] "
            f"  WHERE [{a}] <> '' AND [{b}] <> '' GROUP BY [{a}], [{b}] HAVING COUNT(*) > 1"
            f") g ON t.[{a}] = g.a AND t.[{b}] = g.b WHERE t.rowid <> g.first"
        ):
            self.problems.append(
                Problem(
                    file,
                    rowid + 1,
                    ",".join(key),
                    f"{va},{vb}",
                    f"the same {' and '.join(key)} as row {first + 1}",
                    f"one row per {' and '.join(key)}",
                )
            )

    # -- the whole package ------------------------------------------------------------

    def run(self, create_table, side: SideLoad | None = None) -> list[Problem]:
        """Check and load every resource (those `side` loads in another process are
        copied in from it), then the checks across rows."""

        self.order = build_order(self.package)
        self.plan(self.order)
        self.deferred = []
        elsewhere = set(side.names) if side else set()
        for res in self.order:
            if res.name in elsewhere:
                continue
            mark = (time.perf_counter(), time.process_time())
            create_table(res)
            self.load(res)
            TIMINGS[f"load {res.name}"] = (time.perf_counter() - mark[0], time.process_time() - mark[1])
        if side:
            mark = (time.perf_counter(), time.process_time())
            self.adopt(side, create_table)
            TIMINGS["tables from the second process"] = (time.perf_counter() - mark[0], time.process_time() - mark[1])
        mark = (time.perf_counter(), time.process_time())
        self.cross_checks()
        TIMINGS["checks across rows"] = (time.perf_counter() - mark[0], time.process_time() - mark[1])
        return sorted(self.problems, key=lambda p: (p.file, p.row or 0, p.field or "", p.message, p.value or ""))

    # -- a second process's share -------------------------------------------------------

    def load_share(self, names: list[str], preload: list[str], create_table) -> dict:
        """In the second process: check and load `names` (after `preload`, whose keys they
        look up; its problems are the first process's to report). Returns what the first
        process needs to carry on as if it had loaded them itself."""

        wanted = set(names) | set(preload)
        self.order = [r for r in build_order(self.package) if r.name in wanted]
        self.plan(self.order)
        self.deferred = []
        for res in self.order:
            before = len(self.problems)
            create_table(res)
            self.load(res)
            if res.name not in names:
                del self.problems[before:]
        return {
            "names": [r.name for r in self.order if r.name in names],
            "problems": [p.__dict__ for p in self.problems],
            "dups": {n: self.dups.get(n, {}) for n in names},
            "counts": {n: self.counts[n] for n in names},
            "deferred": [
                [res.name, f.name, parent, pfield] for res, _, f, parent, pfield in self.deferred if res.name in names
            ],
        }

    def adopt(self, side: SideLoad, create_table) -> None:
        """Copy in the tables the second process checked and loaded, with its findings."""
        result = side.result()
        if "fallback" in result:
            raise Fallback(result["fallback"])
        conn = self.conn
        conn.execute("COMMIT")  # SQLite attaches a database only outside a transaction
        conn.execute("ATTACH DATABASE ? AS side_tables", (str(side.tables_path),))
        conn.execute("BEGIN")
        for name in result["names"]:
            res = self.package.resource(name)
            create_table(res)
            cols = ", ".join(f"[{n}]" for n in res.field_names)
            conn.execute(f"INSERT INTO main.[{name}] (rowid, {cols}) SELECT rowid, {cols} FROM side_tables.[{name}]")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE side_tables")
        conn.execute("BEGIN")
        self.problems += [Problem(**p) for p in result["problems"]]
        for name, dups in result["dups"].items():
            self.dups[name] = dups
        self.counts.update(result["counts"])
        for name, field, parent, pfield in result["deferred"]:
            res = self.package.resource(name)
            self.deferred.append((res, res.descriptor["path"], res.field(field), parent, pfield))


class SideLoad:
    """Resources a second process checks and loads into its own file (build.SearchSide)."""

    def __init__(self, names: list[str], tables_path: Path, result_path: Path, process):
        self.names, self.tables_path, self.result_path, self.process = names, tables_path, result_path, process

    def result(self) -> dict:
        import json

        while not self.result_path.exists():
            if self.process.poll() is not None and not self.result_path.exists():
                return {"fallback": "the second process stopped before it finished checking"}
            time.sleep(0.02)
        return json.loads(self.result_path.read_text("utf-8"))


def side_share(package: Package, min_bytes: int, preload_max_bytes: int = 50_000_000) -> tuple[list[str], list[str]]:
    """(resources a second process can check and load, resources it loads first for keys).

    Big resources other than the biggest, that no resource outside the share refers to
    (so the first process never needs their keys while it loads), plus the small tables
    they refer to. Which tables are shared changes only speed: every check is exact
    both ways (tests/test_generate.py builds a register both ways).
    """

    size = {r.name: (r.path.stat().st_size if r.path.exists() else 0) for r in package.resources}
    biggest = max(size, key=size.get)
    share = {
        r.name
        for r in package.resources
        if not package.is_codelist(r.name) and size[r.name] >= min_bytes and r.name != biggest
    }
    changed = True
    while changed:
        changed = False
        for r in package.resources:
            if r.name in share:
                continue
            for f in r.fields:
                if f.reference and f.reference[0] in share:
                    share.discard(f.reference[0])
                    changed = True
    preload: set[str] = set()
    stack = [r for r in package.resources if r.name in share]
    while stack:
        r = stack.pop()
        for f in r.fields:
            parent = f.reference[0] if f.reference else None
            if parent and parent not in share and parent not in preload and size[parent] <= preload_max_bytes:
                preload.add(parent)
                stack.append(package.resource(parent))
    order = [r.name for r in build_order(package)]
    return [n for n in order if n in share], [n for n in order if n in preload]


def _raw(value) -> str:
    """A stored cell as the CSV had it (the build stores typed values; rules compare text)."""
    return "" if value is None else str(value)


def check_and_load(
    package: Package, conn: sqlite3.Connection, progress: bool | None = None, side: SideLoad | None = None
) -> tuple[list[Problem], dict]:
    """Create and fill every table in `conn`, returning (problems, rows per resource).

    `side`: resources a second process is checking and loading at the same time.
    Raises Fallback when only the reference can give the exact answer; the connection
    then holds a partial load and should be thrown away.
    """

    loader = Loader(package, conn, progress)
    problems = loader.run(lambda res: create_table(conn, res), side)
    return problems, loader.counts


def check_package(package: Package, progress: bool | None = None) -> list[Problem]:
    """All problems of the package (as validate.validate_reference finds them), using a
    scratch database that is deleted afterwards."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="register-check-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "check.db", isolation_level=None)
        try:
            tune(conn)
            conn.execute("BEGIN")
            problems, _ = check_and_load(package, conn, progress)
            conn.execute("ROLLBACK")
            return problems
        finally:
            conn.close()


def tune(conn: sqlite3.Connection) -> None:
    """Settings for a bulk load into a new file nobody else reads until it is renamed.

    16 KB pages (SQLite's default is 4 KB): a third less time to insert a million rows
    and to index them, measured; fewer, fuller pages suit a read-only register.
    """
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA threads = 2")
