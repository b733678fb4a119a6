"""Three queries Datasette asks of its pages, answered from what the build stored, for
the served build (register/site/reload.py, BuildDatabase.execute): the file never changes.

- Before each view-table permission check, Datasette 0.65.5 looks up the table's own
  spelling (`NAME_LOOKUP`): 340 queries for the database page, 190 ms at a million log
  rows. Answered from the names, read once, folded as SQLite's NOCASE folds (ASCII only).
- A table page filtered on one column counts its rows (`select count(*) from t where
  "c" = :p0`): 160 ms for `measure_balance?balance=` (a CASE over the million-row log),
  29 ms for a facet link of the log. The build stored that count among the table's
  facet counts (register/database/facet_counts.py). Answered only where SQLite's `=`
  is plain text equality (a TEXT column or a view's untyped one, no collation) and the
  value is stored as text; anything else is counted by SQLite.
- A searched table page counts its rows (`select count(*) from t where rowid in (select
  rowid from t_fts where t_fts match ...)`): 105 to 155 ms for a common word at a million
  log rows, looking up each of 122,000 rows. Answered by counting the full-text index's
  matches alone (6 ms): the build makes t_fts an index of t's own rows (content="t"),
  one entry per row, so its matches are t's rows (the tests run FTS5's integrity check
  against the table). When the page's rows were picked from the stored codes
  (search_rows.py), the rows they matched are counted instead.
- A view filtered on two columns counts its rows (`select count(*) from v where "a" =
  :p0 and "b" = :p1`): 550 ms for `measure_balance` filtered on balance and gate at a
  million log rows. The build stored the counts under each pair of values of a view
  (register/database/pair_counts.py): the first column's one value's count is the answer.
- Any other count of a table's rows filtered on columns equal to values, or searched, is
  the number of rows the table's stored codes match (register/site/coded_facets.py):
  28 ms for two filters on equality impacts at a million log rows, by an index of one
  of the two columns, against a millisecond.
"""

from __future__ import annotations

import re
import string

from datasette.database import Results
from datasette.utils import escape_sqlite

from register.database import pair_counts
from register.database.facet_counts import TABLE
from register.site import coded_facets

NAME_LOOKUP = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"
ALL_NAMES = "select name from sqlite_master where type in ('table', 'view') order by rowid"
NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
COUNT = re.compile(r'select count\(\*\) from (\w+|\[[^\]]+\]) where "((?:[^"]|"")+)" = :p0')
PAIR_COUNT = re.compile(
    r'select count\(\*\) from (\w+|\[[^\]]+\]) where "((?:[^"]|"")+)" = :p0 and "((?:[^"]|"")+)" = :p1'
)
NO_VALUE = object()  # stored_value: no stored value matches
FILTERED_COUNT = re.compile(r"select count\(\*\) from (\w+|\[[^\]]+\]) (where .*)", re.S)
SEARCH_COUNT = re.compile(
    r"select count\(\*\) from (\w+) where rowid in \(select rowid from (\w+) where (\w+) match "
    r"(escape_fts\(:search\)|:search)\)"
)


