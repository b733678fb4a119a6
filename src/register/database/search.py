"""Full-text search, and the second process that builds the big indexes during a build.

On a 2-core machine the build checks and loads in one process while a second one (run
as `python -m register.database.search`) checks and loads some big resources
(register/checks/sideload.py), works out what reads only those (due dates, stored views,
facet counts: register/database/side_derived.py) and builds the big full-text indexes
straight from the CSVs; the build copies each in when it needs it.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from register.checks import fastcheck
from register.checks.sideload import SideLoad, side_share, wait_for_result, write_result
from register.database.facet_counts import site_tables
from register.database.side_derived import Derived, work_out
from register.schema.ddl import create_index, create_table, q
from register.schema.package import ROOT, Package, Resource
from register.util.progress import Progress
from register.util.text import command_parser


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
        # Only those it has: the national register's publishers table has no description,
        # and an index naming one fails every search that matches it.
        return [c for c in ("title", "description") if c in res.field_names] or None
    return None


def table_pages(metadata: dict) -> dict[str, tuple[str, list[str]]]:
    """{table: (the column its page is sorted by, its facet columns)} of the register's
    metadata (metadata.yml), for the tables whose page has a default sort."""
    tables = site_tables(metadata)
    return {
        name: (conf.get("sort_desc") or conf.get("sort"), list(conf.get("facets") or []))
        for name, conf in tables.items()
        if conf.get("sort_desc") or conf.get("sort")
    }


def indexes_and_search(
    db,
    package: Package,
    progress: Progress | None = None,
    phase=None,
    searched: set[str] | None = None,
    pages: dict[str, tuple[str, list[str]]] | None = None,
) -> None:
    """Indexes on every foreign-key, date and boolean column; full-text search on the
    free text, except for tables in `searched` (their index is made by SearchSide).

    `pages` (from metadata.yml): {table: (the column its page is sorted by, its facet
    columns)}. A facet column with few values (a code of a codelist, or yes/no) is
    indexed with that column after it, so a page filtered on one (a facet link,
    `?gate=assess`) walks the index in page order and stops at its 100 rows: with an
    index on the column alone, SQLite read all 200,000 matching rows of the log at a
    million rows and sorted them (210 ms; 2 ms with it), for about 0.5 s more build per
    index. A column with many values (project_id) has few rows for each: sorting them is cheap."""
    pages = pages or {}
    for res in package.resources:
        then, facets = pages.get(res.name, (None, []))
        for f in res.fields:
            if (f.reference or f.type in ("date", "boolean")) and f.name not in res.primary_key:
                if progress:
                    progress.note(f"index on {res.name}.{f.name}")
                few = f.type == "boolean" or (f.reference and package.is_codelist(f.reference[0]))
                if then and f.name in facets and few and then != f.name and then in res.field_names:
                    db.execute(
                        f"CREATE INDEX {q(f'idx_{res.name}_{f.name}_{then}')} ON {q(res.name)} ({q(f.name)}, {q(then)})"
                    )
                else:
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


def _side_share_work(root: str, names: list[str], preload: list[str], tables_path: str, result_path: str) -> dict:
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
    write_result(Path(result_path), result)
    return result


def _search_side_work(root: str, names: list[str], path: str) -> None:
    """In the second process: full-text indexes of `names`, read straight from the CSVs.

    Row i of a CSV (the first record is 1) is rowid i in the table the build loads, so
    the index is the one enable_fts would make there; the build copies its shadow tables
    in. If the CSV turns out not to be plain (the check falls back to the reference),
    the build ignores this and indexes in the usual way.
    """
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
            reader = csv.reader(f)
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
        self.share = None  # SideLoad: tables this process also checks and loads
        self.path = out_dir / f".register-search.{os.getpid()}.tmp"
        self.tables_path = out_dir / f".register-share.{os.getpid()}.tmp"
        self.result_path = out_dir / f".register-share.{os.getpid()}.json"
        # what it works out from its tables (register/database/side_derived.py)
        self.derived_path = out_dir / f".register-derived.{os.getpid()}.tmp"
        self.derived_result_path = out_dir / f".register-derived.{os.getpid()}.json"
        if total >= SEARCH_SIDE_MIN_BYTES and (self.names or share_tables):
            loads, preload = side_share(package, SEARCH_SIDE_MIN_ROWS_BYTES) if share_tables else ([], [])
            for p in self.files():
                p.unlink(missing_ok=True)
            # A plain subprocess (not multiprocessing): nothing about the caller's main
            # module matters, and it is simply killed if the build stops.
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "register.database.search",
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
                    "--derived",
                    str(self.derived_path),
                    "--derived-result",
                    str(self.derived_result_path),
                ],
                cwd=str(ROOT),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if loads:
                self.share = SideLoad(loads, self.tables_path, self.result_path, self.process)

    def derived(self) -> Derived | None:
        """What the second process worked out from its tables, once it has (None: it did
        not, so this process does it all)."""
        if not self.share:
            return None
        result = wait_for_result(self.derived_result_path, self.process)
        return None if result is None or "failed" in result else Derived(result)

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
        for p in self.files():
            p.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """Every file the second process may write."""
        made = [self.path, self.tables_path, self.result_path, self.derived_path, self.derived_result_path]
        return made + [Path(f"{p}.part") for p in (self.result_path, self.derived_result_path)]


def main(argv=None) -> int:
    """The second process of a build (SearchSide)."""
    parser = command_parser(
        __spec__,
        __doc__,
        epilog="The build starts it, with every option (SearchSide): it is not run by hand.",
    )
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--search-side", required=True)
    parser.add_argument("--tables", default="")
    parser.add_argument("--load", default="")
    parser.add_argument("--preload", default="")
    parser.add_argument("--tables-db", default="")
    parser.add_argument("--result", default="")
    parser.add_argument("--derived", default="")
    parser.add_argument("--derived-result", default="")
    args = parser.parse_args(argv)
    names = [n for n in args.load.split(",") if n]
    if names:
        share = _side_share_work(
            args.root, names, [n for n in args.preload.split(",") if n], args.tables_db, args.result
        )
        if args.derived and "fallback" not in share and not share["problems"]:  # else the build stops or redoes it all
            work_out(Package(args.root), Path(args.tables_db), Path(args.derived), Path(args.derived_result))
    tables = [n for n in args.tables.split(",") if n]
    if tables:
        _search_side_work(args.root, tables, args.search_side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
