"""`make build`: validate, then write build/register.db atomically, with its metadata.

The database is written beside the old one and renamed into place, so Datasette never
sees a half-built file and a failed build leaves the previous database intact. Table
types, keys, indexes and full-text search all come from the Table Schemas.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from register import settings
from register.checks import fastcheck
from register.checks.fastcheck import TIMINGS, tune
from register.checks.problems import report
from register.checks.reference import validate_reference
from register.checks.rules import read_rows
from register.checks.validate import against_standard, fast_else_reference
from register.database import build_info, facet_counts, known_rows, older_minor, page_record, side_derived, sortable
from register.database.deadlines import write_due_dates
from register.database.planner_stats import analyse
from register.database.search import SearchSide, enable_fts, indexes_and_search, search_columns, table_pages
from register.database.views import VIEWS_SQL, live_views, materialise
from register.schema import metadata as metadata_mod
from register.schema.ddl import build_order, create_link_table, create_table, link_tables, q
from register.schema.package import ROOT, Package, Resource, not_a_register
from register.util import locking
from register.util.files import chunk_digests, file_stamp, tree_digest
from register.util.guard import plain_errors
from register.util.progress import Progress
from register.util.text import command_parser

# (wall s, CPU s, peak MB so far) per phase of the last build in this process, for
# `make bench` and docs/performance.md.
LAST_TIMINGS: dict[str, tuple[float, float, float]] = {}
DB_NAME = "register.db"
# Also importable from here, where register/publishing/reportkit.py looks for it.
__all__ = ["DB_NAME", "LAST_TIMINGS", "build", "live_views", "write_inspect"]


def inputs_digest(package: Package) -> str:
    """SHA-256 over the descriptor, schemas, data and views: identifies a build's inputs."""
    h = hashlib.sha256()
    paths = {package.descriptor_path, VIEWS_SQL}
    for res in package.resources:
        paths.add(res.path)
        paths.add(package.root / res.schema_path)
    for p in sorted(paths):
        h.update(str(p.relative_to(package.root) if p.is_relative_to(package.root) else p.name).encode())
        h.update(b"\0")
        with p.open("rb") as f:  # in chunks: a national register's CSVs are hundreds of MB
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def load_rows(conn: sqlite3.Connection, res: Resource) -> int:
    # Plain executemany rather than sqlite-utils insert_all: insert_all caps a statement
    # at 999 variables (about 80 rows of these tables), several times slower at scale,
    # and the rows are already validated and typed from the schema.
    names = res.field_names
    sql = f"INSERT INTO [{res.name}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))})"
    fields = res.fields
    rows = ([f.convert(row.get(f.name)) for f in fields] for _, row in read_rows(res.path))
    before = conn.total_changes
    conn.executemany(sql, rows)
    return conn.total_changes - before


def derived_tables(db, package: Package, validated: bool = False) -> None:
    """Split semicolon-separated code lists into link tables, so they facet and join.

    Validated lists match their pattern (codes of [a-z0-9_] between semicolons), so they
    are split in SQL with json_each: 1.9 s for 1.6 million links, measured, against 3 s
    just to insert them from Python. Anything else is split in Python.
    """
    for res, f, table in link_tables(package):
        create_link_table(db, res, f, table)
        fill_link_table(db, res, f, table, validated)
        # By code, then in the table page's order (its key): a facet link (`?code=`) reads
        # its first page from the index instead of sorting the code's rows (195,000 links
        # at a million log rows: 115 ms).
        key = f"{res.name}_id"
        db.execute(f"CREATE INDEX {q(f'idx_{table}_code_{key}')} ON {q(table)} ([code], {q(key)})")


def fill_link_table(db, res: Resource, f, table: str, validated: bool, after_rowid: int = 0) -> None:
    """The links of the rows of res after `after_rowid` (all of them by default), in
    rowid order, so links added later (register/database/incremental.py) follow."""
    pk = res.primary_key[0]
    safe = f.constraints.get("pattern") == "^[a-z0-9_]+(;[a-z0-9_]+)*$"
    if validated and safe:
        db.execute(
            f"INSERT OR IGNORE INTO [{table}] SELECT t.[{pk}], j.value FROM [{res.name}] t, "
            f"json_each('[\"' || replace(t.[{f.name}], ';', '\",\"') || '\"]') j "
            f"WHERE t.[{f.name}] IS NOT NULL AND t.rowid > ? ORDER BY t.rowid",
            (after_rowid,),
        )
    else:
        rows = []
        for row in db.execute(
            f"SELECT [{pk}], [{f.name}] FROM [{res.name}] WHERE [{f.name}] IS NOT NULL AND rowid > ? ORDER BY rowid",
            (after_rowid,),
        ):
            for code in dict.fromkeys(row[1].split(";")):
                if code:
                    rows.append((row[0], code))
        db.executemany(f"INSERT INTO [{table}] VALUES (?, ?)", rows)


