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
from pathlib import Path

import sqlite_utils

from .package import Package, Resource, ROOT
from .problems import report
from .rules import read_rows
from . import metadata as metadata_mod

VIEWS_SQL = Path(__file__).parent / "sql" / "views.sql"
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
        h.update(p.read_bytes())
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


def derived_tables(db: sqlite_utils.Database, package: Package) -> None:
    """Split semicolon-separated code lists into link tables, so they facet and join."""
    for res in package.resources:
        for f in res.fields:
            if not f.list_of:
                continue
            table = f"{res.name}_{f.name}"
            key = f"{res.name}_id"
            db[table].create(
                {key: str, "code": str},
                pk=(key, "code"),
                foreign_keys=[(key, res.name, res.primary_key[0]), ("code", f.list_of, "code")],
            )
            rows = []
            for row in db.execute(f"SELECT [{res.primary_key[0]}], [{f.name}] FROM [{res.name}] WHERE [{f.name}] IS NOT NULL"):
                for code in dict.fromkeys(row[1].split(";")):
                    if code:
                        rows.append((row[0], code))
            db.conn.executemany(f"INSERT INTO [{table}] VALUES (?, ?)", rows)
            db[table].create_index(["code"])


def indexes_and_search(db: sqlite_utils.Database, package: Package) -> None:
    for res in package.resources:
        table = db[res.name]
        for f in res.fields:
            if (f.reference or f.type in ("date", "boolean")) and f.name not in res.primary_key:
                table.create_index([f.name])
        searchable = [f.name for f in res.fields if f.free_text or f.name == "title"]
        if searchable and not package.is_codelist(res.name):
            table.enable_fts(searchable, tokenize="porter", create_triggers=False)
        elif package.is_codelist(res.name) or res.name == "sources":
            table.enable_fts(["title", "description"], tokenize="porter", create_triggers=False)


def build(package: Package, out_dir: Path, validate_first: bool = True) -> dict:
    """Build the database into out_dir; returns the row counts per table."""
    if validate_first:
        from .validate import validate

        problems = validate(package)
        if problems:
            print("Not building: the data is not valid. Fix these first:", file=sys.stderr)
            report(problems, sys.stderr)
            raise SystemExit(1)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_NAME
    tmp = out_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    counts = {}
    try:
        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        db = sqlite_utils.Database(conn)
        with conn:
            for res in build_order(package):
                create_table(db, res)
                counts[res.name] = load_rows(conn, res)
            derived_tables(db, package)
            indexes_and_search(db, package)
            conn.executescript(VIEWS_SQL.read_text("utf-8"))
            db["register_build"].insert_all(
                [{"key": "inputs_sha256", "value": inputs_digest(package)},
                 {"key": "version", "value": package.descriptor.get("version", "")}],
                pk="key",
            )
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign key check failed after load: {problems[:5]}")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("ANALYZE")
        conn.execute("VACUUM")
        conn.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    metadata_mod.write(package, out_dir)
    write_inspect(final, out_dir / "inspect.json")
    return counts


def write_inspect(db_path: Path, out: Path) -> None:
    """Datasette's inspect file, so immutable mode never recounts a table."""
    h = hashlib.sha256()
    with db_path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
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
