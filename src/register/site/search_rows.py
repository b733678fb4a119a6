"""The rows of a searched table page, or of one filtered to many rows, found from the
codes the build stored (register/database/facet_codes.py) instead of by sorting every match.

Datasette asks `select ... from t where rowid in (select rowid from t_fts where t_fts
match ...) order by activity_date desc limit 51`. SQLite reads every matching row to sort
them: 170 ms for the 122,000 matches of "transport" in the log at a million rows.
Walking the date index instead takes 29 ms for that word, but 1.5 s for a word with no
match, and SQLite cannot tell the two apart. Here the matches are the positions the
stored codes give (coded_facets.matching, which the page's facets read too), the page's
rows are the first `limit` of them by the stored codes of the sort column, and SQLite
reads only those rows: a few milliseconds, whatever the word.

The order is SQLite's: by the sort column's value as SQLite compares it (NULL first,
then numbers, then text by its bytes, facet_counts.value_ranks), and among equal values
by primary key, as the next page continues (register/site/tie_break.py): the rows sharing
the page's last value are all looked up and SQLite orders them
(tests/integration/test_search_rows.py compares each page with the one SQLite gives).
Only a first page is answered: of a search, with or without filters on columns equal to
values, or of such filters matching SORTED_ROWS rows or more, sorted by a column with
stored codes, of a table without a collation. Anything else is SQLite's.
"""

from __future__ import annotations

import re

import numpy as np
from datasette.database import Results

from register.database.facet_counts import value_ranks
from register.site import coded_facets, tie_break

# Rows sharing the last sort value of a page, beyond the page, that are looked up here.
MAX_TIED = 5_000
# A page filtered on columns equal to values, not searched, is answered here when it
# matches at least this many rows: SQLite may sort them all when no index serves both
# the filter and the sort (2.4 s for the log filtered on its one `source` at a million
# rows); fewer, it sorts them in a few milliseconds whatever its plan.
SORTED_ROWS = 5_000
NAME = tie_break.NAME
ROWS = re.compile(rf"select (.+?) from ({NAME}) (where .+ )order by ({NAME})( desc)? limit (\d+)", re.S)


async def answer(execute, db, sql: str, params, **kwargs) -> Results | None:
    """The page's rows, or None for SQLite to find them."""
    found = ROWS.fullmatch(sql.strip())
    if not found or not isinstance(params, dict):
        return None
    columns, table, where, sort, desc, limit = found.groups()
    table, sort = tie_break.unquoted(table), tie_break.unquoted(sort)
    clauses = coded_facets.clauses(where)
    if not clauses:
        return None
    searched = any(c.re is coded_facets.SEARCH for c in clauses)
    codes = await coded_facets.codes_of(db, table)
    if codes is None or codes.view or sort not in codes.codes or await _collated(execute, codes, table):
        return None
    # Filters on a dated column (a view's) are never here: views have no search.
    rows = await coded_facets.matching(db, table, codes, clauses, params)
    if rows is None or (not searched and len(rows) < SORTED_ROWS):
        return None
    first = first_rows(rank_of(codes, sort)[codes.codes[sort].take(rows)], rows, int(limit), bool(desc))
    tie = await tie_break.tie_key(db, table)
    if first is None or tie is None:
        return None  # too many rows share the last value shown: SQLite sorts them
    rowids = [int(r) for r in codes.rowids.take(first)]
    if not rowids:
        return await execute(f"select {columns} from {found.group(2)} where 0", {}, **kwargs)
    picked = (
        f"select {columns} from {found.group(2)} where rowid in ({', '.join(map(str, rowids))}) "
        f"order by {found.group(4)}{desc or ''}, {tie} limit {limit}"
    )
    return await execute(picked, {}, **kwargs)


def first_rows(keys: np.ndarray, rows: np.ndarray, limit: int, desc: bool) -> np.ndarray | None:
    """Of the rows (positions in rowid order) with these sort keys, the first `limit` by
    key (descending if `desc`) and every other row that shares the last of those keys:
    SQLite then orders them by the key and the primary key, as the next page continues
    (register/site/tie_break.py). None when more than MAX_TIED rows share that key."""
    if limit < 1:  # `limit 0`: no row (the cut below would be past the end, descending)
        return rows[:0]
    if len(keys) > limit:
        # No copy of a million keys: the cut is found from the other end when descending.
        at = len(keys) - limit if desc else limit - 1
        cut = np.partition(keys, at)[at]
        inside = keys >= cut if desc else keys <= cut
        if int(inside.sum()) > limit + MAX_TIED:
            return None
        keys, rows = keys[inside], rows[inside]
    keys = keys.astype(np.int64)
    return rows[np.lexsort((rows, -keys if desc else keys))]


def rank_of(codes: coded_facets.Codes, column: str) -> np.ndarray:
    """Each of the column's codes' place in SQLite's order of its values, NULL first
    (kept on the codes)."""
    kept = codes.__dict__.setdefault("_sort_ranks", {})
    if column not in kept:
        values = codes.values[column]
        ranks = value_ranks(values)
        ranks[[k for k, v in enumerate(values) if v is None]] = -1
        kept[column] = ranks
    return kept[column]


async def _collated(execute, codes: coded_facets.Codes, table: str) -> bool:
    """Whether the table is written with a collation (its text would not sort by bytes)."""
    if "_collated" not in codes.__dict__:
        master = (await execute("select sql from sqlite_master where name = :t", {"t": table})).rows
        codes.__dict__["_collated"] = not master or not master[0][0] or "collate" in master[0][0].lower()
    return codes.__dict__["_collated"]
