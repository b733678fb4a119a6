"""Datasette's `sortable_columns` for each big table, from the build being served.

Which sorts a table's pages offer is worked out by the build (register/database/sortable.py:
on a table of 50,000 rows or more, only those SQLite reads in an index's order) and kept in
the database, not in metadata.json: a running site swaps in each new build without a
restart (reload.py), and an append that takes a table past 50,000 rows must change its
sorts with the rows. Each build's are read once, when it is opened (reload.BuildDatabase),
and given to Datasette here as plugin metadata; metadata.yml may still say otherwise for
a table, and wins.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
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


@hookimpl
def get_metadata(datasette, key, database, table):
    found = {}
    for name, db in datasette.databases.items():
        offered = getattr(db, "sorts", None)
        if offered is not None and offered.tables:
            found[name] = {"tables": offered.tables}
    return {"databases": found} if found else None
