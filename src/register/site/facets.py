"""Facets of a table page read from the counts the build stored (register/database/facet_counts.py).

Datasette counts every configured facet over the rows a table page shows; with no
filter that is the whole table, half a second for the co-production log at a million
rows on every fresh request, and 1.5 s filtered on one common value. This facet class
answers each facet from the stored counts when the build stored it for that page: the
whole table, the table filtered on one stored column equal to one of its common
values, or a view filtered on two columns (register/database/pair_counts.py). Any other
page of a table filtered on columns equal to values, or searched, is counted from the
table's stored codes (coded_facets.py). The counts are exactly what the
query would give (the database is immutable between builds). Anything else is counted
live, as Datasette does: other kinds of filter, a view's rare filter value or a third
filter, a column that reads today's date. It replaces Datasette's own column facet, so
each facet is shown once, in the same form.
"""

from __future__ import annotations

import re

from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite
from datasette.utils.asgi import BadRequest

from register.database.facet_counts import STORED_VALUES, TABLE
from register.site import coded_facets, facet_labels, facet_links
from register.site.stored_answers import NO_VALUE, stored_pair, stored_value
from register.site.whole_selection import WholeSelection

FACET_SQL = re.compile(r"^\s*select (.+?) as value, count\(\*\) as count from \(", re.S)
# The one filter a stored count can stand for: a column equal to a value (`?gate=assess`),
# or two (register/database/pair_counts.py), in Datasette's order: by name.
ONE_FILTER = re.compile(r'\s*where "((?:[^"]|"")+)" = :p0\s*')
TWO_FILTERS = re.compile(r'\s*where "((?:[^"]|"")+)" = :p0 and "((?:[^"]|"")+)" = :p1\s*')


class _Results:
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)


class _Answered:
    """Datasette as the facet class sees it, except that a facet's count query is
    answered by `answer(column, limit)` (the facet query's rows, or None to count live)."""

    def __init__(self, ds, database: str, answer):
        self._ds, self._database, self._answer = ds, database, answer
        self._root: tuple | None = None  # (request, its address up to the path)

    def __getattr__(self, name):
        return getattr(self._ds, name)

    def absolute_url(self, request, path):
        """Datasette's, for the facet links of a page (2,000 of them when every value is
        shown): from a plain string, where its PrefixedUrlString ran dir(str) on every
        method urljoin calls (150 ms of the 340 a fresh `_facet_size=max` page of "You
        said" items took at a million log rows); and a path from the root, with nothing
        for urljoin to resolve, put after the page's own address up to its path, as
        urljoin would (30 ms more)."""
        path = str(path)
        if not path.startswith("/") or path.startswith("//") or "/." in path.split("?", 1)[0]:
            return self._ds.absolute_url(request, path)
        if self._root is None or self._root[0] is not request:
            self._root = (request, self._ds.absolute_url(request, "/")[:-1])
        return self._root[1] + path

    async def execute(self, database, sql, params=None, **kwargs):
        found = FACET_SQL.match(sql)
        limit = re.search(r"limit (\d+)\s*$", sql.strip())
        if database == self._database and found and limit:
            column = found.group(1)
            column = column[1:-1] if column.startswith("[") and column.endswith("]") else column
            rows = await self._answer(column, int(limit.group(1)))
            if rows is not None:
                return _Results(rows)
        return await self._ds.execute(database, sql, params, **kwargs)


def named_column(config) -> str | None:
    """The column a facet's configuration names, as Datasette reads it, or None when it
    names none (Datasette would fail on it)."""
    if (
        isinstance(config, dict)
        and isinstance(config.get("simple"), str)
        and config["simple"]
        and isinstance(config.get("column", ""), str)
    ):
        return config.get("column") or config["simple"]
    return None


def names_no_column(parameter: str) -> str:
    return f'{parameter}= must name a column, as text or as JSON such as {{"simple": "status"}}.'


class CheckedConfigs:
    """A facet's configurations, each once. `_facet={"simple": "theme"}` is JSON naming
    a column; any other JSON (`{}`, `{"simple": 1}`) was a 500 in Datasette, which reads
    config["simple"] as text: here it is a 400 naming the parameter. A facet both
    configured and asked for (`?_facet=status` where status is shown anyway) was shown
    twice, with the same element ids: here once."""

    def get_configs(self):
        configs, seen = [], set()
        for c in super().get_configs():
            column = named_column(c["config"])
            if column is None:
                raise BadRequest(names_no_column("_facet" if self.type == "column" else f"_facet_{self.type}"))
            if column not in seen:
                seen.add(column)
                configs.append(c)
        return configs


