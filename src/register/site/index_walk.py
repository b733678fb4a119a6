"""A filtered table page sorted by a column an index leads with reads that index in order,
when the filters keep many rows.

SQLite picks a plan from its statistics, which give each value of a column the average
number of rows. At a million log rows a place has 10,000 on average, but "online" has
302,000: filtered on it and sorted by identifier, SQLite looked the rows up by place and
sorted all 302,000 (1.0 s, then a 400 at the time limit on a loaded machine), where
walking the identifiers' index and keeping the rows online stops after 170 rows (0.1 ms).
The stored codes know exactly how many rows the filters keep
(register/site/coded_facets.py); when that is at least SORTED_ROWS and a WALK_SHARE of
the table, the page's query is told which index to read (`INDEXED BY`), so the walk meets
a page's rows within a few thousand entries. Fewer rows, SQLite's own plan sorts them in
a few milliseconds.

A next page's condition on a column sorted downwards says `or <column> is null`, which
keeps SQLite from starting the walk where the page starts (395 ms for the log filtered on
a gate, by project downwards); it is left out when the column holds no NULL.

Only a table page's own query is changed (tie_break.TABLE_PAGE), after its tie-break is
added (tie_break.ordered): the rows are the same, in the same order
(tests/integration/test_index_walk.py compares every page with SQLite's own).
"""

from __future__ import annotations

import re

import numpy as np

from register.database.column_codes import leading_indexes
from register.database.facet_counts import TABLE as FACET_COUNTS
from register.site import coded_facets, tie_break
from register.site.stored_answers import NO_VALUE, stored_value

# Kept rows, at least: and at least this share of the table's.
SORTED_ROWS = 5_000
WALK_SHARE = 0.01
NAME = tie_break.NAME
PAGE = re.compile(
    rf"(select .+? from ({NAME}) )(where .+ )?order by ({NAME})( desc)?((?:, {NAME}(?: desc)?)* limit \d+)",
    re.S,
)


async def walked(db, sql: str, params) -> str:
    """`sql` reading the sort column's index, where that pays; otherwise unchanged."""
    page = tie_break.TABLE_PAGE.get()
    found = PAGE.fullmatch(sql.strip()) if page and isinstance(params, dict) else None
    if not found:
        return sql
    head, table, where, sort, desc, tail = found.groups()
    if tie_break.unquoted(table) != page or not where:
        return sql
    filters, keyset = _split(where, sort)
    clauses = coded_facets.clauses(filters)
    if clauses is None or any(c.re is not coded_facets.EQUALS for c in clauses):
        return sql
    codes = await coded_facets.codes_of(db, page)
    index = await _index_for(db, page, tie_break.unquoted(sort))
    if (codes is not None and codes.view) or index is None:
        return sql
    found = await _kept(db, page, codes, clauses, params)
    if found is None or found[0] < SORTED_ROWS or found[0] < WALK_SHARE * found[1]:
        return sql
    if keyset and desc and not await _has_null(db, page, tie_break.unquoted(sort)):
        keyset = keyset.replace(f" or {sort} is null", "", 1)
    where = " and ".join(part for part in (filters.strip()[len("where ") :], keyset) if part)
    return f"{head}indexed by [{index}] where {where} order by {sort}{desc or ''}{tail}"


async def _kept(db, table: str, codes, clauses: list, params: dict) -> tuple[int, int] | None:
    """(rows the filters keep, rows of the table), from the stored codes, or from the
    stored facet counts for a table without codes; None when neither can say. A filter's
    value is found among the column's stored counts (stored_answers.stored_value) when it
    cannot be looked up in an index (a measure's `passed`)."""
    size = codes.size if codes is not None else await _size(db, table)
    if not clauses:
        return size, size
    if codes is not None:
        rows = await coded_facets.matching(db, table, codes, clauses, params)
        if rows is not None:
            return len(rows), size
    mask = np.ones(codes.size, dtype=bool) if codes is not None else None
    for clause in clauses:
        column = clause.group(1).replace('""', '"')
        if clause.group(2) not in params:
            return None
        value = await stored_value(db.execute, table, column, params[clause.group(2)], "")
        if value is NO_VALUE:
            return None  # not among the stored counts: rare, or not a facet
        if mask is None:
            return (await _stored_count(db, table, column, value), size) if len(clauses) == 1 else None
        code = codes.code(column, value) if column in codes.codes else None
        if code is None:
            return None
        mask &= codes.codes[column] == code
    return int(mask.sum()), size


async def _stored_count(db, table: str, column: str, value) -> int:
    rows = await db.execute(
        f"select count from [{FACET_COUNTS}] where table_name = :t and filter_column = '' and filter_value = '' "
        "and column_name = :c and rank > 0 and value = :v",
        {"t": table, "c": column, "v": value},
    )
    return rows.rows[0][0] if rows.rows else 0


async def _size(db, table: str) -> int:
    kept = db.__dict__.setdefault("_register_table_sizes", {})
    if table not in kept:
        kept[table] = (await db.execute(f"select count(*) from [{table}]")).rows[0][0]
    return kept[table]


def _split(where: str, sort: str) -> tuple[str, str]:
    """The page's filters (`where ...`, or "") and its next page's condition (or ""),
    which Datasette puts last: a parenthesised clause on the sort column."""
    where = where.strip()
    for marker in (f"where ({sort} ", f"where (({sort} "):
        if where.startswith(marker):
            return "", where[len("where ") :]
    for marker in (f" and ({sort} ", f" and (({sort} "):
        at = where.find(marker)
        if at != -1:
            return where[:at], where[at + len(" and ") :]
    return where, ""


async def _index_for(db, table: str, column: str) -> str | None:
    """An index of the table whose first column is `column` (kept on the database
    object: a build never changes)."""
    kept = db.__dict__.setdefault("_register_sort_indexes", {})
    if table not in kept:
        kept[table] = await db.execute_fn(lambda conn: leading_indexes(conn, table))
    return kept[table].get(column)


async def _has_null(db, table: str, column: str) -> bool:
    kept = db.__dict__.setdefault("_register_null_columns", {})
    if (table, column) not in kept:
        rows = await db.execute(f"select 1 from [{table}] where [{column}] is null limit 1")
        kept[(table, column)] = bool(rows.rows)
    return kept[(table, column)]
