"""Facets of a table page counted from the codes the build stored (register/database/facet_codes.py)
for filters on columns being equal to values, any number of them, and a search.

Datasette counts each facet with a GROUP BY over the rows the page shows: at a million
log rows, 540 ms for the seven facets of the log filtered on two columns, 1.2 s for a
search matching 122,000 rows. Here the matching rows are a numpy mask over the stored
codes (a filter: the rows whose code is the value's; a search: the rows whose rowid the
full-text index matches) and each facet is one bincount. The counts are what the GROUP
BY gives: the value a filter matches is the one SQLite's own `=` finds in the column's
index, and the order is SQLite's (facet_counts.ranked). Anything else, or a
table's column without an index to look the value up in, is counted live.

A view coded by the build (the current "You said" view) is counted the same way; its
column that reads today's date (`overdue`) is worked out once a day from one row of each
combination of the columns it depends on (`for_today`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
from datasette.utils import sqlite_timelimit

from register.database.column_codes import leading_indexes, long_values, rowid_list
from register.database.facet_codes import ROWIDS, TABLE
from register.database.facet_counts import ranked, value_ranks

NAME = r'(?:\[[^\]]+\]|"(?:[^"]|"")+"|\w+)'
EQUALS = re.compile(r'"((?:[^"]|"")+)" = :(\w+)')
SEARCH = re.compile(rf"rowid in \(select rowid from ({NAME}) where ({NAME}) match (escape_fts\(:\w+\)|:\w+)\)")
AND = re.compile(r"\s+and\s+")
# The matching rows of the searches of the request being answered (`one_request`).
SEARCHES: ContextVar[dict | None] = ContextVar("register_searches", default=None)


@dataclass
class Codes:
    """One table's stored codes: per column its values, their codes by value, and the
    code of each row; the rows' rowids (none for a view). A view's dated columns, until
    worked out for the day (`for_today`): {column: (key, one row's key per code, codes)}."""

    values: dict[str, list]
    codes: dict[str, np.ndarray]
    rowids: np.ndarray
    by_value: dict[str, dict] = field(default_factory=dict)
    indexed: set[str] = field(default_factory=set)
    dated: dict[str, tuple] = field(default_factory=dict)
    view: bool = False
    # Of a view's dated columns worked out for a day: {column: (key, a row's key per value)}.
    keys_of_values: dict[str, tuple] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(next(iter(self.codes.values()))) if self.codes else len(self.rowids)

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
        with long_values(conn):
            sql = f"select column_name, vals, codes from [{TABLE}] where table_name = ?"
            return conn.execute(sql, (table,)).fetchall()

    return read


async def _read(db, table: str) -> Codes | None:
    if TABLE not in await db.table_names():
        return None
    rows = await db.execute_fn(_stored_rows(table))
    if not rows:
        return None
    order = next(json.loads(r[1]) for r in rows if r[0] == ROWIDS)
    values = {r[0]: json.loads(r[1]) for r in rows if r[0] != ROWIDS}
    codes = {r[0]: np.frombuffer(r[2], dtype="<i4") for r in rows if r[0] != ROWIDS}
    rowids = next(np.frombuffer(r[2], dtype="<i8") for r in rows if r[0] == ROWIDS)
    dated = {c: (v["key"], v["rows"], codes.pop(c)) for c, v in list(values.items()) if isinstance(v, dict)}
    for c in dated:
        del values[c]
    # A value is looked up with SQLite's `=` in an index that leads with its column (one
    # step, however many rows); a column without one is counted live.
    indexed = set(await db.execute_fn(lambda conn: leading_indexes(conn, table)))
    return Codes(values, codes, rowids, indexed=indexed, dated=dated, view=order != "rowid")


async def warm(db) -> None:
    """Read every coded table's codes, and a dated view's values today, before a
    visitor's page needs them: at a million log rows, 83 MB and about half a second a
    server process, which the first filtered or searched page of each table paid (one
    request in five of a project's current "You said" items took 110 ms, the others 35)."""
    if TABLE not in await db.table_names():
        return
    for (table,) in (await db.execute(f"select distinct table_name from [{TABLE}]")).rows:
        await for_today(db, table)


async def for_today(db, table: str) -> Codes | None:
    """The table's codes with its dated columns worked out for today: the view gives
    each dated column's value today for one row of each combination of the columns it
    depends on, and every row with that combination has it (a few thousand rows, where
    the view would work out 278,000 for a page of "You said" items at a million log rows)."""
    codes = await codes_of(db, table)
    if codes is None or not codes.dated:
        return codes
    # Worked out once a day: the same day, the view gives the same values (the day is
    # SQLite's, as the view reads it).
    today = (await db.execute("select date('now', 'localtime')")).rows[0][0]
    kept = codes.__dict__.setdefault("_today", {})
    if today not in kept:
        kept.clear()
        kept[today] = await _worked_out(db, table, codes)
    return kept[today]


async def _worked_out(db, table: str, codes: Codes) -> Codes | None:
    values, coded, keys_of_values = dict(codes.values), dict(codes.codes), {}
    for column, (key, keys, combos) in codes.dated.items():
        found = await db.execute_fn(lambda conn, c=column, k=key, ks=keys: _values_today(conn, table, c, k, ks))
        if len(found) != len(keys):
            return None  # a row of the build is not in the view: count live
        seen: dict = {}
        of_combo = np.asarray([seen.setdefault(found[k], len(seen)) for k in keys], dtype="<i4")
        values[column], coded[column] = list(seen), of_combo.take(combos)
        keys_of_values[column] = (key, [keys[int(np.flatnonzero(of_combo == v)[0])] for v in range(len(seen))])
    return Codes(values, coded, codes.rowids, indexed=codes.indexed, view=codes.view, keys_of_values=keys_of_values)


def _values_today(conn: sqlite3.Connection, table: str, column: str, key: str, keys: list) -> dict:
    cursor = conn.cursor()
    cursor.row_factory = None
    found = {}
    for at in range(0, len(keys), 500):
        chunk = keys[at : at + 500]
        sql = f'select "{key}", "{column}" from [{table}] where "{key}" in ({", ".join("?" * len(chunk))})'
        found.update(cursor.execute(sql, chunk).fetchall())
    return found


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
    mask = np.ones(codes.size, dtype=bool)
    for clause in found:
        if clause.re is EQUALS:
            column = clause.group(1).replace('""', '"')
            if column not in codes.codes or clause.group(2) not in params:
                return None
            if column not in codes.indexed and not codes.view:
                return None
            # A view's value is found by SQLite's `=` too: through its table's index, or
            # among its rows until the first match; a dated column's among one row with
            # each of its values today.
            value, name = params[clause.group(2)], clause.group(1)
            if column in codes.keys_of_values:
                key, keys = codes.keys_of_values[column]
                sql = f'select "{name}" from [{table}] where "{name}" = ? and "{key}" in ({", ".join("?" * len(keys))})'
                hit = (await db.execute(sql, [value, *keys])).rows
            else:
                hit = (await db.execute(f'select "{name}" from [{table}] where "{name}" = ? limit 1', [value])).rows
            code = codes.code(column, hit[0][0]) if hit else -1
            if code is None:  # a value the stored codes do not know: they are not this table's
                return None
            mask &= codes.codes[column] == code
        else:
            fts, column, expr = clause.groups()
            if codes.view or fts.strip('[]"') != f"{table}_fts":
                return None
            sql = _search_sql(fts, column, expr)
            hits = np.zeros(codes.size, dtype=bool)
            hits[await _searched(db, codes, sql, params)] = True
            mask &= hits
    return np.flatnonzero(mask)


async def _searched(db, codes: Codes, sql: str, params: dict) -> np.ndarray:
    """Positions of the rows a search matches. A searched page asks for them twice (its
    rows, search_rows.py, and its facets), so they are kept until its request ends
    (`one_request`), and no other request is answered from them."""
    kept = SEARCHES.get()
    key = _search_key(codes, sql, params)
    if kept is None or key not in kept:
        limit_ms = db.ds.setting("sql_time_limit_ms")
        found = _present(codes, await db.execute_fn(lambda conn: _rowids(conn, sql, params, limit_ms)))
        if kept is None:
            return found
        kept[key] = found
    return kept[key]


def _search_sql(fts: str, column: str, expr: str) -> str:
    return f"select group_concat(rowid) from {fts} where {column} match {expr}"


def _search_key(codes: Codes, sql: str, params: dict) -> tuple:
    return (id(codes), sql, tuple(sorted((k, v) for k, v in params.items() if isinstance(v, (str, int, float)))))


def searched_already(codes: Codes, fts: str, column: str, expr: str, params: dict) -> np.ndarray | None:
    """The positions of the rows a search matches, if this request has found them already."""
    kept = SEARCHES.get()
    return None if kept is None else kept.get(_search_key(codes, _search_sql(fts, column, expr), params))


def one_request(app):
    """The site's ASGI app, each request with its own kept searches (`_searched`)."""

    async def keeping(scope, receive, send):
        token = SEARCHES.set({})
        try:
            await app(scope, receive, send)
        finally:
            SEARCHES.reset(token)

    return keeping


def _rowids(conn: sqlite3.Connection, sql: str, params: dict, limit_ms: int) -> np.ndarray:
    """The rowids a search matches, read as one comma-separated text that numpy parses:
    13 ms for the 122,000 matches of a common word at a million log rows, against 55 to
    70 ms for a Python tuple per row (27 ms splitting the text in Python)."""
    # Within the site's time limit, as Datasette's own queries are (a raw-mode search can
    # ask the full-text index for a great deal).
    with long_values(conn), sqlite_timelimit(conn, limit_ms):
        found = conn.execute(sql, params).fetchone()[0]
    return rowid_list(found)


def _present(codes: Codes, rowids: np.ndarray) -> np.ndarray:
    """Positions of the rowids the table has (a search may name rows it has not)."""
    if _contiguous(codes):  # rowids first..last, all there: a rowid's position is plain arithmetic
        at = rowids - codes.rowids[0]
        return at[(at >= 0) & (at < len(codes.rowids))]
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
    values, coded = codes.values[column], codes.codes[column]
    if len(rows) > codes.size // 2:
        # Most rows: the whole column's counts less those of the rows left out. A
        # filter that keeps every row (the one source of a register) then counts
        # nothing; seven facets over a million rows took 26 ms counted directly.
        whole = codes.__dict__.setdefault("_whole", {})
        if column not in whole:
            whole[column] = np.bincount(coded, minlength=len(values))
        counts = whole[column] - np.bincount(coded.take(_left_out(codes, rows)), minlength=len(values))
    else:
        counts = np.bincount(coded.take(rows), minlength=len(values))
    ranks = codes.__dict__.setdefault("_ranks", {})
    if column not in ranks:
        ranks[column] = value_ranks(values)
    return [{"value": v, "count": n} for v, n in ranked(counts, values, ranks[column], limit)]


def _left_out(codes: Codes, rows: np.ndarray) -> np.ndarray:
    """The positions not in `rows` (sorted positions, as `matching` gives them), worked
    out once for the facets of a page, which all count over the same rows."""
    last = codes.__dict__.get("_left_out")
    if last is None or last[0] is not rows:
        kept = np.ones(codes.size, dtype=bool)
        kept[rows] = False
        last = codes.__dict__["_left_out"] = (rows, np.flatnonzero(kept))
    return last[1]


def _contiguous(codes: Codes) -> bool:
    """Whether the table's rowids run without a gap (the build numbers rows from the
    file's lines): then looking up the 122,000 matches of a common word at a million log
    rows is a subtraction, not a 5 ms binary search."""
    if "_contiguous" not in codes.__dict__:
        ids = codes.rowids
        codes.__dict__["_contiguous"] = bool(len(ids)) and int(ids[-1] - ids[0]) == len(ids) - 1
    return codes.__dict__["_contiguous"]