class StoredColumnFacet(WholeSelection, CheckedConfigs, ColumnFacet):
    """Datasette's column facet, read from the stored counts for a whole table or a table
    filtered on one common value."""

    def _head(self) -> re.Match | None:
        """`select ... from <table>` of the page's query, before its WHERE."""
        if not self.table:
            return None
        return re.match(rf"select .+ from {re.escape(escape_sqlite(self.table))}(?=\s|$)", self.sql, re.S)

    async def _stored(self) -> tuple | None:
        """(filter column, filter value) of the stored counts this page may read ('', ''
        for the whole table), or None when it must count live."""
        if not self.table or self.get_facet_size() + 1 > STORED_VALUES:
            return None
        head = self._head()
        if not head:
            return None
        rest = self.sql[head.end() :]
        db = self.ds.get_database(self.database)
        if TABLE not in await db.table_names():
            return None
        if not rest.strip() and not self.params:
            return ("", "")
        one, two = ONE_FILTER.fullmatch(rest), TWO_FILTERS.fullmatch(rest)
        if one and set(self.params) == {"p0"}:
            column = one.group(1).replace('""', '"')
            value = await stored_value(db.execute, self.table, column, self.params["p0"], column)
            return None if value is NO_VALUE else (column, value)
        if two and set(self.params) == {"p0", "p1"}:
            first, second = (two.group(k).replace('""', '"') for k in (1, 2))
            return await stored_pair(db.execute, self.table, first, second, self.params["p0"], self.params["p1"])
        return None

    async def facet_results(self):
        """Each facet from the stored counts where they have it, else from the stored
        codes (worked out at the first facet that needs them), else counted live."""
        await self.whole_selection()
        where = await self._stored()
        stored = self._from_stored(where) if where is not None else None
        coded: list = []

        async def answer(column: str, limit: int):
            rows = await stored(column, limit) if stored else None
            if rows is None:
                if not coded:
                    coded.append(await self._coded())
                rows = await coded[0](column, limit) if coded[0] else None
            return rows

        results, timed_out = await self._answered_by(answer)
        await facet_labels.relabel(self.ds, self.table, results)
        return results, timed_out

    async def _answered_by(self, answer):
        real = self.ds
        self.ds = _Answered(real, self.database, answer)
        try:
            return await super().facet_results()
        finally:
            self.ds = real

    def _from_stored(self, where: tuple):
        """The facet rows from the stored counts of the page's table and filter."""
        db = self.ds.get_database(self.database)

        async def answer(column: str, limit: int):
            rows = await db.execute(
                f"select rank, value, count from [{TABLE}] where table_name = :t and filter_column = :f "
                "and filter_value = :v and column_name = :c and rank <= :n order by rank",
                {"t": self.table, "f": where[0], "v": where[1], "c": column, "n": limit},
            )
            if rows.rows:  # rank 0 says the column was counted for this page
                return [{"value": r[1], "count": r[2]} for r in rows.rows if r[0] > 0 and r[2] > 0]
            return None

        return answer

    async def _coded(self):
        """The facet rows counted from the table's stored codes (coded_facets.py), for a
        page filtered on columns equal to values and searched, or None to count live."""
        head = self._head()
        found = coded_facets.clauses(self.sql[head.end() :]) if head else None
        if found is None:
            return None
        db = self.ds.get_database(self.database)
        codes = await coded_facets.for_today(db, self.table)
        rows = await coded_facets.matching(db, self.table, codes, found, self.params) if codes else None
        if rows is None:
            return None

        async def answer(column: str, limit: int):
            return coded_facets.counted(codes, column, rows, limit)

        return answer


def register_facet_classes() -> list:
    """Datasette's facet classes, with its column facet replaced by the stored one, and
    its facet values' links made once per page (facet_links.py)."""
    from datasette.facets import ArrayFacet, DateFacet

    facet_links.install()

    class CheckedDateFacet(WholeSelection, CheckedConfigs, DateFacet):
        pass

    class CheckedArrayFacet(WholeSelection, CheckedConfigs, ArrayFacet):
        pass

    return [StoredColumnFacet, CheckedDateFacet, CheckedArrayFacet]
