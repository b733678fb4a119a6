"""Facet counts of whole tables, and of tables filtered on one common value, worked out
once at build time.

A Datasette table page counts each configured facet (metadata.yml) over the rows it
shows. Unfiltered, that is the whole table: at a million log rows, seven facets of the
co-production log cost half a second on every fresh request; filtered on one common
value (a facet link, `?gate=assess`), 1.5 s. The database never changes between builds,
so the build stores those counts here, and the site's facet class
(register/site/facets.py) reads them.

Counted under a filter: every configured facet column (project_id too), under each
value with at least LIVE_ROWS rows of each column with at most CUBE_VALUES values; rarer
values are counted live, which is fast because few rows match. The table is read once,
each column turned into integer codes that numpy counts (column_codes.py). An update in place
adds the counts of appended rows instead of counting again (`add`).

Views that read today's date are counted live, except the columns a
`-- build: dated (<columns>)` line in views.sql does not name: those depend on the data
alone (tests/integration/test_dated_columns.py checks the line against two different todays).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter

import numpy as np

from register.database import facet_codes, pair_counts
from register.database.column_codes import coded, few_values
from register.schema.ddl import q

TABLE = "facet_counts"
# Values kept per facet: one more than a page can show (the server's max_returned_rows,
# register/site/serve.py), to tell when the list is cut short. The site counts live when
# asked for more.
STORED_VALUES = 1001
# Columns with at most this many values are counted under each other's common values.
CUBE_VALUES = 100
# A filter value with fewer rows than this is counted live: seven facets over 5,000 of
# the log's rows take about 15 ms at a million rows.
LIVE_ROWS = 5_000
DATED = re.compile(r"^--\s*build:\s*dated\s*\(([^)]*)\)\s*\n\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I)
VIEW_NAME = re.compile(r"^\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I)


def site_tables(metadata: dict) -> dict[str, dict]:
    """{table: its settings} of the register's metadata (metadata.yml)."""
    return metadata.get("databases", {}).get("register", {}).get("tables", {}) or {}


def configured_facets(metadata: dict) -> dict[str, list[str]]:
    """{table: [facet columns]} of the register's metadata (metadata.yml)."""
    tables = site_tables(metadata)
    return {name: list(conf.get("facets") or []) for name, conf in tables.items() if conf.get("facets")}


def sort_columns(metadata: dict) -> dict[str, str]:
    """{table: the column its pages are sorted by} of the register's metadata (metadata.yml)."""
    tables = site_tables(metadata)
    found = {name: conf.get("sort_desc") or conf.get("sort") for name, conf in tables.items()}
    return {name: column for name, column in found.items() if column}


def dated_columns(views_sql: str) -> dict[str, set[str]]:
    """{view: the columns that read today's date} of the `-- build: dated (...)` lines."""
    return {view: {c.strip() for c in cols.split(",") if c.strip()} for cols, view in DATED.findall(views_sql)}


def fixed_views(conn: sqlite3.Connection) -> set[str]:
    """The views whose rows depend on the data alone: none of the views they read (or
    they themselves) uses today's date."""
    views = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    dated = {name for name, sql in views.items() if re.search(r"'now'", sql or "", re.I)}
    while True:
        more = {
            name
            for name, sql in views.items()
            if name not in dated and any(re.search(rf"\b{re.escape(d)}\b", sql or "") for d in dated)
        }
        if not more:
            return set(views) - dated
        dated |= more


