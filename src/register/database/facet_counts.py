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


def store(
    conn: sqlite3.Connection,
    facets: dict[str, list[str]],
    most: int = STORED_VALUES,
    only: set[str] | None = None,
) -> int:
    """Write the counts of the `most` commonest values of every configured facet of every
    table (or view of the data alone) that has the column, ranked in the order Datasette's
    facet query gives them with no filter (count descending, then value). `value` has no
    type: integers stay integers, text stays text.

    `only` names the tables whose counts are worked out again (an update in place,
    register/database/incremental.py): their rows are replaced, the others kept. The key
    is (table, column, rank), not the order rows were written in, so counts redone for
    one table are the same rows a full build stores."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {q(TABLE)} (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
        "rank INTEGER NOT NULL, value, count INTEGER NOT NULL, "
        "PRIMARY KEY (table_name, column_name, rank)) WITHOUT ROWID"
    )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} | fixed_views(conn)
    stored = 0
    for table, columns in sorted(facets.items()):
        if table not in tables or (only is not None and table not in only):
            continue
        conn.execute(f"DELETE FROM {q(TABLE)} WHERE table_name = ?", (table,))
        present = {r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}
        for column in columns:
            if column not in present:
                continue
            # Rank 0, with no value and a count of 0, says the column was counted, so a
            # column with no value at all is known to have no facet values.
            conn.execute(f"INSERT INTO {q(TABLE)} VALUES (?, ?, 0, NULL, 0)", (table, column))
            stored += conn.execute(
                f"INSERT INTO {q(TABLE)} SELECT ?, ?, ROW_NUMBER() OVER (ORDER BY COUNT(*) DESC, {q(column)}), "
                f"{q(column)}, COUNT(*) FROM {q(table)} WHERE {q(column)} IS NOT NULL GROUP BY {q(column)} "
                f"ORDER BY COUNT(*) DESC, {q(column)} LIMIT ?",
                (table, column, most),
            ).rowcount
    return stored
