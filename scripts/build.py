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
import sqlite3
import sys
import time
from pathlib import Path

import sqlite_utils

from .package import Package, Resource, ROOT
from .problems import report
from .rules import read_rows
from .progress import Progress
from . import metadata as metadata_mod

VIEWS_SQL = Path(__file__).parent / "sql" / "views.sql"
# (wall s, CPU s, peak MB so far) per phase of the last build in this process, for
# `make bench` and docs/performance.md.
LAST_TIMINGS: dict[str, tuple[float, float, float]] = {}
DB_NAME = "register.db"


def build_order(package: Package) -> list[Resource]:
    """Resources ordered so every table is created after the tables it references."""
    done: list[str] = []
    pending = list(package.resources)
    while pending:
        for res in pending:
            deps = {f.reference[0] for f in res.fields if f.reference and f.reference[0] != res.name}
            if deps <= set(done):
                done.append(res.name)
                pending.remove(res)
                break
        else:
            raise ValueError("circular foreign keys between: " + ", ".join(r.name for r in pending))
    return [package.resource(n) for n in done]


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


def create_table(db: sqlite_utils.Database, res: Resource) -> None:
    db[res.name].create(
        {f.name: {"TEXT": str, "INTEGER": int, "REAL": float}[f.sqlite_type] for f in res.fields},
        pk=res.primary_key[0] if len(res.primary_key) == 1 else tuple(res.primary_key),
        not_null={f.name for f in res.fields if f.required},
        foreign_keys=[(f.name, *f.reference) for f in res.fields if f.reference],
    )


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


def derived_tables(db: sqlite_utils.Database, package: Package, validated: bool = False) -> None:
    """Split semicolon-separated code lists into link tables, so they facet and join.

    Validated lists match their pattern (codes of [a-z0-9_] between semicolons), so they
    are split in SQL with json_each, at C speed; anything else is split in Python.
    """
    for res in package.resources:
        for f in res.fields:
            if not f.list_of:
                continue
            table = f"{res.name}_{f.name}"
            key = f"{res.name}_id"
            pk = res.primary_key[0]
            db[table].create(
                {key: str, "code": str},
                pk=(key, "code"),
                foreign_keys=[(key, res.name, pk), ("code", f.list_of, "code")],
            )
            safe = f.constraints.get("pattern") == "^[a-z0-9_]+(;[a-z0-9_]+)*$"
            if validated and safe:
                db.execute(
                    f"INSERT OR IGNORE INTO [{table}] SELECT t.[{pk}], j.value FROM [{res.name}] t, "
                    f"json_each('[\"' || replace(t.[{f.name}], ';', '\",\"') || '\"]') j "
                    f"WHERE t.[{f.name}] IS NOT NULL ORDER BY t.rowid")
            else:
                rows = []
                for row in db.execute(f"SELECT [{pk}], [{f.name}] FROM [{res.name}] WHERE [{f.name}] IS NOT NULL"):
                    for code in dict.fromkeys(row[1].split(";")):
                        if code:
                            rows.append((row[0], code))
                db.conn.executemany(f"INSERT INTO [{table}] VALUES (?, ?)", rows)
            db[table].create_index(["code"])


def enable_fts(db: sqlite_utils.Database, table: str, columns: list[str]) -> None:
    """sqlite-utils' enable_fts (same table and SQL, so Datasette and detect_fts find it),
    populated with automatic merging off and then merged once: about a quarter less
    work than merging while a million rows go in."""
    from sqlite_utils.db import quote_identifier as q

    fts = q(f"{table}_fts")
    cols = ", ".join(q(c) for c in columns)
    # The CREATE statement sqlite-utils 4 writes, character for character.
    db.execute(f"CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    tokenize='porter',\n    content={q(table)}\n)")
    db.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', 0)")
    db.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT rowid, {cols} FROM {q(table)}")
    db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
    db.execute(f"DELETE FROM {q(table + '_fts_config')} WHERE k = 'automerge'")