def countable(conn: sqlite3.Connection, views_sql: str = "") -> dict[str, set[str]]:
    """{table or view: its columns that must be counted live} for everything whose
    counts can be stored: tables, views of the data alone, and views with a
    `-- build: dated` line (less the columns it names)."""
    found = {r[0]: set() for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found.update({name: set() for name in fixed_views(conn)})
    views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    found.update({view: cols for view, cols in dated_columns(views_sql).items() if view in views})
    return found


def _store_table(
    conn: sqlite3.Connection,
    table: str,
    columns: list[str],
    most: int,
    common_rows: int,
    keep_codes: str,
    dated: tuple = (),
    only_codes: tuple = (),
    pairs: bool = False,
) -> int:
    """Count the table's columns, whole and under each common value of each column with
    few values, from one read of it (column_codes.coded): at a million log rows, 4.1 s for the log's
    seven facets, where seven GROUP BYs for the whole table took 2.0 s before the counts
    under filters began. With `keep_codes` (the order to read the rows in: rowid, or a
    view's key), the codes are stored too (facet_codes.py), with those of the columns in
    `only_codes` (not counted, _codes_only). With `pairs`, under each pair of values of
    two columns with few values too (pair_counts.py)."""
    values, codes, rowids = coded(conn, table, columns + list(only_codes), keep_codes)
    if keep_codes:
        facet_codes.write(conn, table, columns + list(only_codes), values, codes, rowids or [], keep_codes, dated)
    values, codes = values[: len(columns)], codes[: len(columns)]
    ranks = [value_ranks(v) for v in values]
    lists = [
        ranked(np.bincount(codes[j], minlength=len(values[j])), values[j], ranks[j], most) for j in range(len(columns))
    ]
    # Rank 0, with no value and a count of 0, says the column was counted, so a column
    # with no value at all is known to have no facet values.
    rows = [(table, "", "", column, 0, None, 0) for column in columns]
    rows += [
        (table, "", "", column, rank, v, n)
        for column, found in zip(columns, lists)
        for rank, (v, n) in enumerate(found, start=1)
    ]
    few = [j for j, found in enumerate(lists) if len(found) <= CUBE_VALUES]
    for i in few:
        at = {v: k for k, v in enumerate(values[i])}
        for value in [v for v, n in lists[i] if n >= common_rows]:
            chosen = np.flatnonzero(codes[i] == at[value])
            for j, column in enumerate(columns):
                found = ranked(np.bincount(codes[j].take(chosen), minlength=len(values[j])), values[j], ranks[j], most)
                rows.append((table, columns[i], value, column, 0, None, 0))  # counted, values or not
                rows += [(table, columns[i], value, column, rank, v, n) for rank, (v, n) in enumerate(found, start=1)]
    if pairs:
        rows += pair_counts.counted(
            table, columns, values, codes, few, lambda counts, k: ranked(counts, values[k], ranks[k], most)
        )
    conn.executemany(f"INSERT INTO {q(TABLE)} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return sum(1 for r in rows if r[4] > 0)


def sqlite_order(item):
    """SQLite's order for `ORDER BY COUNT(*) DESC, value` over one column's values:
    numbers before text before blobs (NULL is never a facet value)."""
    value, n = item
    return (-n, *_value_order(value))


def _value_order(value) -> tuple:
    return (0 if isinstance(value, (int, float)) else 1 if isinstance(value, str) else 2, value)


def value_ranks(values: list) -> np.ndarray:
    """Each value's place in SQLite's order of values (sqlite_order among equal counts);
    NULL, never a facet value, last."""
    order = sorted((k for k, v in enumerate(values) if v is not None), key=lambda k: _value_order(values[k]))
    ranks = np.full(len(values), len(values), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return ranks


def ranked(counts: np.ndarray, values: list, ranks: np.ndarray, most: int) -> list[tuple]:
    """(value, count) of the `most` commonest values in SQLite's order (sqlite_order),
    NULL left out: worked out in numpy (ranks: value_ranks), where sorting the 68,000
    projects of the log under each of 120 common values in Python took 2.5 s of the
    build at a million log rows."""
    nonzero = np.flatnonzero((counts > 0) & (ranks < len(values)))
    if len(nonzero) > most:  # only those that can rank in the top `most`, ties at the cut included
        cut = np.partition(counts[nonzero], len(nonzero) - most)[len(nonzero) - most]
        nonzero = nonzero[counts[nonzero] >= cut]
    chosen = nonzero[np.lexsort((ranks[nonzero], -counts[nonzero]))[:most]]
    return [(values[k], int(counts[k])) for k in chosen]


def store(
    conn: sqlite3.Connection,
    facets: dict[str, list[str]],
    most: int = STORED_VALUES,
    only: set[str] | None = None,
    views_sql: str = "",
    common_rows: int = LIVE_ROWS,
    sorts: dict[str, str] | None = None,
    copy=None,
    copied: set[str] = frozenset(),
) -> int:
    """Write the counts of the `most` commonest values of every configured facet of every
    table or view that can be counted once (`countable`), for the whole table and under
    each common value of its columns with few values. `value` and `filter_value` have no
    type: integers stay integers, text stays text; the whole table's filter is ''.

    `common_rows` is the fewest rows a value needs to be counted under (the tests lower it
    for the small sample register). `sorts` ({table: column}, sort_columns) names the
    column each table's pages are sorted by: a table's codes include it, so the site
    finds the first page of a search without sorting every match (register/site/search_rows.py).

    The counts of the tables in `copied` were worked out by the build's second process
    with this same function: `copy(table)` copies them in, in the place of the loop where
    they would have been written here (register/database/side_derived.py).

    `only` names the tables whose counts are worked out again (an update in place,
    register/database/incremental.py): their rows are replaced, the others kept. The key
    is (table, filter, column, rank), not the order rows were written in, so counts redone
    for one table are the same rows a full build stores."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {q(TABLE)} (table_name TEXT NOT NULL, filter_column TEXT NOT NULL, "
        "filter_value NOT NULL, column_name TEXT NOT NULL, rank INTEGER NOT NULL, value, count INTEGER NOT NULL, "
        "PRIMARY KEY (table_name, filter_column, filter_value, column_name, rank)) WITHOUT ROWID"
    )
    can = countable(conn, views_sql)
    # Tables, not the stored views of views.sql, keep their codes: their rows only grow.
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables -= set(VIEW_NAME.findall(views_sql))
    dated = facet_codes.dated_by(views_sql)
    facet_codes.create(conn)
    stored = 0
    for table, columns in sorted(facets.items()):
        if table not in can or (only is not None and table not in only):
            continue
        conn.execute(f"DELETE FROM {q(TABLE)} WHERE table_name = ?", (table,))
        if table in copied:
            copy(table)
            sql = f"SELECT count(*) FROM {q(TABLE)} WHERE table_name = ? AND rank > 0"
            stored += conn.execute(sql, (table,)).fetchone()[0]
            continue
        counted = counted_columns(conn, table, columns, can)
        keys = {key for _, key in dated.get(table, {}).values()}
        order = "rowid" if table in tables else keys.pop() if len(keys) == 1 else ""
        dated_here = [c for c in dated.get(table, {}) if c in columns] if order else []
        only_codes = _codes_only(conn, table, (sorts or {}).get(table), counted) if order == "rowid" else ()
        stored += _store_table(
            conn, table, counted, most, common_rows, order, tuple(dated_here), only_codes, pairs=not order
        )
        for column in dated_here:
            facet_codes.write_dated(conn, table, column, *dated[table][column])
    return stored


def _codes_only(conn: sqlite3.Connection, table: str, sort: str | None, counted: list[str]) -> tuple:
    """The columns whose codes are kept but not counted: the sort column (the first page
    of a search is picked by it, register/site/search_rows.py) and each column with few
    values that a foreign key links from, which a row page links to its rows by
    (`?source=...`). Such a filter keeps most of the table: at a million log rows, the
    log's `source` (one value) took 2.4 s live, its rows sorted and seven facets counted
    over every row. A column with many values is left out (each value is then rare, and
    SQLite finds its rows by the column's index, which the build makes for every foreign
    key: register/database/search.py), as are a counted facet (coded already) and the
    primary key (SQLite walks that index in order, and a code per key would be as big as
    the table's keys). Decided from the rows alone: the second process has no indexes."""
    info = {r[0]: r[1] for r in conn.execute("SELECT name, pk FROM pragma_table_info(?)", (table,))}
    linked = [r[0] for r in conn.execute("SELECT DISTINCT [from] FROM pragma_foreign_key_list(?)", (table,))]
    found = [sort] if sort in info else []
    found += [c for c in linked if c in info and c not in found and c not in counted and few_values(conn, table, c)]
    return tuple(c for c in found if not info[c] and c not in counted)


def kept_columns(conn: sqlite3.Connection, table: str, columns: list[str], can: dict, sort: str | None) -> set[str]:
    """The columns whose codes `store` keeps for a table (coded in rowid order) as its rows
    are now: an append can change which (a linked column's values stop being few), and
    then the table is counted again rather than its codes extended (register/database/redo.py)."""
    counted = counted_columns(conn, table, columns, can)
    return set(counted) | set(_codes_only(conn, table, sort, counted))


def counted_columns(conn: sqlite3.Connection, table: str, columns: list[str], can: dict[str, set[str]]) -> list[str]:
    """The facet columns of table whose counts are stored: those it has, less the ones
    read live (`countable`)."""
    present = {r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}
    return [c for c in columns if c in present and c not in can[table]]


class Recount(Exception):
    """The stored counts of a table cannot simply be added to: count it again whole."""


def add(
    conn: sqlite3.Connection,
    table: str,
    columns: list[str],
    rows: list[tuple],
    most: int = STORED_VALUES,
    common_rows: int = LIVE_ROWS,
    removed: list[tuple] = (),
) -> None:
    """Add to table's stored counts those of rows added to it, and take away those of
    rows `removed` from it (their values of `columns`, the table's counted columns in
    order), giving exactly what `store` would store for the table as it is now; Recount
    when that cannot be known from the stored counts alone.

    A value outside a list's stored top `most` whose count does not grow stays out of
    it while no stored count shrinks; one that grows is counted in the table. Recount
    when a stored count of a cut-short list shrinks, when a column crosses CUBE_VALUES
    values, or when the values common enough to be counted under change: each changes
    which counts are stored. The counts under a pair of values (pair_counts.py) of a
    table without kept codes are added to in the same way; a pair that is new is stored,
    and one left without rows is taken out, as a build would store them."""
    if not rows and not removed:
        return
    stored: dict[tuple, dict] = {}
    _read_stored(conn, table, "", "", stored)
    whole = {c: stored.get(("", "", c)) for c in columns}
    if any(counts is None for counts in whole.values()):
        raise Recount(f"{table} has a facet column without stored counts")
    few = [c for c in columns if len(whole[c]) <= CUBE_VALUES]
    common = {f: {v for v, n in whole[f].items() if n >= common_rows} for f in few}
    paired = table not in facet_codes.coded_tables(conn)
    deltas: dict[tuple, Counter] = {}  # (filter column, filter value, column) -> change of each value's count
    for sign, some in ((1, rows), (-1, removed)):
        for row in some:
            keys = [("", "")] + [(f, row[columns.index(f)]) for f in few if row[columns.index(f)] in common[f]]
            if paired:
                keys += pair_counts.pairs_of(dict(zip(columns, row)), few)
            for f, fv in keys:
                for j, column in enumerate(columns):
                    if row[j] is not None:
                        deltas.setdefault((f, fv, column), Counter())[row[j]] += sign
    filters = {(f, fv) for f, fv, _ in deltas if f != ""}
    for f, fv in filters:
        _read_stored(conn, table, f, fv, stored)
    for f, fv in {(f, fv) for f, fv in filters if f.startswith(pair_counts.PREFIX)}:
        if (f, fv, columns[0]) not in stored:  # a new pair: each column counted, values or not
            conn.executemany(
                f"INSERT INTO {q(TABLE)} VALUES (?, ?, ?, ?, 0, NULL, 0)", [(table, f, fv, c) for c in columns]
            )
    for (f, fv, column), delta in deltas.items():
        counts = _merged(conn, table, (f, fv, column), stored.get((f, fv, column), {}), delta, most)
        if f == "":
            if (column in few) != (len(counts) <= CUBE_VALUES):
                raise Recount(f"{table}.{column} crosses {CUBE_VALUES} values")
            if column in common and {v for v, n in counts.items() if n >= common_rows} != common[column]:
                raise Recount(f"the values of {table}.{column} common enough to be counted under change")
        conn.execute(
            f"DELETE FROM {q(TABLE)} WHERE table_name = ? AND filter_column = ? AND filter_value = ? "
            "AND column_name = ? AND rank > 0",
            (table, f, fv, column),
        )
        ranked = sorted(counts.items(), key=sqlite_order)[:most]
        conn.executemany(
            f"INSERT INTO {q(TABLE)} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(table, f, fv, column, rank, v, n) for rank, (v, n) in enumerate(ranked, start=1)],
        )
    for f, fv in {(f, fv) for f, fv in filters if f.startswith(pair_counts.PREFIX)}:
        left = f"SELECT 1 FROM {q(TABLE)} WHERE table_name = ? AND filter_column = ? AND filter_value = ? AND rank > 0"
        if not conn.execute(left, (table, f, fv)).fetchone():  # no row has the pair now
            conn.execute(
                f"DELETE FROM {q(TABLE)} WHERE table_name = ? AND filter_column = ? AND filter_value = ?",
                (table, f, fv),
            )


def _read_stored(conn, table: str, f: str, fv, into: dict[tuple, dict]) -> None:
    """Table's stored counts under one filter (f = fv; '' and '' for the whole table) into
    `into`, {(f, fv, column): {value: count}}: only those an append changes, where all of
    a table's took 0.3 s at a million log rows."""
    for column, rank, value, n in conn.execute(
        f"SELECT column_name, rank, value, count FROM {q(TABLE)} "
        "WHERE table_name = ? AND filter_column = ? AND filter_value = ?",
        (table, f, fv),
    ):
        counts = into.setdefault((f, fv, column), {})
        if rank:
            counts[value] = n


def _merged(conn, table: str, key: tuple, counts: dict, delta: Counter, most: int) -> dict:
    """A list of stored counts (its key: filter column, filter value, column) changed by
    delta; a value outside a cut-short list is counted in the table as it is now."""
    f, fv, column = key
    counts, cut = dict(counts), len(counts) >= most
    if cut and f.startswith(pair_counts.PREFIX) and any(v not in counts for v in delta):
        raise Recount(f"a cut-short list of {table}.{column} under a pair of values changes")
    where, params = (f"{q(column)} = ?", ()) if f == "" else (f"{q(f)} = ? AND {q(column)} = ?", (fv,))
    for value, n in delta.items():
        if value in counts or not cut:
            if n < 0 and cut:
                raise Recount(f"a stored count of {table}.{column}, cut short, shrinks")
            counts[value] = counts.get(value, 0) + n
        elif n > 0:
            sql = f"SELECT COUNT(*) FROM {q(table)} WHERE {where}"
            counts[value] = conn.execute(sql, (*params, value)).fetchone()[0]
    return {v: n for v, n in counts.items() if n > 0}
