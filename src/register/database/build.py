"""`make build`: validate, then write build/register.db atomically, with its metadata.

The database is written beside the old one and renamed into place, so Datasette never
sees a half-built file and a failed build leaves the previous database intact. Table
types, keys, indexes and full-text search all come from the Table Schemas.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from pathlib import Path

from register import settings
from register.checks import fastcheck
from register.checks.fastcheck import TIMINGS, tune
from register.checks.problems import report
from register.checks.rules import read_rows
from register.checks.validate import validate_reference
from register.database import known_rows
from register.schema import metadata as metadata_mod
from register.schema.ddl import build_order, create_index, create_link_table, create_table, link_tables, q  # noqa: F401  (build.create_table is used by tests)
from register.schema.package import ROOT, Package, Resource
from register.util import locking
from register.util.guard import plain_errors
from register.util.progress import Progress

VIEWS_SQL = Path(__file__).parent / "views.sql"
# (wall s, CPU s, peak MB so far) per phase of the last build in this process, for
# `make bench` and docs/performance.md.
LAST_TIMINGS: dict[str, tuple[float, float, float]] = {}
DB_NAME = "register.db"


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
        pk = res.primary_key[0]
        create_link_table(db, res, f, table)
        safe = f.constraints.get("pattern") == "^[a-z0-9_]+(;[a-z0-9_]+)*$"
        if validated and safe:
            db.execute(
                f"INSERT OR IGNORE INTO [{table}] SELECT t.[{pk}], j.value FROM [{res.name}] t, "
                f"json_each('[\"' || replace(t.[{f.name}], ';', '\",\"') || '\"]') j "
                f"WHERE t.[{f.name}] IS NOT NULL ORDER BY t.rowid"
            )
        else:
            rows = []
            for row in db.execute(f"SELECT [{pk}], [{f.name}] FROM [{res.name}] WHERE [{f.name}] IS NOT NULL"):
                for code in dict.fromkeys(row[1].split(";")):
                    if code:
                        rows.append((row[0], code))
            db.executemany(f"INSERT INTO [{table}] VALUES (?, ?)", rows)
        create_index(db, table, "code")


def enable_fts(db, table: str, columns: list[str]) -> None:
    """sqlite-utils' enable_fts (same table and SQL, so Datasette and detect_fts find it),
    populated with automatic merging off and then merged once: about a quarter less
    work than merging while a million rows go in."""
    fts = q(f"{table}_fts")
    cols = ", ".join(q(c) for c in columns)
    # The CREATE statement sqlite-utils 4 writes, character for character.
    db.execute(
        f"CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    tokenize='porter',\n    content={q(table)}\n)"
    )
    db.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', 0)")
    db.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT rowid, {cols} FROM {q(table)}")
    db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
    db.execute(f"DELETE FROM {q(table + '_fts_config')} WHERE k = 'automerge'")


def search_columns(package: Package, res: Resource) -> list[str] | None:
    """The columns of a resource's full-text index (None: it has none)."""
    searchable = [f.name for f in res.fields if f.free_text or f.name == "title"]
    if searchable and not package.is_codelist(res.name):
        return searchable
    if package.is_codelist(res.name) or res.name == "sources":
        return ["title", "description"]
    return None


def indexes_and_search(
    db, package: Package, progress: Progress | None = None, phase=None, searched: set[str] | None = None
) -> None:
    """Indexes on every foreign-key, date and boolean column; full-text search on the
    free text, except for tables in `searched` (their index is made by SearchSide)."""
    for res in package.resources:
        for f in res.fields:
            if (f.reference or f.type in ("date", "boolean")) and f.name not in res.primary_key:
                if progress:
                    progress.note(f"index on {res.name}.{f.name}")
                create_index(db, res.name, f.name)
        if phase:
            phase(f"indexes {res.name}")
        columns = search_columns(package, res)
        if not columns or (searched and res.name in searched):
            continue
        if progress:
            progress.note(f"full-text search on {res.name}")
        enable_fts(db, res.name, columns)
        if phase:
            phase(f"search {res.name}")


# Registers with CSVs bigger than this build their big search indexes in a second
# process while this one checks and loads (a 2-core machine does both at once).
SEARCH_SIDE_MIN_BYTES = 20_000_000
SEARCH_SIDE_MIN_ROWS_BYTES = 5_000_000  # resources smaller than this stay in this process
FTS_SHADOWS = ("data", "idx", "docsize", "config")


