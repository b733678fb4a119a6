"""Two queries Datasette asks of every page, answered from what the build stored, for
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
"""

from __future__ import annotations

import re
import string

from datasette.database import Results

from register.database.facet_counts import TABLE

NAME_LOOKUP = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"
ALL_NAMES = "select name from sqlite_master where type in ('table', 'view') order by rowid"
NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
COUNT = re.compile(r'select count\(\*\) from (\w+|\[[^\]]+\]) where "((?:[^"]|"")+)" = :p0')


class StoredAnswers:
    """Answers for one build; `answer` gives None for a query it does not answer."""

    def __init__(self):
        self.names: dict[str, str] | None = None
        self.text_columns: dict[str, set[str]] = {}

    async def answer(self, execute, sql: str, params) -> Results | None:
        if sql == NAME_LOOKUP and params and len(params) == 1 and isinstance(params[0], str):
            return await self._name(execute, params[0])
        found = COUNT.fullmatch(sql.strip())  # Datasette ends it with a space
        if found and isinstance(params, dict) and set(params) == {"p0"} and isinstance(params["p0"], str):
            table, column = found.group(1).strip("[]"), found.group(2).replace('""', '"')
            return await self._count(execute, table, column, params["p0"])
        return None

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
