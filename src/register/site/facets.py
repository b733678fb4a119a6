"""Facets of a whole table read from the counts the build stored (register/database/facet_counts.py).

Datasette counts every configured facet over the rows a table page shows; with no
filter that is the whole table, half a second for the co-production log at a million
rows on every fresh request. This facet class answers those from the stored counts,
which are exactly what the query would give (the database is immutable between builds),
and counts live as Datasette does whenever the page is filtered or searched, the view
reads today's date (the build stores none for it), or more values are asked for than
were stored. It replaces Datasette's own
column facet, so each facet is shown once, in the same form.
"""

from __future__ import annotations

import re

from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite

from register.database.facet_counts import STORED_VALUES, TABLE

FACET_SQL = re.compile(r"^\s*select (.+?) as value, count\(\*\) as count from \(", re.S)


class _Results:
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)


class _StoredCounts:
    """Datasette as the facet class sees it, except that a facet's count query is
    answered from the stored counts of the table."""

    def __init__(self, ds, database: str, table: str):
        self._ds, self._database, self._table = ds, database, table

    def __getattr__(self, name):
        return getattr(self._ds, name)

    async def execute(self, database, sql, params=None, **kwargs):
        found = FACET_SQL.match(sql)
        limit = re.search(r"limit (\d+)\s*$", sql.strip())
        if database != self._database or not found or not limit:
            return await self._ds.execute(database, sql, params, **kwargs)
        column = found.group(1)
        column = column[1:-1] if column.startswith("[") and column.endswith("]") else column
        rows = await self._ds.execute(
            database,
            f"select value, count from [{TABLE}] where table_name = :t and column_name = :c and count > 0 "
            "order by rank limit :n",
            {"t": self._table, "c": column, "n": int(limit.group(1))},
        )
        return _Results(rows.rows)


class StoredColumnFacet(ColumnFacet):
    """Datasette's column facet, read from the stored counts for a whole table."""

    async def _stored(self) -> bool:
        whole = self.table and re.fullmatch(
            rf"select .+ from {re.escape(escape_sqlite(self.table))}\s*", self.sql, re.S
        )
        if not whole or self.params:
            return False
        if self.get_facet_size() + 1 > STORED_VALUES:
            return False
        db = self.ds.get_database(self.database)
        if TABLE not in await db.table_names():
            return False
        columns = {c["config"].get("column") or c["config"].get("simple") for c in self.get_configs()}
        stored = await db.execute(
            f"select distinct column_name from [{TABLE}] where table_name = :t", {"t": self.table}
        )
        have = {r[0] for r in stored.rows}
        # A column the build did not count (not configured then) is counted live.
        return columns <= have

    async def facet_results(self):
        if not await self._stored():
            return await super().facet_results()
        real = self.ds
        self.ds = _StoredCounts(real, self.database, self.table)
        try:
            return await super().facet_results()
        finally:
            self.ds = real


def register_facet_classes() -> list:
    """Datasette's facet classes, with its column facet replaced by the stored one."""
    from datasette.facets import ArrayFacet, DateFacet

    return [StoredColumnFacet, DateFacet, ArrayFacet]