def _side_share_work(root: str, names: list[str], preload: list[str], tables_path: str, result_path: str) -> None:
    """In the second process: check and load `names` into their own file, and say what was
    found (build's first process copies the tables in: fastcheck.Loader.adopt)."""

    package = Package(root)
    Path(tables_path).unlink(missing_ok=True)
    conn = sqlite3.connect(tables_path, isolation_level=None)
    fastcheck.tune(conn)
    conn.execute("BEGIN")
    try:
        result = fastcheck.Loader(package, conn, False).load_share(names, preload, lambda res: create_table(conn, res))
        conn.execute("COMMIT")
    except fastcheck.Fallback as e:
        result = {"fallback": str(e)}
    except Exception as e:  # anything else: the first process falls back to the reference
        result = {"fallback": f"the second process failed: {type(e).__name__}: {e}"}
    conn.close()
    tmp = Path(result_path + ".part")
    tmp.write_text(json.dumps(result), "utf-8")
    os.replace(tmp, result_path)


def _search_side_work(root: str, names: list[str], path: str) -> None:
    """In the second process: full-text indexes of `names`, read straight from the CSVs.

    Row i of a CSV (the first record is 1) is rowid i in the table the build loads, so
    the index is the one enable_fts would make there; the build copies its shadow tables
    in. If the CSV turns out not to be plain (the check falls back to the reference),
    the build ignores this and indexes in the usual way.
    """
    import csv as _csv

    package = Package(root)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA cache_size = -16000")
    for name in names:
        res = package.resource(name)
        columns = search_columns(package, res)
        fts = q(f"{name}_fts")
        cols = ", ".join(q(c) for c in columns)
        conn.execute(
            f"CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    tokenize='porter',\n    content={q(name)}\n)"
        )
        conn.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', 0)")
        sql = f"INSERT INTO {fts} (rowid, {cols}) VALUES (?{', ?' * len(columns)})"
        conn.execute("BEGIN")
        with res.path.open(newline="", encoding="utf-8") as f:
            reader = _csv.reader(f)
            header = next(reader)
            index = [header.index(c) for c in columns]
            batch = []
            for rowid, row in enumerate(reader, 1):
                batch.append((rowid, *[row[i] if row[i] != "" else None for i in index]))
                if len(batch) >= 5000:
                    conn.executemany(sql, batch)
                    batch = []
            conn.executemany(sql, batch)
        conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
        conn.execute(f"DELETE FROM {q(name + '_fts_config')} WHERE k = 'automerge'")
        conn.execute("COMMIT")
    conn.close()


class SearchSide:
    """The big full-text indexes, built in a second process during check and load."""

    def __init__(self, package: Package, out_dir: Path, share_tables: bool = True):

        self.package = package
        self.names = []
        total = 0
        for res in package.resources:
            size = res.path.stat().st_size if res.path.exists() else 0
            total += size
            if (
                search_columns(package, res)
                and not package.is_codelist(res.name)
                and size >= SEARCH_SIDE_MIN_ROWS_BYTES
            ):
                self.names.append(res.name)
        self.process = None
        self.share = None  # fastcheck.SideLoad: tables this process also checks and loads
        self.path = out_dir / f".register-search.{os.getpid()}.tmp"
        self.tables_path = out_dir / f".register-share.{os.getpid()}.tmp"
        self.result_path = out_dir / f".register-share.{os.getpid()}.json"
        if total >= SEARCH_SIDE_MIN_BYTES and (self.names or share_tables):
            import subprocess

            loads, preload = fastcheck.side_share(package, SEARCH_SIDE_MIN_ROWS_BYTES) if share_tables else ([], [])
            for p in (self.path, self.tables_path, self.result_path):
                p.unlink(missing_ok=True)
            # A plain subprocess (not multiprocessing): nothing about the caller's main
            # module matters, and it is simply killed if the build stops.
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "register.database.build",
                    "--root",
                    str(package.root),
                    "--search-side",
                    str(self.path),
                    "--tables",
                    ",".join(self.names),
                    "--load",
                    ",".join(loads),
                    "--preload",
                    ",".join(preload),
                    "--tables-db",
                    str(self.tables_path),
                    "--result",
                    str(self.result_path),
                ],
                cwd=str(ROOT),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if loads:
                self.share = fastcheck.SideLoad(loads, self.tables_path, self.result_path, self.process)

    def copy_into(self, conn: sqlite3.Connection) -> set[str]:
        """Wait for the second process, copy its indexes in; the tables now searchable."""
        if not self.process:
            return set()
        _, err = self.process.communicate()
        if self.process.returncode != 0:
            print(
                "The second process could not build the search indexes; building them here:\n"
                + err.decode(errors="replace")[-2000:],
                file=sys.stderr,
            )
            return set()
        conn.execute("ATTACH DATABASE ? AS side", (str(self.path),))
        for name in self.names:
            fts = q(f"{name}_fts")
            columns = search_columns(self.package, self.package.resource(name))
            cols = ", ".join(q(c) for c in columns)
            conn.execute(
                f"CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    tokenize='porter',\n    content={q(name)}\n)"
            )
            for shadow in FTS_SHADOWS:
                table = q(f"{name}_fts_{shadow}")
                conn.execute(f"DELETE FROM main.{table}")
                conn.execute(f"INSERT INTO main.{table} SELECT * FROM side.{table}")
        conn.execute("DETACH DATABASE side")
        return set(self.names)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        for p in (self.path, self.tables_path, self.result_path, Path(str(self.result_path) + ".part")):
            p.unlink(missing_ok=True)


