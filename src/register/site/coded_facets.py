"""Facets of a table page counted from the codes the build stored (register/database/facet_codes.py)
for filters on columns being equal to values, any number of them, and a search.

Datasette counts each facet with a GROUP BY over the rows the page shows: at a million
log rows, 540 ms for the seven facets of the log filtered on two columns, 1.2 s for a
search matching 122,000 rows. Here the matching rows are a numpy mask over the stored
codes (a filter: the rows whose code is the value's; a search: the rows whose rowid the
full-text index matches) and each facet is one bincount. The counts are what the GROUP
BY gives: the value a filter matches is the one SQLite's own `=` finds in the column's
index, and the order is SQLite's (facet_counts.sqlite_order). Anything else, or a column
without an index to look the value up in, is counted live.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from register.database.facet_codes import ROWIDS, TABLE
from register.database.facet_counts import sqlite_order, top_counts

NAME = r'(?:\[[^\]]+\]|"(?:[^"]|"")+"|\w+)'
EQUALS = re.compile(r'"((?:[^"]|"")+)" = :(\w+)')
SEARCH = re.compile(rf"rowid in \(select rowid from ({NAME}) where ({NAME}) match (escape_fts\(:\w+\)|:\w+)\)")
AND = re.compile(r"\s+and\s+")


@dataclass
class Codes:
    """One table's stored codes: per column its values, their codes by value, and the
    code of each row; the rows' rowids."""

    values: dict[str, list]
    codes: dict[str, np.ndarray]
    rowids: np.ndarray
    by_value: dict[str, dict] = field(default_factory=dict)
    indexed: set[str] = field(default_factory=set)

    def code(self, column: str, value) -> int | None:
        if column not in self.by_value:
            self.by_value[column] = {v: k for k, v in enumerate(self.values[column])}
        return self.by_value[column].get(value)


async def codes_of(db, table: str) -> Codes | None:
    """The table's codes, read once per build (kept on the build's Database object), or
    None when the build stored none."""
    kept = db.__dict__.setdefault("_register_codes", {})
    if table not in kept:
        kept[table] = await _read(db, table)
    return kept[table]


def _stored_rows(table: str):
    def read(conn: sqlite3.Connection) -> list:
        # A column's codes are megabytes: over the length the site allows any one value
        # (sql_guard.MAX_VALUE_BYTES, against SQL that builds huge strings), so that limit
        # is lifted for this read of the site's own table alone.
        limit = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000_000)
        try:
            sql = f"select column_name, vals, codes from [{TABLE}] where table_name = ?"
            return conn.execute(sql, (table,)).fetchall()
        finally:
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)

    return read


async def _read(db, table: str) -> Codes | None:
    if TABLE not in await db.table_names():
        return None
    rows = await db.execute_fn(_stored_rows(table))
    if not rows:
        return None
    values = {r[0]: json.loads(r[1]) for r in rows if r[0] != ROWIDS}
    codes = {r[0]: np.frombuffer(r[2], dtype="<i4") for r in rows if r[0] != ROWIDS}
    rowids = next(np.frombuffer(r[2], dtype="<i8") for r in rows if r[0] == ROWIDS)
    # A value is looked up with SQLite's `=` in an index that leads with its column (one
    # step, however many rows); a column without one is counted live.
    indexes = (await db.execute("select name from pragma_index_list(:t)", {"t": table})).rows
    indexed = set()
    for (name,) in indexes:
        first = (await db.execute("select name from pragma_index_info(:i) where seqno = 0", {"i": name})).rows
        indexed |= {r[0] for r in first}
    return Codes(values, codes, rowids, indexed=indexed)


def clauses(where: str) -> list[re.Match] | None:
    """The clauses of a table page's WHERE (`where "gate" = :p0 and rowid in (select
    rowid from ... match ...)`), each a filter or a search; None for anything else."""
    where = where.strip()
    if not where:
        return []
    if not where.startswith("where "):
        return None
    found, at = [], len("where ")
    while True:
        clause = EQUALS.match(where, at) or SEARCH.match(where, at)
        if not clause:
            return None
        found.append(clause)
        at = clause.end()
        if at == len(where):
            return found
        joined = AND.match(where, at)
        if not joined:
            return None
        at = joined.end()


async def matching(db, table: str, codes: Codes, found: list[re.Match], params: dict) -> np.ndarray | None:
    """The positions of the rows the clauses match in the codes; None to count live."""
    mask = np.ones(len(codes.rowids), dtype=bool)
    for clause in found:
        if clause.re is EQUALS:
            column = clause.group(1).replace('""', '"')
            if column not in codes.codes or column not in codes.indexed or clause.group(2) not in params:
                return None
            sql = f'select "{clause.group(1)}" from [{table}] where "{clause.group(1)}" = :p limit 1'
            hit = (await db.execute(sql, {"p": params[clause.group(2)]})).rows
            code = codes.code(column, hit[0][0]) if hit else -1
            if code is None:  # a value the stored codes do not know: they are not this table's
                return None
            mask &= codes.codes[column] == code
        else:
            fts, column, expr = clause.groups()
            if fts.strip('[]"') != f"{table}_fts":
                return None
            sql = f"select rowid from {fts} where {column} match {expr}"
            rowids = await db.execute_fn(lambda conn, sql=sql: _rowids(conn, sql, params))
            hits = np.zeros(len(codes.rowids), dtype=bool)
            hits[_present(codes, rowids)] = True
            mask &= hits
    return np.flatnonzero(mask)


def _rowids(conn: sqlite3.Connection, sql: str, params: dict) -> np.ndarray:
    """The rowids a search matches, read as plain tuples (sqlite3.Row objects, which
    Datasette's rows are, take twice as long for the 122,000 matches of a common word
    at a million log rows)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return np.fromiter((r[0] for r in cursor.execute(sql, params)), dtype="<i8")


def _present(codes: Codes, rowids: np.ndarray) -> np.ndarray:
    """Positions of the rowids the table has (a search may name rows it has not)."""
    at = np.searchsorted(codes.rowids, rowids)
    keep = at < len(codes.rowids)
    at, rowids = at[keep], rowids[keep]
    return at[codes.rowids[at] == rowids]


def counted(codes: Codes, column: str, rows: np.ndarray, limit: int) -> list[dict] | None:
    """The facet query's rows for column over the rows at positions `rows`: its
    commonest `limit` values with their counts, in SQLite's order; None when the column
    has no codes."""
    if column not in codes.codes:
        return None
    values = codes.values[column]
    counts = np.bincount(codes.codes[column].take(rows), minlength=len(values))
    found = sorted(top_counts(counts, values, limit), key=sqlite_order)[:limit]
    return [{"value": v, "count": n} for v, n in found]
