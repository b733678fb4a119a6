"""The fast path of `make validate` and `make build`: every check in one pass that also
loads the rows into SQLite.

Why: frictionless reads about 30,000 rows a second, so a million-row register takes
over a minute to validate, and the build then reads every CSV again. This reads each
CSV once with Python's csv module, checks every row with the code generated from its
Table Schema (register/checks/codegen.py, the one row checker the staff commands use
too) and inserts the rows into the database the build is writing. Checks that look
across rows run in SQL after the load (register/checks/across.py): primary keys
through the table's unique index, foreign keys to big tables and the cross-table rules
through joins, x-unique-together through GROUP BY.

Frictionless stays the schema language and the reference: tests/unit/test_fast_validation.py
runs both over generated and mutated registers and requires the same problems. Anything
this path does not model exactly (register/checks/supported.py, a header that does not
match the schema, rows with too few or too many cells, undecodable bytes, or more than
LIMIT_ERRORS problems in one file) raises Fallback, and the caller runs the reference
instead: slower, never different.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
import time
from pathlib import Path

from register.checks import messages
from register.checks.across import AcrossRows
from register.checks.codegen import RowChecker
from register.checks.problems import Problem, order
from register.checks.reference import LIMIT_ERRORS
from register.checks.sideload import SideLoad
from register.checks.supported import Fallback, check_resource, standard_dialect
from register.schema.ddl import build_order, create_table
from register.schema.package import Package, Resource, today
from register.util.progress import Progress

# Referenced tables up to this many rows are checked from a Python set while loading;
# bigger ones (the co-production log at national scale) through a SQL join afterwards.
LOOKUP_MAX = 100_000
BATCH = 5_000
# (wall s, CPU s) per step of the last check in this process, for `make bench`.
TIMINGS: dict[str, tuple[float, float]] = {}


class Loader:
    """Checks and loads every resource of a package into an open SQLite connection."""

    def __init__(self, package: Package, conn: sqlite3.Connection, progress: bool | None = None):
        self.package = package
        self.conn = conn
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}
        self.dups: dict[str, dict[str, dict]] = {}  # resource -> id -> last row with that id
        self.now = today()
        self.sets: dict[tuple[str, str], set[str]] = {}
        self.progress = progress

    def plan(self, order: list[Resource]) -> None:
        """Refuse up front what the generated checks do not model exactly."""
        for res in order:
            if not res.path.exists():
                raise Fallback(f"{res.descriptor['path']} does not exist")
            check_resource(res)
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

    def _flusher(self, res: Resource, file: str, bar: Progress, stream):
        """executemany in batches; a duplicate primary key is reported and kept aside."""
        conn = self.conn
        names = res.field_names
        pk = res.primary_key[0]
        pk_pos = 1 + names.index(pk)
        f_pk = res.field(pk)
        sql = (
            f"INSERT INTO [{res.name}] (rowid, {', '.join(f'[{n}]' for n in names)}) VALUES (? - 1{', ?' * len(names)})"
        )
        last_seen: dict[str, int] = {}
        dups = self.dups.setdefault(res.name, {})
        problems = self.problems

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
                    rn = row[0]
                    if key not in (None, ""):
                        other = last_seen.get(key)
                        if other is None:
                            found = conn.execute(f"SELECT rowid FROM [{res.name}] WHERE [{pk}] = ?", (key,)).fetchone()
                            other = found[0] + 1
                        problems.append(Problem(file, rn, pk, key, messages.not_unique(f_pk, other), messages.UNIQUE))
                    last_seen[key] = rn
                    dups[key] = dict(zip(names, row[1:]))
                    # Kept under another key so that the cross-row checks still see it.
                    conn.execute(sql, row[:pk_pos] + (f"{key}\x00{rn}",) + row[pk_pos + 1 :])
                    start += done + 1
            bar.update(stream.tell() // 1_000_000, " MB")
            # frictionless truncates at LIMIT_ERRORS: the reference says so, this cannot
            if len(problems) > LIMIT_ERRORS:
                raise Fallback("too many problems to report exactly")

        return flush

    def load(self, res: Resource) -> int:
        file = res.descriptor["path"]
        checker = RowChecker(self.package, res, file, self.problems, self.lookup_set, self.now)
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
                n = checker.run(enumerate(reader, 2), self._flusher(res, file, bar, raw), BATCH)
        except (UnicodeDecodeError, csv.Error) as e:
            raise Fallback(f"{file}: {e}") from e
        bar.done(f"{n:,} rows")
        self.counts[res.name] = n
        self.deferred += [(res, file, *d) for d in checker.deferred]
        return n

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
        AcrossRows(self.package, self.conn, self.problems, self.dups, self.counts).run(self.order, self.deferred)
        TIMINGS["checks across rows"] = (time.perf_counter() - mark[0], time.process_time() - mark[1])
        return sorted(self.problems, key=order)

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
    and to index them, measured; fewer, fuller pages suit a read-only register. No
    sorter threads (`PRAGMA threads`): the build's second process has the other core,
    and with two threads the ten indexes of a million-row log took 7.2 s of CPU and 14 s
    of wall on 2 shared cores, against 6.0 s and 12 s with none (median of 4 pairs).
    """
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("PRAGMA cache_size = -32000")
