"""Facet counts of every whole table, worked out once at build time.

A Datasette table page counts each configured facet (metadata.yml) over the rows it
shows. Unfiltered, that is the whole table: at a million log rows, seven facets of the
co-production log cost half a second on every fresh request. The database never changes
between builds, so the build stores those counts here, and the site's facet class
(register/site/facets.py) reads them when a table page has no filter. Only tables:
views may depend on today's date (`overdue`) and are always counted live.
"""

from __future__ import annotations

import re
import sqlite3

from register.schema.ddl import q

TABLE = "facet_counts"
# Values kept per facet: one more than a page can show (the server's max_returned_rows,
# register/site/serve.py), to tell when the list is cut short. The site counts live when
# asked for more.
STORED_VALUES = 1001


def configured_facets(metadata: dict) -> dict[str, list[str]]:
    """{table: [facet columns]} of the register's metadata (metadata.yml)."""
    tables = metadata.get("databases", {}).get("register", {}).get("tables", {}) or {}
    return {name: list(conf.get("facets") or []) for name, conf in tables.items() if conf.get("facets")}


def fixed_views(conn: sqlite3.Connection) -> set[str]:
    """The views whose rows depend on the data alone: none of the views they read (or
    they themselves) uses today's date."""
    views = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    dated = {name for name, sql in views.items() if re.search(r"'now'", sql or "", re.I)}
    while True:
        more = {
            name
            for name, sql in views.items()
            if name not in dated and any(re.search(rf"\b{re.escape(d)}\b", sql or "") for d in dated)
        }
        if not more:
            return set(views) - dated
        dated |= more


def store(conn: sqlite3.Connection, facets: dict[str, list[str]], most: int = STORED_VALUES) -> int:
    """Write the counts of the `most` commonest values of every configured facet of every
    table (or view of the data alone) that has the column, in the order Datasette's facet query gives them
    with no filter (count descending, then value). `value` has no type: integers stay
    integers, text stays text."""
    conn.execute(
        f"CREATE TABLE {q(TABLE)} (table_name TEXT NOT NULL, column_name TEXT NOT NULL, value, count INTEGER NOT NULL)"
    )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} | fixed_views(conn)
    stored = 0
    for table, columns in sorted(facets.items()):
        if table not in tables:
            continue
        present = {r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}
        for column in columns:
            if column not in present:
                continue
            # A row with no value and a count of 0 says the column was counted, so a
            # column with no value at all is known to have no facet values.
            conn.execute(f"INSERT INTO {q(TABLE)} VALUES (?, ?, NULL, 0)", (table, column))
            stored += conn.execute(
                f"INSERT INTO {q(TABLE)} SELECT ?, ?, {q(column)}, COUNT(*) FROM {q(table)} "
                f"WHERE {q(column)} IS NOT NULL GROUP BY {q(column)} ORDER BY COUNT(*) DESC, {q(column)} LIMIT ?",
                (table, column, most),
            ).rowcount
    conn.execute(f"CREATE INDEX {q('idx_' + TABLE)} ON {q(TABLE)} (table_name, column_name, count DESC, value)")
    return stored
