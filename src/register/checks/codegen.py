"""The one row checker: straight-line Python generated from a Table Schema.

`make validate`, `make build` (which loads as it checks) and the staff commands
(`make append`, `make add`, `make update-status`) all check a row's cells with the
code compiled here: types, required, pattern, maxLength, minimum, maximum, codes,
booleans, dates, the x- rules that look only at the row, and the privacy gate. Problems
are worded by register/checks/messages.py, as the frictionless reference words them.

Why generated code, and not a loop over the fields calling a function per check: a valid
cell then costs one truth test plus its own checks, with every name a local. Measured on
2 shared cores (December 2026) on a generated register of 100,000 co-production
activities (216,734 rows, 60 MB of CSV), every check of `make validate`:

    this checker, rows also loaded into SQLite      2.2 s CPU, 4-8 s wall,   75 MB peak
    frictionless 5.21 reference                     30.4 s CPU, 48-57 s wall, 296 MB peak
    DuckDB 2.0.1, schema checks only (read_csv       1.0 s CPU, 2-3 s wall,  239 MB peak
      all_varchar, one SQL query per constraint)

DuckDB reads and checks types faster, but it cannot be the one checker: its RE2
regular expressions have no look-behind or look-ahead, so the privacy gate would still
run in Python over the text cells; the build would then copy every row from DuckDB into
SQLite; each problem would need its own query to be worded as the reference words it;
and it is a 69 MB dependency (25 MB wheel) with three times the memory. Reproduce
(DuckDB timed with the same checks written as SQL, not kept in the repository):

    python -m register.bench.generate --size 100000 --out /tmp/gen100k
    time python -m register.checks.validate --root /tmp/gen100k
    time env REGISTER_VALIDATOR=reference python -m register.checks.validate --root /tmp/gen100k
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from register.checks import messages, privacy
from register.checks.cells import date_info
from register.checks.problems import Problem
from register.checks.supported import Fallback, check_field, check_rules
from register.schema.package import SQLITE_MAX_INTEGER, SQLITE_MIN_INTEGER, Field, Package, Resource

# Problems of one cell, by kind: the generated code names the kind, messages words it.
REQUIRED, TOO_LONG, WRONG_FORM, NOT_OF_TYPE, TOO_SMALL, TOO_BIG = range(6)
WORDING: dict[int, Callable[[Field, str], str]] = {
    REQUIRED: lambda f, v: messages.required(f),
    TOO_LONG: lambda f, v: messages.too_long(f, len(v)),
    WRONG_FORM: lambda f, v: messages.wrong_form(f),
    NOT_OF_TYPE: messages.not_of_type,
    TOO_SMALL: lambda f, v: messages.too_small(f),
    TOO_BIG: lambda f, v: messages.too_big(f),
}
# Caches of dates and of lists already found valid stop growing at this size.
CACHE_MAX = 100_000


class RowChecker:
    """The compiled checks of one resource's rows (or of some of its fields).

    `keys(parent, field)` gives the values a foreign key may take as a set, or None when
    the referenced table is too big for one (those keys are the caller's to check: the
    build joins in SQL, the staff commands look in datasets/). `run(rows, flush, size)`
    checks (row number, cells) pairs, appending problems to `problems`, and hands
    batches of (row number, typed values...) to `flush`. Raises Fallback for a schema it
    does not model exactly.
    """

    def __init__(
        self,
        package: Package,
        res: Resource,
        file: str,
        problems: list[Problem],
        keys: Callable[[str, str], set[str] | None],
        now: dt.date,
        fields: list[Field] | None = None,
    ):
        self.package, self.res, self.file, self.problems, self.now = package, res, file, problems, now
        self.fields = fields if fields is not None else res.fields
        for f in self.fields:
            check_field(res, f)
        check_rules(res)
        self.date_cache: dict[str, tuple] = {}
        self.deferred: list[tuple[Field, str, str]] = []  # (field, parent, parent field)
        self.run = self._compile(keys)

    # -- the problems the generated code reports ----------------------------------------

    def _reporters(self) -> dict:
        package, res, file, problems, fields, now = (
            self.package,
            self.res,
            self.file,
            self.problems,
            self.fields,
            self.now,
        )
        allowed = [f.allowed(package) for f in fields]

        def P(rn, i, value, kind):
            problems.append(Problem(file, rn, fields[i].name, value, WORDING[kind](fields[i], value), allowed[i]))

        def FKP(rn, i, value):
            parent = fields[i].reference[0]
            message = messages.not_in(value, parent, package.is_codelist(parent))
            problems.append(Problem(file, rn, fields[i].name, value, message, allowed[i]))

        list_codes = {f.list_of: set(package.codes(f.list_of)) for f in fields if f.list_of}

        def LISTP(rn, i, value, valid_lists):
            f = fields[i]
            bad = [code for code in value.split(";") if code and code not in list_codes[f.list_of]]
            for code in bad:
                problems.append(Problem(file, rn, f.name, code, messages.not_a_code(code, f.list_of), allowed[i]))
            if not bad and len(valid_lists) < CACHE_MAX:
                valid_lists.add(value)

        def REQWHEN(rn, i, value, other_value):
            f = fields[i]
            message = messages.required_when(f, f.descriptor["x-required-when"]["field"], other_value)
            problems.append(Problem(file, rn, f.name, value, message, f.description))

        def NOTBEFORE(rn, i, value, other_value):
            f = fields[i]
            other = f.descriptor["x-not-before"]
            message = messages.earlier_than(f, res.field(other), other_value)
            problems.append(Problem(file, rn, f.name, value, message, messages.on_or_after(res.field(other))))

        def FUTURE(rn, i, value):
            f = fields[i]
            allowed_dates = messages.on_or_before_today(now.isoformat())
            problems.append(Problem(file, rn, f.name, value, messages.in_future(f), allowed_dates))

        checked_fields = [f for f in privacy.checked_fields(res) if f in fields]
        checked = [f.name for f in checked_fields]

        def PRIV(rn, values):
            problems.extend(privacy.check_rows(res, [(rn, dict(zip(checked, values)))], file, checked_fields))

        return {
            "P": P,
            "FKP": FKP,
            "LISTP": LISTP,
            "REQWHEN": REQWHEN,
            "NOTBEFORE": NOTBEFORE,
            "FUTURE": FUTURE,
            "PRIV": PRIV,
        }

    def _date_info(self, text: str):
        info = date_info(text)
        if len(self.date_cache) < CACHE_MAX:
            self.date_cache[text] = info
        return info

    # -- the generated loop ---------------------------------------------------------------

    def _cell_lines(self, i: int, f: Field, ns: dict, dated: set[int]) -> tuple[list[str], str]:
        """(lines checking cell c<i>, the expression of the value to insert)."""
        c, v, cons, req = f"c{i}", f"v{i}", f.constraints, f.required
        L: list[str] = []
        if f.type == "string":
            if req:
                L.append(f"if not {c}: P(rn, {i}, '', {REQUIRED})")
            if "maxLength" in cons:
                L.append(f"if len({c}) > {int(cons['maxLength'])}: P(rn, {i}, {c}, {TOO_LONG})")
            if "pattern" in cons:
                ns[f"PAT{i}"] = re.compile("^{0}$".format(cons["pattern"])).match
                L.append(f"if {c} and PAT{i}({c}) is None: P(rn, {i}, {c}, {WRONG_FORM})")
            if i in dated:
                L.append(f"d{i} = (DC.get({c}) or DATE_INFO({c}))[1] if {c} else None")
            return L, (c if req else f"({c} or None)")
        L.append(f"if {c}:")
        if f.type == "integer":
            # As cells.whole_number reads it, inline. A refused value is kept as its text,
            # so SQLite is never handed a number it cannot hold (the rows are thrown away).
            L += ["    try:", f"        {v} = int({c}.strip())", "    except ValueError:"]
            L += [f"        P(rn, {i}, {c}, {NOT_OF_TYPE})", f"        {v} = {c}"]
            tests = []
            if "minimum" in cons:
                ns[f"MIN{i}"] = int(cons["minimum"])
                tests.append((f"{v} < MIN{i}", f"P(rn, {i}, {c}, {TOO_SMALL})"))
            if "maximum" in cons:
                ns[f"MAX{i}"] = int(cons["maximum"])
                tests.append((f"{v} > MAX{i}", f"P(rn, {i}, {c}, {TOO_BIG})"))
            else:  # unbounded by its schema: kept as text beyond SQLite's range (Field.convert)
                ns |= {"SQLMIN": SQLITE_MIN_INTEGER, "SQLMAX": SQLITE_MAX_INTEGER}
                tests.append((f"not SQLMIN <= {v} <= SQLMAX", "pass"))
            L.append("    else:")
            for n, (test, action) in enumerate(tests):
                L += [f"        {'elif' if n else 'if'} {test}:", f"            {action}", f"            {v} = {c}"]
        elif f.type == "boolean":
            ns[f"B{i}"] = {t: 1 for t in f.true_values} | {t: 0 for t in f.false_values}
            L += [f"    {v} = B{i}.get({c})", f"    if {v} is None:"]
            L += [f"        P(rn, {i}, {c}, {NOT_OF_TYPE})", f"        {v} = {c}"]
        elif f.type == "date":
            L += [
                f"    {v} = {c}",
                f"    t = DC.get({c}) or DATE_INFO({c})",
                f"    if not t[0]: P(rn, {i}, {c}, {NOT_OF_TYPE})",
            ]
            if i in dated:
                L.append(f"    d{i} = t[1]")
        L.append("else:")
        if req:
            L.append(f"    P(rn, {i}, '', {REQUIRED})")
        L.append(f"    {v} = {repr('') if req else 'None'}")
        if i in dated:
            L.append(f"    d{i} = None")
        return L, v

    def _compile(self, keys):
        ns: dict = {"Fallback": Fallback, "FILE": self.file, "PREU": privacy.DIGIT_OR_AT.search, "NOW": self.now}
        ns |= {"DC": self.date_cache, "DATE_INFO": self._date_info} | self._reporters()
        fields = self.fields
        index = {f.name: i for i, f in enumerate(fields)}
        dated = {i for i, f in enumerate(fields) if f.type == "date"}
        for f in fields:
            other = f.descriptor.get("x-not-before")
            if other in index:
                dated |= {index[f.name], index[other]}
            if f.descriptor.get("x-not-after-today"):
                dated.add(index[f.name])
        L: list[str] = []  # lines of the loop body
        values = []
        for i, f in enumerate(fields):
            lines, value = self._cell_lines(i, f, ns, dated)
            L += lines
            values.append(value)
            if f.reference:
                parent, pfield = f.reference
                found = keys(parent, pfield)
                if found is None:
                    self.deferred.append((f, parent, pfield))
                else:
                    ns[f"FK{i}"] = found
                    L.append(f"if c{i} and c{i} not in FK{i}: FKP(rn, {i}, c{i})")
            if f.list_of:
                # A code holding ";" can never match one item of a list: leave it out, so
                # such a value is split and checked item by item, as rules.py does.
                ns[f"LS{i}"] = {code for code in self.package.codes(f.list_of) if ";" not in code}
                ns[f"LSOK{i}"] = set()  # lists already found valid
                L.append(f"if c{i} and c{i} not in LS{i} and c{i} not in LSOK{i}: LISTP(rn, {i}, c{i}, LSOK{i})")
        L += self._rule_lines(index, ns)
        L += self._privacy_lines(index)
        L += [f"add((rn, {', '.join(values)}))", "if len(batch) >= BATCH:", "    flush(batch)", "    batch = []"]
        L.append("    add = batch.append")
        n = len(fields)
        unpack = ", ".join(f"c{i}" for i in range(n)) + ("," if n == 1 else "")
        free = [name for name in ns if name not in ("Fallback", "FILE") and not name.startswith("__")]
        head = [
            f"def run(rows, flush, BATCH, {', '.join(f'{k}={k}' for k in free)}):",
            "    batch = []",
            "    add = batch.append",
            "    count = 0",
            "    for rn, r in rows:",
            "        count += 1",
            f"        if len(r) != {n}:",
            "            raise Fallback(f'{FILE}, row {rn}: {len(r)} cells')",
            f"        {unpack} = r",
        ]
        tail = ["    if batch:", "        flush(batch)", "    return count"]
        self.source = "\n".join(head + ["        " + line for line in L] + tail)
        exec(compile(self.source, f"<row checker {self.res.name}>", "exec"), ns)
        return ns["run"]

    def _rule_lines(self, index: dict[str, int], ns: dict) -> list[str]:
        """The rules of register/checks/rules.py that look only at the row itself."""
        L = []
        for i, f in enumerate(self.fields):
            d = f.descriptor
            cond = d.get("x-required-when")
            if cond and cond["field"] in index:
                j = index[cond["field"]]
                ns[f"RW{i}"] = frozenset(cond["in"])
                L.append(f"if c{j} in RW{i} and not c{i}.strip(): REQWHEN(rn, {i}, c{i}, c{j})")
            if d.get("x-not-before") in index:
                j = index[d["x-not-before"]]
                L.append(f"if d{i} is not None and d{j} is not None and d{i} < d{j}: NOTBEFORE(rn, {i}, c{i}, c{j})")
            if d.get("x-not-after-today"):
                L.append(f"if d{i} is not None and d{i} > NOW: FUTURE(rn, {i}, c{i})")
        return L

    def _privacy_lines(self, index: dict[str, int]) -> list[str]:
        """The privacy gate, skipped for text with no digit and no @ when that is safe."""
        checked = [index[f.name] for f in privacy.checked_fields(self.res) if f.name in index]
        if not checked:
            return []
        cells = ", ".join(f"c{i}" for i in checked)
        joined = f"c{checked[0]}" if len(checked) == 1 else f"{chr(0)!r}.join(({cells},))"
        if not privacy.prefilter_safe():
            return [f"j = {joined}", f"if j: PRIV(rn, ({cells},))"]
        ascii_test = " or ".join(f"'{ch}' in j" for ch in privacy.DIGITS_AND_AT)
        return [f"j = {joined}", f"if (({ascii_test}) if j.isascii() else PREU(j) is not None): PRIV(rn, ({cells},))"]


def check_rows(checker: RowChecker, rows: Iterable[tuple[int | None, list[str]]]) -> list[tuple]:
    """Run a checker over rows held in memory; the typed rows (row number first)."""
    out: list[tuple] = []
    checker.run(rows, out.extend, 1_000_000)
    return out