MATERIALISE = re.compile(r"^--\s*build:\s*materialise\s*\n\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I)


def materialise(conn: sqlite3.Connection, views_sql: str) -> list[str]:
    """Store the rows of each view marked `-- build: materialise` in register/database/views.sql
    as a table of the same name.

    The database never changes between builds, so a view that depends only on the data
    (never on today's date) can be worked out once here instead of on every request.
    Views that read it then read a table. Columns named id or ending in _id are indexed.
    """
    names = MATERIALISE.findall(views_sql)
    for name in names:
        conn.execute(f"CREATE TABLE {q('_materialising')} AS SELECT * FROM {q(name)}")
        conn.execute(f"DROP VIEW {q(name)}")
        conn.execute("PRAGMA legacy_alter_table = ON")  # the views that read it are checked later
        conn.execute(f"ALTER TABLE {q('_materialising')} RENAME TO {q(name)}")
        conn.execute("PRAGMA legacy_alter_table = OFF")
        for (column,) in conn.execute("SELECT name FROM pragma_table_info(?)", (name,)).fetchall():
            if column == "id" or column.endswith("_id"):
                create_index(conn, name, column)
    return names


def live_views(conn: sqlite3.Connection) -> None:
    """Turn the stored views back into live ones, and re-create every view.

    For a copy of the register cut down to a period (notebooks/reportkit.py): rows
    stored at build time describe the whole register, the live views the copy.
    """
    views_sql = VIEWS_SQL.read_text("utf-8")
    for name in MATERIALISE.findall(views_sql):
        conn.execute(f"DROP TABLE IF EXISTS {q(name)}")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f"DROP VIEW {q(name)}")
    conn.executescript(views_sql)


