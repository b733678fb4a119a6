"""The checks that look across rows, run in SQL after the fast checker's load.

Foreign keys into tables too big for a Python set, and the x- rules of
register/checks/rules.py that look at other rows (x-same-project, x-not-before-said,
x-unique-together), worded by register/checks/messages.py exactly as rules.py words
them. Rows whose id was a duplicate are stored under another key by the loader; `dups`
holds the last row seen with each such id, as rules.py's lookups do.
"""

from __future__ import annotations

import sqlite3

from register.checks import messages
from register.checks.cells import CANONICAL_GLOB, rules_date
from register.checks.problems import Problem
from register.checks.rules import unapplied_corrections
from register.schema.package import Field, Package, Resource


def text(value) -> str:
    """A stored cell as the CSV had it (the build stores typed values; rules compare text)."""
    return "" if value is None else str(value)


class AcrossRows:
    def __init__(self, package: Package, conn: sqlite3.Connection, problems: list[Problem], dups, counts):
        self.package, self.conn, self.problems = package, conn, problems
        self.dups: dict[str, dict[str, dict]] = dups  # resource -> id -> last row with that id
        self.counts: dict[str, int] = counts

    def run(self, order: list[Resource], deferred: list[tuple]) -> None:
        for res, file, f, parent, pfield in deferred:
            self.foreign_key(res, file, f, parent, pfield)
        for res in order:
            file = res.descriptor["path"]
            for f in res.fields:
                if f.descriptor.get("x-same-project"):
                    self.same_project(res, file, f)
                if f.descriptor.get("x-not-before-said"):
                    self.not_before_said(res, file, f)
                if f.descriptor.get("x-one-of-with"):
                    self.one_of_with(res, file, f)
                if f.descriptor.get("x-independent-partner"):
                    self.independent_partner(res, file, f)
                if f.descriptor.get("x-not-before-claim"):
                    self.not_before_claim(res, file, f)
                if f.descriptor.get("x-exactly-one-true"):
                    self.exactly_one_true(res, file, f)
                if f.descriptor.get("x-applied"):
                    self.applied(res, file, f)
            for key in res.schema.get("x-unique-together", []):
                self.unique_together(res, file, key)

    def foreign_key(self, res: Resource, file: str, f: Field, parent: str, pfield: str) -> None:
        allowed = f.allowed(self.package)
        is_codelist = self.package.is_codelist(parent)
        for rowid, value in self.conn.execute(
            f"SELECT c.rowid, c.[{f.name}] FROM [{res.name}] c WHERE c.[{f.name}] <> '' "
            f"AND NOT EXISTS (SELECT 1 FROM [{parent}] p WHERE p.[{pfield}] = c.[{f.name}])"
        ):
            message = messages.not_in(value, parent, is_codelist)
            self.problems.append(Problem(file, rowid + 1, f.name, value, message, allowed))

    def _dup_table(self, name: str) -> str:
        table = f"temp._dups_{name}"
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY)")
        self.conn.execute(f"DELETE FROM {table}")
        self.conn.executemany(f"INSERT INTO {table} VALUES (?)", [(k,) for k in self.dups.get(name, {})])
        return table

    def same_project(self, res: Resource, file: str, f: Field) -> None:
        """The activity (looked up in coproduction_log) belongs to the row's project."""
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
            message = messages.other_project(value, text(theirs), text(own))
            self.problems.append(Problem(file, rowid + 1, f.name, value, message, messages.SAME_PROJECT))

    def not_before_said(self, res: Resource, file: str, f: Field) -> None:
        """An update is not dated before its "You said" item was said."""
        if "you_said_we_did" not in self.counts:
            return
        dup = self._dup_table("you_said_we_did")
        dups = self.dups.get("you_said_we_did", {})
        candidates = list(
            self.conn.execute(
                f"SELECT u.rowid, u.[{f.name}], y.said_date FROM [{res.name}] u "
                f"JOIN you_said_we_did y ON y.id = IFNULL(u.you_said_id, '') "
                f"WHERE IFNULL(u.you_said_id, '') NOT IN (SELECT id FROM {dup}) AND (u.[{f.name}] < y.said_date "
                f"OR NOT IFNULL(u.[{f.name}], '') GLOB '{CANONICAL_GLOB}' "
                f"OR NOT IFNULL(y.said_date, '') GLOB '{CANONICAL_GLOB}')"
            )
        )
        for rowid, value, key in self.conn.execute(
            f"SELECT u.rowid, u.[{f.name}], IFNULL(u.you_said_id, '') FROM [{res.name}] u "
            f"WHERE IFNULL(u.you_said_id, '') IN (SELECT id FROM {dup})"
        ):
            candidates.append((rowid, value, dups[key].get("said_date")))
        for rowid, value, said_text in candidates:
            value = text(value)
            mine, said = rules_date(value), rules_date(text(said_text))
            if mine and said and mine < said:
                message = messages.before_said(text(said_text))
                self.problems.append(Problem(file, rowid + 1, f.name, value, message, messages.AFTER_SAID))

    def unique_together(self, res: Resource, file: str, key: list[str]) -> None:
        a, b = key
        for rowid, va, vb, first in self.conn.execute(
            f"SELECT t.rowid, t.[{a}], t.[{b}], g.first FROM [{res.name}] t JOIN ("
            f"  SELECT [{a}] AS a, [{b}] AS b, MIN(rowid) AS first FROM [{res.name}] "
            f"  WHERE [{a}] <> '' AND [{b}] <> '' GROUP BY [{a}], [{b}] HAVING COUNT(*) > 1"
            f") g ON t.[{a}] = g.a AND t.[{b}] = g.b WHERE t.rowid <> g.first"
        ):
            message = messages.same_together(key, first + 1)
            self.problems.append(
                Problem(file, rowid + 1, ",".join(key), f"{va},{vb}", message, messages.one_row_per(key))
            )

    # The rules of partners' verdicts and response rules (issue "Close the loop"). Their
    # tables are small (a verdict per claim at most, a handful of rules), so the rows are
    # read and judged here exactly as register/checks/rules.py judges them.

    def _rows(self, table: str, columns: str) -> list[tuple]:
        return self.conn.execute(f"SELECT rowid, {columns} FROM [{table}] ORDER BY rowid").fetchall()

    def _by_id(self, table: str, key: str, columns: list[str]) -> dict[str, dict]:
        """Every row of a table by its key, the last row seen winning (as rules.py's lookups)."""
        if table not in self.counts:
            return {}
        names = ", ".join(f"[{c}]" for c in columns)
        rows = self._rows(table, f"[{key}], {names}")
        found = {text(r[1]): dict(zip(columns, map(text, r[2:]))) for r in rows}
        for k, row in self.dups.get(table, {}).items():
            found[k] = {c: text(row.get(c)) for c in columns}
        return found

    def one_of_with(self, res: Resource, file: str, f: Field) -> None:
        other = f.descriptor["x-one-of-with"]
        for rowid, mine, theirs in self._rows(res.name, f"[{f.name}], [{other}]"):
            mine, theirs = text(mine), text(theirs)
            if bool(mine.strip()) == bool(theirs.strip()):
                message = messages.one_of(f.name, other, bool(mine.strip()))
                self.problems.append(
                    Problem(file, rowid + 1, f.name, mine, message, messages.one_of_allowed(f.name, other))
                )

    def independent_partner(self, res: Resource, file: str, f: Field) -> None:
        kinds = {
            k: v["independent_partner"] == "1"
            for k, v in self._by_id("organisation_kinds", "code", ["independent_partner"]).items()
        }
        orgs = {k: kinds.get(v["kind"], False) for k, v in self._by_id("organisations", "code", ["kind"]).items()}
        for rowid, value in self._rows(res.name, f"[{f.name}]"):
            value = text(value)
            if value and value in orgs and not orgs[value]:
                self.problems.append(
                    Problem(file, rowid + 1, f.name, value, messages.not_independent(value), messages.INDEPENDENT)
                )

    def _one_by_id(self, table: str, key: str, column: str, value: str) -> str | None:
        """_by_id(table, key, [column]).get(value)[column], for one key: looked up, not
        read whole (reading the million-row log into dicts cost 500 MB and seconds)."""
        if table not in self.counts:
            return None
        if value in self.dups.get(table, {}):
            return text(self.dups[table][value].get(column))
        where = f"([{key}] IS NULL OR [{key}] = '')" if value == "" else f"[{key}] = ?"
        found = self.conn.execute(
            f"SELECT [{column}] FROM [{table}] WHERE {where} ORDER BY rowid DESC LIMIT 1",
            () if value == "" else (value,),
        ).fetchone()
        return None if found is None else text(found[0])

    def not_before_claim(self, res: Resource, file: str, f: Field) -> None:
        for rowid, value, update_id, log_id in self._rows(res.name, f"[{f.name}], update_id, log_id"):
            value = text(value)
            claimed = self._one_by_id("you_said_we_did_updates", "id", "update_date", text(update_id))
            if claimed is None:
                claimed = self._one_by_id("coproduction_log", "id", "activity_date", text(log_id))
            if claimed is None:
                continue
            mine, then = rules_date(value), rules_date(claimed)
            if mine and then and mine < then:
                self.problems.append(
                    Problem(file, rowid + 1, f.name, value, messages.before_claim(claimed), messages.AFTER_CLAIM)
                )

    def exactly_one_true(self, res: Resource, file: str, f: Field) -> None:
        found = [rowid + 1 for rowid, value in self._rows(res.name, f"[{f.name}]") if value == 1]
        for rownum in found[1:] if found else [None]:
            self.problems.append(
                Problem(
                    file, rownum, f.name, "true" if found else "", messages.not_exactly_one(f), messages.EXACTLY_ONE
                )
            )

    def applied(self, res: Resource, file: str, f: Field) -> None:
        """The latest correction of each field is what the record holds (rules.py's x-applied)."""
        columns = ["resource", "record_id", "field", "new_value"]
        rows = [(r[0] + 1, dict(zip(columns, map(text, r[1:])))) for r in self._rows(res.name, ", ".join(columns))]

        def holds(resource: str, record_id: str, field: str, value: str) -> bool | None:
            if resource not in self.counts or resource == res.name:
                return None
            target = self.package.resource(resource)
            if field not in target.field_names:
                return None
            if record_id in self.dups.get(resource, {}):
                return text(self.dups[resource][record_id].get(field)) == value
            found = self.conn.execute(f"SELECT [{field}] FROM [{resource}] WHERE id = ?", (record_id,)).fetchone()
            return None if found is None else found[0] == target.field(field).convert(value)

        for rownum, row in unapplied_corrections(rows, holds):
            self.problems.append(Problem(file, rownum, f.name, row[f.name], messages.not_applied(row), messages.APPLY))