def _in_background(func, *args):
    """Run func in a thread (hashing and reading release the GIL); .result() waits."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(func, *args)
    pool.shutdown(wait=False)
    return future


def _open(tmp: Path) -> sqlite3.Connection:
    """A new, tuned database file with a transaction begun."""
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    tune(conn)
    conn.execute("BEGIN")
    return conn


def _refuse(problems) -> None:
    print("Not building: the data is not valid. Fix these first:", file=sys.stderr)
    report(problems, sys.stderr)
    raise SystemExit(1)


def build(
    package: Package, out_dir: Path, validate_first: bool = True, progress: bool | None = None, standard: bool = True
) -> dict:
    """Build the database into out_dir; returns the row counts per table.

    Validation and loading are one pass (register/checks/fastcheck.py): every CSV is read once,
    checked exactly as `make validate` checks it, and inserted into the new database;
    if anything is wrong nothing is renamed into place. Indexes and full-text search
    are built after the bulk load. With validate_first=False (the caller has just
    validated, as `make append` does) the same pass runs and still refuses bad data.
    With standard=False the package is not held to a published version of the standard:
    for a package this code derived itself (the national register's merged package).
    """
    if validate_first and standard:
        refusal, problems, warnings, _ = against_standard(package)
        if refusal:
            print(f"Not building: {refusal}.", file=sys.stderr)
            raise SystemExit(1)
        for w in warnings:
            print(f"Warning: {w}", file=sys.stderr)
        if problems:
            _refuse(problems)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_NAME
    tmp = out_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    bar = Progress("Building", show=progress)
    LAST_TIMINGS.clear()
    clock = [time.perf_counter(), time.process_time()]

    def phase(name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        LAST_TIMINGS[name] = (now[0] - clock[0], now[1] - clock[1], peak)
        clock[:] = now

    file_stamps = known_rows.stamps(package)  # before anything reads the files
    digest = _in_background(inputs_digest, package)
    side = SearchSide(package, out_dir)
    counts = {}
    try:
        opened: list[sqlite3.Connection] = []

        def fast_load():
            opened.append(_open(tmp))
            problems, counts = fastcheck.check_and_load(package, opened[-1], progress, side.share)
            return True, opened[-1], problems, counts

        def reference_load():
            side.close()  # its indexes and tables would not match the reference load
            for earlier in opened:
                earlier.close()
            conn = _open(tmp)
            problems = validate_reference(package) if validate_first else []
            counts = {}
            if not problems:
                for res in build_order(package):
                    create_table(conn, res)
                    counts[res.name] = load_rows(conn, res)
            return False, conn, problems, counts

        fast, conn, problems, counts = fast_else_reference(fast_load, reference_load)
        db = conn
        if problems:
            conn.close()
            _refuse(problems)
        conn.execute("COMMIT")
        phase("check and load" if fast else "reference validation and load")
        for note in older_minor.fill_from_standard(conn, package):
            print(f"Note: {note}", file=sys.stderr)
        derived_tables(db, package, validated=fast or validate_first)
        phase("link tables")
        elsewhere = set(side.names) if fast and side.process else set()
        site = metadata_mod.build_metadata(package)
        indexes_and_search(db, package, bar, phase, elsewhere, table_pages(site))
        # The views do not need the search indexes: work them out while the second
        # process finishes those.
        bar.note("views")
        views_sql = VIEWS_SQL.read_text("utf-8")
        conn.executescript(views_sql)
        # What the second process worked out from the tables it loaded (side_derived.py).
        derived = side.derived() if fast else None
        if derived:
            conn.execute(f"ATTACH DATABASE ? AS {side_derived.SCHEMA}", (str(side.derived_path),))
            phase("views: waiting for the second process")
        if not (derived and derived.copy_due_dates(conn)):
            write_due_dates(conn)
        materialise(conn, views_sql, side_derived.SCHEMA, derived.views if derived else set())
        phase("views")
        facet_counts.store(
            conn,
            facet_counts.configured_facets(site),
            views_sql=views_sql,
            sorts=facet_counts.sort_columns(site),
            copy=lambda table: derived.copy_facets(conn, table),
            copied=derived.facets if derived else set(),
        )
        if derived:
            conn.execute(f"DETACH DATABASE {side_derived.SCHEMA}")
        phase("facet counts")
        if elsewhere:
            bar.note("waiting for the search indexes of the second process")
            copied = side.copy_into(conn)
            phase("search indexes from the second process")
            for name in sorted(elsewhere - copied):  # it failed: index here instead
                enable_fts(db, name, search_columns(package, package.resource(name)))
        conn.execute('CREATE TABLE "register_build" (\n   "key" TEXT PRIMARY KEY,\n   "value" TEXT\n)')
        conn.executemany(
            "INSERT INTO register_build VALUES (?, ?)",
            [
                ("inputs_sha256", digest.result()),
                ("version", package.descriptor.get("version", "")),
                # which files, exactly, this database holds (register/database/known_rows.py)
                (known_rows.STAMPS_KEY, json.dumps(known_rows.steady_stamps(file_stamps, package))),
                (known_rows.ID_MAX_KEY, json.dumps(known_rows.id_numbers(conn, package))),
                # what else it was built from, for an incremental update (register/database/incremental.py)
                (build_info.OTHER_INPUTS_KEY, json.dumps(build_info.other_inputs(package))),
                # the sorts each big table offers, written after ANALYZE (sortable.store)
                (sortable.KEY, "{}"),
            ],
        )
        if not fast and not validate_first:
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key check failed after load: {problems[:5]}")
        bar.note("statistics for the query planner")
        analyse(conn)
        sortable.store(conn, site)
        phase("build record, ANALYZE and sorts")
        put_in_place(conn, tmp, final)
    finally:
        side.close()
        tmp.unlink(missing_ok=True)
    phase("fsync and rename")
    bar.note("metadata and inspect file")
    metadata_mod.write(package, out_dir)
    write_inspect(final, out_dir / "inspect.json")
    phase("metadata and inspect")
    bar.done(f"{sum(counts.values()):,} rows")
    return counts


def put_in_place(conn: sqlite3.Connection, tmp: Path, final: Path) -> None:
    """Close the finished database, make it durable and rename it over the served one."""
    # No VACUUM: a database written once in bulk has nothing to reclaim, and VACUUM
    # would rewrite the whole file (seconds at a million rows) and may renumber the
    # rowids the full-text indexes point at.
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)


def write_inspect(db_path: Path, out: Path, digests: list[str] | None = None, since: tuple | None = None) -> None:
    """Datasette's inspect file, so immutable mode never recounts a table, and the record
    of the file's chunk digests (register/database/page_record.py; `since`, from an update
    in place, says which pages it wrote).

    The file's digest (register/util/files.py) is computed in a thread while the tables
    are counted, unless the update gives its chunks' digests. A full-text index built from
    its whole table has exactly that table's rows, so it is not counted again (counting an
    FTS5 table reads the whole index: a second at 1M).
    """

    chunks = _in_background(lambda: digests or chunk_digests(db_path))
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    tables = {}
    master = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    for name, sql in master:
        if not (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
            tables[name] = {"count": conn.execute(f"SELECT COUNT(*) FROM [{name}]").fetchone()[0]}
    for name, sql in master:
        if name not in tables:
            content = re.search(r"content=\"?\[?([^\"\]\s)]+)", sql or "")
            if content and content.group(1) in tables and name == content.group(1) + "_fts":
                tables[name] = dict(tables[content.group(1)])
            else:
                tables[name] = {"count": conn.execute(f"SELECT COUNT(*) FROM [{name}]").fetchone()[0]}
    conn.close()
    st = db_path.stat()
    data = {
        db_path.stem: {
            "hash": tree_digest(chunks.result()),
            "size": st.st_size,
            "file": db_path.name,
            "tables": tables,
            # which file was hashed, so a running site need not hash it again (register/site/reload.py)
            "file_stamp": file_stamp(db_path),
        }
    }
    page_record.write(out.parent, db_path, chunks.result(), since)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, out)


@plain_errors("building the database")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--root", default=str(ROOT), help="the repository to build from")
    parser.add_argument("--out", default=None, help="output directory (default: ROOT/build)")
    args = parser.parse_args(argv)
    settings.working()
    if refusal := not_a_register(args.root):
        print(f"Not built: {refusal}", file=sys.stderr)
        return 2
    package = Package(args.root)
    out = Path(args.out) if args.out else package.root / "build"
    with locking.exclusive(package.root):  # one writer at a time; clears what killed ones left
        counts = build(package, out)
    if settings.switch(settings.BUILD_TIMINGS):  # for `make bench`
        steps = {k: v[:2] for k, v in LAST_TIMINGS.items()}
        steps.update({f"check and load: {k}": v for k, v in TIMINGS.items()})
        print("timings: " + json.dumps(steps), file=sys.stderr)
    total = sum(counts.values())
    print(
        f"Built {out / DB_NAME}: {total:,} rows in {len(counts)} tables: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items() if not package.is_codelist(k))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