def _in_background(func, *args):
    """Run func in a thread (hashing and reading release the GIL); .result() waits."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(func, *args)
    pool.shutdown(wait=False)
    return future


def _open(tmp: Path) -> sqlite3.Connection:

    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    tune(conn)
    return conn


def _refuse(problems) -> None:
    print("Not building: the data is not valid. Fix these first:", file=sys.stderr)
    report(problems, sys.stderr)
    raise SystemExit(1)


def build(package: Package, out_dir: Path, validate_first: bool = True, progress: bool | None = None) -> dict:
    """Build the database into out_dir; returns the row counts per table.

    Validation and loading are one pass (register/checks/fastcheck.py): every CSV is read once,
    checked exactly as `make validate` checks it, and inserted into the new database;
    if anything is wrong nothing is renamed into place. Indexes and full-text search
    are built after the bulk load. With validate_first=False (the caller has just
    validated, as `make append` does) the same pass runs and still refuses bad data.
    """

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_NAME
    tmp = out_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    bar = Progress("Building", show=progress)
    LAST_TIMINGS.clear()
    clock = [time.perf_counter(), time.process_time()]

    def phase(name: str) -> None:
        import resource

        now = (time.perf_counter(), time.process_time())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        LAST_TIMINGS[name] = (now[0] - clock[0], now[1] - clock[1], peak)
        clock[:] = now

    file_stamps = known_rows.stamps(package)  # before anything reads the files
    digest = _in_background(inputs_digest, package)
    side = SearchSide(package, out_dir)
    counts = {}
    try:
        conn = _open(tmp)
        db = conn
        conn.execute("BEGIN")
        fast = True
        try:
            problems, counts = fastcheck.check_and_load(package, conn, progress, side.share)
        except fastcheck.Fallback:
            fast = False
            side.close()  # its indexes and tables would not match the reference load
            conn.close()
            conn = _open(tmp)
            db = conn
            conn.execute("BEGIN")
            problems = []
            if validate_first:
                problems = validate_reference(package)
            if not problems:
                for res in build_order(package):
                    create_table(db, res)
                    counts[res.name] = load_rows(conn, res)
        if problems:
            conn.close()
            _refuse(problems)
        conn.execute("COMMIT")
        phase("check and load" if fast else "reference validation and load")
        derived_tables(db, package, validated=fast or validate_first)
        phase("link tables")
        elsewhere = set(side.names) if fast and side.process else set()
        indexes_and_search(db, package, bar, phase, elsewhere)
        # The views do not need the search indexes: work them out while the second
        # process finishes those.
        bar.note("views")
        views_sql = VIEWS_SQL.read_text("utf-8")
        conn.executescript(views_sql)
        materialise(conn, views_sql)
        phase("views")
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
            ],
        )
        if not fast and not validate_first:
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key check failed after load: {problems[:5]}")
        bar.note("statistics for the query planner")
        # Sampled statistics: the planner needs the shape of each index, not exact counts.
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")
        phase("build record and ANALYZE")
        # No VACUUM: a database written once in bulk has nothing to reclaim, and VACUUM
        # would rewrite the whole file (seconds at a million rows) and may renumber the
        # rowids the full-text indexes point at.
        conn.execute("PRAGMA locking_mode = NORMAL")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
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


def write_inspect(db_path: Path, out: Path) -> None:
    """Datasette's inspect file, so immutable mode never recounts a table.

    The SHA-256 of the file is computed in a thread while the tables are counted. A
    full-text index built from its whole table has exactly that table's rows, so it is
    not counted again (counting an FTS5 table reads the whole index: a second at 1M).
    """

    def sha256() -> str:
        h = hashlib.sha256()
        with db_path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        return h.hexdigest()

    digest = _in_background(sha256)
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
    data = {
        db_path.stem: {"hash": digest.result(), "size": db_path.stat().st_size, "file": db_path.name, "tables": tables}
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, out)


@plain_errors("building the database")
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository to build from")
    parser.add_argument("--out", default=None, help="output directory (default: ROOT/build)")
    parser.add_argument("--search-side", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tables", default="", help=argparse.SUPPRESS)
    parser.add_argument("--load", default="", help=argparse.SUPPRESS)
    parser.add_argument("--preload", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tables-db", default="", help=argparse.SUPPRESS)
    parser.add_argument("--result", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.search_side:  # the second process of a build (SearchSide)
        names = [n for n in args.load.split(",") if n]
        if names:
            _side_share_work(args.root, names, [n for n in args.preload.split(",") if n], args.tables_db, args.result)
        tables = [n for n in args.tables.split(",") if n]
        if tables:
            _search_side_work(args.root, tables, args.search_side)
        return 0
    package = Package(args.root)
    out = Path(args.out) if args.out else package.root / "build"
    with locking.exclusive(package.root):  # one writer at a time; clears what killed ones left
        counts = build(package, out)
    if settings.BUILD_TIMINGS.raw():  # for `make bench`
        steps = {k: v[:2] for k, v in LAST_TIMINGS.items()}
        steps.update({f"check and load: {k}": v for k, v in TIMINGS.items()})
        print("timings: " + json.dumps(steps), file=sys.stderr)
    total = sum(counts.values())
    print(
        f"Built {out / DB_NAME}: {total} rows in {len(counts)} tables "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if not package.is_codelist(k))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
