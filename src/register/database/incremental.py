"""After `make append`: bring the built database up to date without a full build.

A full build of a national register takes about a minute; an append adds a few rows.
When build/register.db was built from exactly the files there were before the append
(every CSV's stamp as the build recorded it, or grown by appends only, as
build/appended.json records: register/database/known_rows.py) and from the same schemas,
views and build code (build_info.other_inputs), a copy of it is brought up to date
instead and renamed into place like a full build:

- the new rows, checked and typed by the row checker the build loads with, at the rowids
  a full build gives them (row i of a CSV is rowid i);
- their links (build.fill_link_table) and full-text entries, their due dates;
- the stored views and facet counts that read a table that changed (found by asking
  SQLite which tables each view's query reads), worked out again from their own
  definitions in views.sql, or added to from the new rows alone where views.sql says
  how (register/database/redo.py); the others are left as they are;
- the build record (inputs hash, stamps, highest identifiers), the planner statistics,
  metadata.json and inspect.json, as the full build writes them.

It works in write-ahead-log mode and records the pages it wrote
(register/database/page_record.py): the next update makes its copy from the file this
one replaces by copying those pages, and only their chunks are hashed again.

tests/integration/test_incremental.py requires the result to hold the same rows as a
full build. Whenever a condition does not hold, the caller runs the full build and says
why in one line. This runs under the register's write lock, like the build.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from register import settings
from register.checks.codegen import RowChecker, check_rows
from register.checks.problems import Problem
from register.checks.supported import Fallback
from register.database import build_info, known_rows, page_record, sortable, spare
from register.database.appended import Appended
from register.database.build import (
    DB_NAME,
    _in_background,
    fill_link_table,
    inputs_digest,
    put_in_place,
    write_inspect,
)
from register.database.deadlines import TABLE as DUE_DATES
from register.database.deadlines import write_due_dates
from register.database.planner_stats import analyse
from register.database.redo import redo_facet_counts, redo_stored_views
from register.database.search import search_columns
from register.database.views import VIEWS_SQL, looked_up, view_selects
from register.schema import metadata as metadata_mod
from register.schema.ddl import build_order, link_tables, q
from register.schema.package import Package, Resource, today
from register.util.files import CHUNK, chunk_digests

# (wall s, CPU s) per step of the last incremental update in this process, for `make bench`.
LAST_TIMINGS: dict[str, tuple[float, float]] = {}


class NotIncremental(Exception):
    """The database cannot be brought up to date in place: a full build is needed (why)."""


@dataclass
class Change:
    """What happened to the CSVs since the build: resource -> bytes of it the database holds."""

    appended: dict[str, int] = field(default_factory=dict)
    record: dict[str, str] = field(default_factory=dict)


def plan(package: Package, db: Path) -> Change:
    """Which CSVs grew by appends only since db was built; NotIncremental if anything
    else changed (or cannot be known)."""
    if not db.is_file():
        raise NotIncremental("there is no built database yet")
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        try:
            record = dict(conn.execute("SELECT key, value FROM register_build").fetchall())
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise NotIncremental(f"the built database cannot be read ({e})")
    if build_info.OTHER_INPUTS_KEY not in record or known_rows.STAMPS_KEY not in record:
        raise NotIncremental("the built database was made by an older build")
    if json.loads(record[build_info.OTHER_INPUTS_KEY]) != build_info.other_inputs(package):
        raise NotIncremental(
            "the schemas, the descriptor, metadata.yml or the build's code changed since the last build"
        )
    index = known_rows.Index.open(package)
    if index is None:
        raise NotIncremental("the built database does not record which files it was built from")
    try:
        change = Change(record=record)
        for res in package.resources:
            built = index.built.get(res.name)
            now = known_rows.stamp(res.path)
            if built is None or now is None:
                raise NotIncremental(f"{res.descriptor['path']} is new, missing, or changed while it was built")
            if now == built:
                continue
            covered = index.covered(res)
            if covered is None:
                raise NotIncremental(f"{res.descriptor['path']} was changed other than by `make append`")
            change.appended[res.name] = covered
    finally:
        index.close()
    if not change.appended:
        raise NotIncremental("no file grew since the last build")
    return change


def new_rows(package: Package, res: Resource, covered: int, first_rowid: int) -> list[tuple]:
    """The rows after the first `covered` bytes of res's CSV, checked and typed by the
    build's row checker: (row number, values...), row number = rowid + 1 as the build has it."""
    with res.path.open("rb") as raw:
        raw.seek(covered)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        rows = [r for r in csv.reader(text) if r]
    problems: list[Problem] = []
    checker = RowChecker(package, res, res.descriptor["path"], problems, lambda parent, field: None, today())
    typed = check_rows(checker, enumerate(rows, first_rowid + 1))
    if problems:  # `make append` checked them: something else wrote these bytes
        raise NotIncremental(f"{res.descriptor['path']} has rows that do not pass the checks ({problems[0]})")
    return typed


