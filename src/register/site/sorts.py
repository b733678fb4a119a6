"""Datasette's `sortable_columns` for each big table, from the build being served.

Which sorts a table's pages offer is worked out by the build (register/database/sortable.py:
on a table of 50,000 rows or more, only those SQLite reads in an index's order) and kept in
the database, not in metadata.json: a running site swaps in each new build without a
restart (reload.py), and an append that takes a table past 50,000 rows must change its
sorts with the rows. Each build's are read once, when it is opened (reload.BuildDatabase),
and given to Datasette as it is swapped in (`apply`); metadata.yml may still say otherwise
for a table, and wins.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from datasette.utils import detect_fts, tilde_decode

from register.database import sortable
from register.site.links import field_title


class Offered:
    """The sorts one build offers: as Datasette's metadata (`tables`), the columns of each
    table and view (`columns`), and the tables with a search index (`searchable`),
    to say plainly what a page can be sorted by."""

    def __init__(self, path: str):
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            found = sortable.stored(conn)
            self.tables = {table: {sortable.KEY: columns} for table, columns in found.items()}
            self.columns: dict[str, list[str]] = {}
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall():
                try:  # a view that cannot be read is Datasette's to report, on its own page
                    self.columns[table] = [
                        r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))
                    ]
                except sqlite3.Error:
                    continue
            self.searchable = {table for table in self.columns if detect_fts(conn, table)}
        finally:
            conn.close()


class Refusal(NamedTuple):
    """What a table that has a column but does not sort by it offers instead: the titles
    of the columns it sorts by, as its headings show them; whether that is because it
    has too many rows (`big`, the build's choice) rather than metadata.yml's; and whether
    it has a search box."""

    offered: list[str]
    big: bool
    searchable: bool


def refused(datasette, request, column: str) -> Refusal | None:
    """What this page's table offers, when `column` is one of its columns that Datasette
    is told not to sort by (the build's sorts, or metadata.yml's own `sortable_columns`);
    else None (the table has no such column)."""
    database, table = request.url_vars.get("database"), request.url_vars.get("table")
    if not database or not table:
        return None
    database, table = tilde_decode(database), tilde_decode(table)
    offered = getattr(datasette.databases.get(database), "sorts", None)
    meta = datasette.table_metadata(database, table)
    if offered is None or "sortable_columns" not in meta or column not in offered.columns.get(table, ()):
        return None
    allowed = set(meta["sortable_columns"])
    columns = [c for c in offered.columns[table] + ["rowid"] if c in allowed]
    built = offered.tables.get(table, {}).get(sortable.KEY)
    return Refusal(
        [field_title(datasette, table, c) for c in columns],
        built is not None and allowed == set(built),
        table in offered.searchable or bool(meta.get("fts_table")),
    )


def apply(datasette) -> None:
    """Datasette's metadata from now on: metadata.json's, with the sorts of each build now
    served (a table's own `sortable_columns` in metadata.yml wins).

    Set as Datasette's local metadata, a new object each time, not through the
    `get_metadata` plugin hook: Datasette 0.65.5 merges a hook's metadata into the local
    one on each of the 700 lookups of a database page, and its table rules can then not
    be kept (register/site/permission_cache.py, keyed by the metadata object): the
    database page took 100 to 830 ms at a million log rows that way, 26 ms this way."""
    base = datasette.__dict__.setdefault("_register_file_metadata", datasette._metadata_local)
    metadata = dict(base)
    databases = metadata["databases"] = dict(base.get("databases") or {})
    for name, db in datasette.databases.items():
        offered = getattr(db, "sorts", None)
        if offered is None or not offered.tables:
            continue
        database = databases[name] = dict(databases.get(name) or {})
        tables = database["tables"] = dict(database.get("tables") or {})
        for table, sorts in offered.tables.items():
            tables[table] = {**sorts, **(tables.get(table) or {})}
    datasette._metadata_local = metadata


def limited(datasette, database: str, table: str) -> bool:
    """Whether this table's page offers only the build's sorts, for its many rows: the
    build chose them (not metadata.yml's own `sortable_columns`), and some column is
    left out. Its page says so (templates/table.html)."""
    offered = getattr(datasette.databases.get(database), "sorts", None)
    built = offered.tables.get(table, {}).get(sortable.KEY) if offered is not None else None
    if built is None:
        return False
    meta = datasette.table_metadata(database, table)
    return set(meta.get("sortable_columns") or ()) == set(built) and bool(
        set(offered.columns.get(table, ())) - set(built)
    )