class StoredAnswers:
    """Answers for one build; `answer` gives None for a query it does not answer."""

    def __init__(self):
        self.names: dict[str, str] | None = None
        self.text_columns: dict[str, set[str]] = {}

    async def answer(self, execute, sql: str, params, db=None) -> Results | None:
        if sql == NAME_LOOKUP and params and len(params) == 1 and isinstance(params[0], str):
            return await self._name(execute, params[0])
        found = COUNT.fullmatch(sql.strip())  # Datasette ends it with a space
        if found and isinstance(params, dict) and set(params) == {"p0"} and isinstance(params["p0"], str):
            table, column = found.group(1).strip("[]"), found.group(2).replace('""', '"')
            counted = await self._count(execute, table, column, params["p0"])
            if counted is not None:
                return counted
        found = SEARCH_COUNT.fullmatch(sql.strip())
        if found and isinstance(params, dict) and set(params) == {"search"}:
            return await self._search_count(execute, *found.groups(), params, db)
        found = PAIR_COUNT.fullmatch(sql.strip())
        if found and isinstance(params, dict) and set(params) == {"p0", "p1"}:
            counted = await self._pair_count(
                execute, found.group(1).strip("[]"), found.group(2), found.group(3), params
            )
            if counted is not None:
                return counted
        found = FILTERED_COUNT.fullmatch(sql.strip())
        if found and db is not None and isinstance(params, dict):
            return await self._coded_count(db, found.group(1).strip("[]"), found.group(2), params)
        return None

    async def _pair_count(self, execute, table: str, first: str, second: str, params: dict) -> Results | None:
        """The rows of a view filtered on two columns: under the pair of values
        (register/database/pair_counts.py), the count of the first column's one value."""
        if self.names is None:
            await self._name(execute, "")
        if TABLE not in self.names.values():
            return None
        first, second = first.replace('""', '"'), second.replace('""', '"')
        pair = await stored_pair(execute, table, first, second, params["p0"], params["p1"])
        if pair is None:
            return None
        rows = (
            await execute(
                f"select count from [{TABLE}] where table_name = :t and filter_column = :f and filter_value = :v "
                "and column_name = :c and rank = 1",
                {"t": table, "f": pair[0], "v": pair[1], "c": first},
            )
        ).rows
        return Results([(rows[0][0],)], False, [("count(*)",)]) if rows else None

    async def _coded_count(self, db, table: str, where: str, params: dict) -> Results | None:
        clauses = coded_facets.clauses(where)
        codes = await coded_facets.for_today(db, table) if clauses else None
        rows = await coded_facets.matching(db, table, codes, clauses, params) if codes else None
        return None if rows is None else Results([(len(rows),)], False, [("count(*)",)])

    async def _search_count(
        self, execute, table: str, fts: str, column: str, match: str, params, db=None
    ) -> Results | None:
        if fts != f"{table}_fts" or column != fts:
            return None
        codes = await coded_facets.codes_of(db, table) if db is not None else None
        known = coded_facets.searched_already(codes, fts, column, match, params) if codes else None
        if known is not None:  # the page's rows found them (search_rows.py): the rows of t matched
            return Results([(len(known),)], False, [("count(*)",)])
        master = (await execute("select sql from sqlite_master where name = :n", {"n": fts})).rows
        made = " ".join((master[0][0] or "").split()) if master else ""
        if not re.search(rf"USING FTS5 \(.*\bcontent=(\"{table}\"|'{table}'|{table})\s*\)$", made, re.I | re.S):
            return None
        rows = (await execute(f"select count(*) from {fts} where {fts} match {match}", params)).rows
        return Results([(rows[0][0],)], False, [("count(*)",)])

    async def _name(self, execute, name: str) -> Results:
        if self.names is None:
            names: dict[str, str] = {}
            for (found,) in (await execute(ALL_NAMES)).rows:
                names.setdefault(found.translate(NOCASE), found)  # the first, as SQLite's scan finds it
            self.names = names
        found = self.names.get(name.translate(NOCASE))
        return Results([(found,)] if found is not None else [], False, [("name",)])

    async def _count(self, execute, table: str, column: str, value: str) -> Results | None:
        if self.names is None:
            await self._name(execute, "")
        if TABLE not in self.names.values():  # a copy without stored counts
            return None
        if table not in self.text_columns:
            self.text_columns[table] = await self._text_columns(execute, table)
        if column not in self.text_columns[table]:
            return None
        rows = (
            await execute(
                f"select count from [{TABLE}] where table_name = :t and filter_column = '' and filter_value = '' "
                "and column_name = :c and rank > 0 and typeof(value) = 'text' and value = :v",
                {"t": table, "c": column, "v": value},
            )
        ).rows
        return Results([(rows[0][0],)], False, [("count(*)",)]) if rows else None

    async def _text_columns(self, execute, table: str) -> set[str]:
        """Columns whose `=` with a text parameter is plain text equality: declared TEXT
        (or a view's, with no type), in a table or view written without a collation."""
        master = (await execute("select sql from sqlite_master where name = :t", {"t": table})).rows
        if not master or not master[0][0] or "collate" in master[0][0].lower():
            return set()
        found = await execute("select name, type from pragma_table_info(:t)", {"t": table})
        return {name for name, declared in found.rows if (declared or "").upper() in ("TEXT", "")}


async def stored_value(execute, table: str, column: str, param, under: str):
    """The stored value a filter `column = param` matches, typed as the column compares
    it (the text "1" matches the integer 1 in an integer column, not in an untyped one),
    among the values counted under filter column `under` (one filter's common values),
    or among all the column's counted values (''): NO_VALUE when none does."""
    if under:
        sql = (
            f"select distinct filter_value from [{TABLE}] where table_name = :t and filter_column = :f "
            "and cast(filter_value as text) = :p"
        )
    else:
        sql = (
            f"select distinct value from [{TABLE}] where table_name = :t and filter_column = '' "
            "and column_name = :f and rank > 0 and cast(value as text) = :p"
        )
    for (value,) in (await execute(sql, {"t": table, "f": column, "p": str(param)})).rows:
        matched = await execute(
            f"select 1 from (select {escape_sqlite(column)} as v from {escape_sqlite(table)} "
            f"where {escape_sqlite(column)} = :v limit 1) where v = :p0",
            {"v": value, "p0": param},
        )
        if matched.rows:
            return value
    return NO_VALUE


async def stored_pair(execute, table: str, first: str, second: str, p0, p1) -> tuple[str, str] | None:
    """(filter column, filter value) of the counts stored under a view's two filters
    `first = p0 and second = p1` (register/database/pair_counts.py), or None when none are
    stored for them (a table's codes count any filters)."""
    key = pair_counts.key((first, second))
    if not (
        await execute(
            f"select 1 from [{TABLE}] where table_name = :t and filter_column = :f limit 1", {"t": table, "f": key}
        )
    ).rows:
        return None
    found = {}
    for column, param in ((first, p0), (second, p1)):
        found[column] = await stored_value(execute, table, column, param, "")
        if found[column] is NO_VALUE:
            return None
    value = pair_counts.value(found)
    sql = f"select 1 from [{TABLE}] where table_name = :t and filter_column = :f and filter_value = :v limit 1"
    return (key, value) if (await execute(sql, {"t": table, "f": key, "v": value})).rows else None