def _writer(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # every page stays in the log until the end
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def update(package: Package, out_dir: Path | None = None) -> dict[str, int]:
    """Bring out_dir/register.db up to date with the rows appended to the CSVs since it
    was built; the rows added per resource. Raises NotIncremental when only a full build
    can (nothing is changed then). Call under the register's write lock."""
    if not settings.switch(settings.INCREMENTAL):
        raise NotIncremental("REGISTER_INCREMENTAL=0 asks for a full build")
    out_dir = Path(out_dir) if out_dir else package.root / "build"
    if out_dir.resolve() != (package.root / "build").resolve():
        raise NotIncremental("only the register's own build/ records what was appended")
    final = out_dir / DB_NAME
    LAST_TIMINGS.clear()
    clock = [time.perf_counter(), time.process_time()]

    def step(name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        LAST_TIMINGS[name] = (now[0] - clock[0], now[1] - clock[1])
        clock[:] = now

    stamps_before = known_rows.stamps(package)  # before anything reads the files
    change = plan(package, final)
    digest = _in_background(inputs_digest, package)
    step("plan")
    tmp = out_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    added: dict[str, int] = {}
    conn: sqlite3.Connection | None = None
    served = page_record.stamp(final)  # the file copied, which the spare becomes
    digests = page_record.digests_of(page_record.read(out_dir), final)
    written: set[int] = {1}  # pages that may differ from the served file; 1 holds the header
    try:
        how = spare.fresh_copy(final, tmp)
        step(f"copy the database ({how})")
        # In write-ahead-log mode, which records every page written (page_record.py).
        # Without the planner statistics, as when the build stores its views (it runs
        # ANALYZE last): the same plans give the stored views' rows in the same order.
        conn = _writer(tmp)
        conn.execute("DELETE FROM sqlite_stat1")
        written |= page_record.wal_pages(tmp)
        conn.close()
        conn = _writer(tmp)
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN")
        before: dict[str, int] = {}
        for res in build_order(package):
            if res.name not in change.appended:
                continue
            last = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {q(res.name)}").fetchone()[0]
            try:
                rows = new_rows(package, res, change.appended[res.name], last + 1)
            except (Fallback, UnicodeDecodeError, csv.Error) as e:
                raise NotIncremental(f"the new rows of {res.descriptor['path']} cannot be read here ({e})")
            names = res.field_names
            try:
                conn.executemany(
                    f"INSERT INTO {q(res.name)} (rowid, {', '.join(q(n) for n in names)}) "
                    f"VALUES (? - 1{', ?' * len(names)})",
                    rows,
                )
            except sqlite3.IntegrityError as e:
                raise NotIncremental(f"a new row of {res.descriptor['path']} clashes with the built rows ({e})")
            before[res.name] = last
            added[res.name] = len(rows)
        step("insert the new rows")
        appended = dict(before)  # every table that only grew: {table: its last rowid before}
        for res, f, table in link_tables(package):
            if res.name in before:
                appended[table] = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {q(table)}").fetchone()[0]
                fill_link_table(conn, res, f, table, True, before[res.name])
        for res in package.resources:
            columns = search_columns(package, res)
            if res.name in before and columns:
                fts, cols = q(f"{res.name}_fts"), ", ".join(q(c) for c in columns)
                conn.execute(
                    f"INSERT INTO {fts} (rowid, {cols}) SELECT rowid, {cols} FROM {q(res.name)} WHERE rowid > ?",
                    (before[res.name],),
                )
        step("links and search")
        changed = set(before) | {table for res, _, table in link_tables(package) if res.name in before}
        if "response_rules" in changed:  # every due date may move
            conn.execute(f"DELETE FROM {q(DUE_DATES)}")
            write_due_dates(conn)
            changed.add(DUE_DATES)
        elif "you_said_we_did" in changed:
            appended[DUE_DATES] = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {q(DUE_DATES)}").fetchone()[0]
            write_due_dates(conn, before["you_said_we_did"])
            changed.add(DUE_DATES)
        views_sql = VIEWS_SQL.read_text("utf-8")
        new = Appended(conn, appended, view_selects(views_sql), looked_up(views_sql))
        redone, touched = redo_stored_views(conn, changed, new, step)
        changed |= redone
        redo_facet_counts(conn, package, changed, new, touched)
        step("facet counts")
        numbers = json.loads(change.record[known_rows.ID_MAX_KEY])
        for name, highest in known_rows.id_numbers(conn, package, since=before).items():
            numbers[name] = max(numbers.get(name, 0), highest)
        record = {
            "inputs_sha256": digest.result(),
            known_rows.STAMPS_KEY: json.dumps(known_rows.steady_stamps(stamps_before, package)),
            known_rows.ID_MAX_KEY: json.dumps(numbers),
        }
        conn.executemany("UPDATE register_build SET value = ? WHERE key = ?", [(v, k) for k, v in record.items()])
        conn.execute("COMMIT")
        new.close()  # not in the transaction, which holds it
        step("build record and commit")
        analyse(conn)
        sortable.store(conn, metadata_mod.build_metadata(package))
        written |= page_record.wal_pages(tmp)
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        step("ANALYZE and sorts")
        spare.keep_as_spare(final)  # the next update starts from it
        put_in_place(conn, tmp, final)
        step("fsync and rename")
    finally:
        if conn is not None:
            conn.close()  # closed already when all went well
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
    metadata_mod.write(package, out_dir)
    again = {(page - 1) * page_size // CHUNK for page in written}
    digests = chunk_digests(final, again, digests) if digests else None
    write_inspect(final, out_dir / "inspect.json", digests, since=(served, written, page_size))
    step("metadata and inspect")
    if settings.switch(settings.BUILD_TIMINGS):  # for `make bench`
        print("timings: " + json.dumps(LAST_TIMINGS), file=sys.stderr)
    return added