def indexes_and_search(db: sqlite_utils.Database, package: Package, progress: Progress | None = None,
                       phase=None) -> None:
    for res in package.resources:
        table = db[res.name]
        for f in res.fields:
            if (f.reference or f.type in ("date", "boolean")) and f.name not in res.primary_key:
                if progress:
                    progress.note(f"index on {res.name}.{f.name}")
                table.create_index([f.name])
        if phase:
            phase(f"indexes {res.name}")
        searchable = [f.name for f in res.fields if f.free_text or f.name == "title"]
        if searchable and not package.is_codelist(res.name):
            columns = searchable
        elif package.is_codelist(res.name) or res.name == "sources":
            columns = ["title", "description"]
        else:
            continue
        if progress:
            progress.note(f"full-text search on {res.name}")
        enable_fts(db, res.name, columns)
        if phase:
            phase(f"search {res.name}")


def _in_background(func, *args):
    """Run func in a thread (hashing and reading release the GIL); .result() waits."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(func, *args)
    pool.shutdown(wait=False)
    return future


def _open(tmp: Path) -> sqlite3.Connection:
    from .fastcheck import tune

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

    Validation and loading are one pass (scripts/fastcheck.py): every CSV is read once,
    checked exactly as `make validate` checks it, and inserted into the new database;
    if anything is wrong nothing is renamed into place. Indexes and full-text search
    are built after the bulk load. With validate_first=False (the caller has just
    validated, as `make append` does) the same pass runs and still refuses bad data.
    """
    from . import fastcheck

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

    digest = _in_background(inputs_digest, package)
    counts = {}
    try:
        conn = _open(tmp)
        db = sqlite_utils.Database(conn)
        conn.execute("BEGIN")
        fast = True
        try:
            problems, counts = fastcheck.check_and_load(package, conn, progress)
        except fastcheck.Fallback:
            fast = False
            conn.close()
            conn = _open(tmp)
            db = sqlite_utils.Database(conn)
            conn.execute("BEGIN")
            problems = []
            if validate_first:
                from .validate import validate_reference

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
        indexes_and_search(db, package, bar, phase)
        bar.note("views and build record")
        db.executescript(VIEWS_SQL.read_text("utf-8"))
        db["register_build"].insert_all(
            [{"key": "inputs_sha256", "value": digest.result()},
             {"key": "version", "value": package.descriptor.get("version", "")}],
            pk="key",
        )
        if not fast and not validate_first:
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key check failed after load: {problems[:5]}")
        bar.note("statistics for the query planner")
        # Sampled statistics: the planner needs the shape of each index, not exact counts.
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")
        phase("views and ANALYZE")
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
        tmp.unlink(missing_ok=True)
    phase("fsync and rename")
    bar.note("metadata and inspect file")
    metadata_mod.write(package, out_dir)
    write_inspect(final, out_dir / "inspect.json")
    phase("metadata and inspect")
    bar.done(f"{sum(counts.values()):,} rows")
    return counts


def write_inspect(db_path: Path, out: Path) -> None:
    """Datasette's inspect file, so immutable mode never recounts a table."""
    h = hashlib.sha256()
    with db_path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    tables = {
        name: {"count": conn.execute(f"SELECT COUNT(*) FROM [{name}]").fetchone()[0]}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    conn.close()
    data = {db_path.stem: {"hash": h.hexdigest(), "size": db_path.stat().st_size,
                           "file": db_path.name, "tables": tables}}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository to build from")
    parser.add_argument("--out", default=None, help="output directory (default: ROOT/build)")
    args = parser.parse_args(argv)
    package = Package(args.root)
    out = Path(args.out) if args.out else package.root / "build"
    counts = build(package, out)
    total = sum(counts.values())
    print(f"Built {out / DB_NAME}: {total} rows in {len(counts)} tables "
          + ", ".join(f"{k} {v}" for k, v in counts.items() if not package.is_codelist(k)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
