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

from datasette.utils import tilde_decode

from register.database import sortable


class Offered:
    """The sorts one build offers: as Datasette's metadata (`tables`), and the columns of
    each big table it does not offer a sort by (`refused`), to say so plainly."""

    def __init__(self, path: str):
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            found = sortable.stored(conn)
            self.tables = {table: {sortable.KEY: columns} for table, columns in found.items()}
            self.refused = {
                table: {r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))} - set(columns)
                for table, columns in found.items()
            }
        finally:
            conn.close()


def refused(datasette, request, column: str) -> list[str] | None:
    """The sorts this page's table offers, when `column` is one of its columns that it
    does not offer a sort by; else None."""
    database, table = request.url_vars.get("database"), request.url_vars.get("table")
    offered = getattr(datasette.databases.get(tilde_decode(database or "")), "sorts", None)
    if offered is None or not table:
        return None
    table = tilde_decode(table)
    if column not in offered.refused.get(table, ()):
        return None
    return offered.tables[table][sortable.KEY]


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
