"""Facets of a table page read from the counts the build stored (register/database/facet_counts.py).

Datasette counts every configured facet over the rows a table page shows; with no
filter that is the whole table, half a second for the co-production log at a million
rows on every fresh request, and 1.5 s filtered on one common value. This facet class
answers each facet from the stored counts when the build stored it for that page: the
whole table, or the table filtered on one stored column equal to one of its common
values. The counts are exactly what the query would give (the database is immutable
between builds). Anything else is counted live, as Datasette does: other filters, a
search, a column the build did not count (a rare filter value, a column that reads
today's date), more values than were stored. It replaces Datasette's own column facet,
so each facet is shown once, in the same form.
"""

from __future__ import annotations

import re

from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite

from register.database.facet_counts import STORED_VALUES, TABLE

FACET_SQL = re.compile(r"^\s*select (.+?) as value, count\(\*\) as count from \(", re.S)
# The one filter a stored count can stand for: a column equal to a value (`?gate=assess`).
ONE_FILTER = re.compile(r'\s*where "((?:[^"]|"")+)" = :p0\s*')


class _Results:
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)


class _StoredCounts:
    """Datasette as the facet class sees it, except that a facet's count query is
    answered from the stored counts of the page's table and filter, where there are any."""

    def __init__(self, ds, database: str, table: str, where: tuple):
        self._ds, self._database, self._table, self._where = ds, database, table, where

    def __getattr__(self, name):
        return getattr(self._ds, name)

    async def execute(self, database, sql, params=None, **kwargs):
        found = FACET_SQL.match(sql)
        limit = re.search(r"limit (\d+)\s*$", sql.strip())
        if database == self._database and found and limit:
            column = found.group(1)
            column = column[1:-1] if column.startswith("[") and column.endswith("]") else column
            rows = await self._ds.execute(
                database,
                f"select rank, value, count from [{TABLE}] where table_name = :t and filter_column = :f "
                "and filter_value = :v and column_name = :c and rank <= :n order by rank",
                {"t": self._table, "f": self._where[0], "v": self._where[1], "c": column, "n": int(limit.group(1))},
            )
            if rows.rows:  # rank 0 says the column was counted for this page
                return _Results([{"value": r[1], "count": r[2]} for r in rows.rows if r[0] > 0 and r[2] > 0])
        return await self._ds.execute(database, sql, params, **kwargs)


class StoredColumnFacet(ColumnFacet):
    """Datasette's column facet, read from the stored counts for a whole table or a table
    filtered on one common value."""

    async def _stored(self) -> tuple | None:
        """(filter column, filter value) of the stored counts this page may read ('', ''
        for the whole table), or None when it must count live."""
        if not self.table or self.get_facet_size() + 1 > STORED_VALUES:
            return None
        head = re.match(rf"select .+ from {re.escape(escape_sqlite(self.table))}(?=\s|$)", self.sql, re.S)
        if not head:
            return None
        rest = self.sql[head.end() :]
        db = self.ds.get_database(self.database)
        if TABLE not in await db.table_names():
            return None
        if not rest.strip() and not self.params:
            return ("", "")
        one = ONE_FILTER.fullmatch(rest)
        if not one or set(self.params) != {"p0"}:
            return None
        column = one.group(1).replace('""', '"')
        # The value the filter matches, typed as the column compares it (the text "1"
        # matches the integer 1 in an integer column, not in an untyped one): the stored
        # counts are keyed by it. Only values stored as common are looked up in the table.
        candidates = await db.execute(
            f"select distinct filter_value from [{TABLE}] where table_name = :t and filter_column = :f "
            "and cast(filter_value as text) = :p",
            {"t": self.table, "f": column, "p": str(self.params["p0"])},
        )
        for (value,) in candidates.rows:
            matched = await db.execute(
                f"select 1 from (select {escape_sqlite(column)} as v from {escape_sqlite(self.table)} "
                f"where {escape_sqlite(column)} = :v limit 1) where v = :p0",
                {"v": value, "p0": self.params["p0"]},
            )
            if matched.rows:
                return (column, value)
        return None

    async def facet_results(self):
        where = await self._stored()
        if where is None:
            return await super().facet_results()
        real = self.ds
        self.ds = _StoredCounts(real, self.database, self.table, where)
        try:
            return await super().facet_results()
        finally:
            self.ds = real


def register_facet_classes() -> list:
    """Datasette's facet classes, with its column facet replaced by the stored one."""
    from datasette.facets import ArrayFacet, DateFacet

    return [StoredColumnFacet, DateFacet, ArrayFacet]
