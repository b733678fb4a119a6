"""What the build's second process works out from the tables it loaded, for the first to
copy in: the due dates, the stored views and the facet counts that read nothing else.

Why: on a 2-core machine the second process (register/database/search.py) finished its
share at 19 s of a 39 s build at a million log rows and then waited, while the first
worked out, one after another, the "You said" items' due dates and current status and
the facet counts of the items, their history and the equality impacts. It now works
those out from its own copy of the tables it checked and loaded, with the same code and
the same SQL (views.sql, deadlines.py, facet_counts.py), before it builds the search
indexes, which the first process needs only at the end.

What the first process copies is what it would have written itself, row for row and at
the same rowids: tests/unit/test_generate.py builds a register both ways and compares
every table. Whatever the second process could not do (a view that reads the log, which
it does not hold) the first does as before; if it failed, the first does it all.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from register.checks.fastcheck import tune
from register.checks.sideload import write_result
from register.database import facet_codes, facet_counts, older_minor
from register.database.deadlines import TABLE as DUE_DATES
from register.database.deadlines import write_due_dates
from register.database.views import MATERIALISE, VIEWS_SQL, statements, store_view
from register.schema import metadata as metadata_mod
from register.schema.ddl import q
from register.schema.package import Package

SCHEMA = "derived"  # the name the first process attaches the file under


def work_out(package: Package, tables_path: Path, path: Path, result_path: Path) -> None:
    """In the second process, once its tables are loaded without a problem: work out on a
    copy of them (the first process may still be reading the file) what reads nothing
    else, and say what was done in result_path."""
    try:
        result = _work_out(package, tables_path, path)
    except (sqlite3.Error, OSError, ValueError) as e:  # the first process then does it all
        result = {"failed": f"{type(e).__name__}: {e}"}
    write_result(result_path, result)


def _work_out(package: Package, tables_path: Path, path: Path) -> dict:
    shutil.copyfile(tables_path, path)
    conn = sqlite3.connect(path, isolation_level=None)
    tune(conn)
    # A small page cache: this process holds its memory through the search indexes that
    # follow, while the first is at its own peak. With the bulk load's 32 MB both together
    # peaked at 295 MB at a million log rows (the target is 300), with 8 MB at 269 MB, as
    # fast (both as `make bench` measures the build's memory).
    conn.execute("PRAGMA cache_size = -8000")
    conn.execute("BEGIN")
    # A package on an older minor version lacks a codelist column the views read (statuses'
    # `responds`): filled here as the first process fills it, or every view reading it
    # would be left to the first process (9 s more of a build at a million log rows).
    older_minor.fill_from_standard(conn, package)
    views_sql = VIEWS_SQL.read_text("utf-8")
    for statement in statements(views_sql):
        try:
            conn.execute(statement)
        except sqlite3.OperationalError as e:
            if not str(e).startswith("no such table"):  # an index on a table it does not hold
                raise
    due = _readable(conn, "you_said_we_did") and _readable(conn, "response_rules")
    if due:
        write_due_dates(conn)
    else:  # left empty, a view reading it would be wrong: unreadable instead
        conn.execute(f"DROP TABLE {q(DUE_DATES)}")
    stored = []
    for name in MATERIALISE.findall(views_sql):  # in order: a later one may read an earlier one
        if _readable(conn, name):
            store_view(conn, name)
            stored.append(name)
    site = metadata_mod.build_metadata(package)
    facets = {t: c for t, c in facet_counts.configured_facets(site).items() if _readable(conn, t)}
    facet_counts.store(conn, facets, views_sql=views_sql, sorts=facet_counts.sort_columns(site))
    conn.execute("COMMIT")
    conn.close()
    return {"due_dates": due, "views": stored, "facets": sorted(facets)}


def _readable(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the table or view can be read here: a view of a table this process does
    not hold cannot."""
    try:
        conn.execute(f"SELECT * FROM {q(name)} LIMIT 0")
    except sqlite3.OperationalError as e:
        if str(e).startswith("no such table"):
            return False
        raise
    return True


class Derived:
    """In the first process: what the second worked out, attached as SCHEMA."""

    def __init__(self, result: dict):
        self.due_dates = bool(result.get("due_dates"))
        self.views = set(result.get("views", []))
        self.facets = set(result.get("facets", []))

    def copy_due_dates(self, conn: sqlite3.Connection) -> bool:
        """The due dates, as write_due_dates would have written them; False if not worked out."""
        if self.due_dates:
            conn.execute(f"INSERT INTO main.{q(DUE_DATES)} SELECT * FROM {SCHEMA}.{q(DUE_DATES)} ORDER BY rowid")
        return self.due_dates

    def copy_facets(self, conn: sqlite3.Connection, table: str) -> None:
        """A table's facet counts and its codes (both keyed, WITHOUT ROWID)."""
        conn.execute(
            f"INSERT INTO main.{q(facet_counts.TABLE)} SELECT * FROM {SCHEMA}.{q(facet_counts.TABLE)} "
            "WHERE table_name = ?",
            (table,),
        )
        conn.execute(
            f"INSERT INTO main.{q(facet_codes.TABLE)} SELECT * FROM {SCHEMA}.{q(facet_codes.TABLE)} "
            "WHERE table_name = ?",
            (table,),
        )
