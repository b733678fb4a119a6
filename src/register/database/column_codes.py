"""A table's columns as integer codes: each row's code, and the value each code stands
for. The build counts facets from them and keeps a table's (register/database/facet_counts.py,
facet_codes.py); reading them is most of that step's time at a million log rows, so a
column an index leads with is grouped by SQLite and the rest read row by row, whichever
is faster for it."""

from __future__ import annotations

import sqlite3
from array import array
from contextlib import contextmanager
from operator import itemgetter

import numpy as np

from register.schema.ddl import q

# A column an index leads with, with at least this many rows to a value on average, is
# coded by SQLite grouping its rows (_coded_in_sql); others are read row by row.
GROUPED_ROWS = 10
CHUNK_ROWS = 50_000  # rows read at a time row by row: memory stays flat


def coded(
    conn: sqlite3.Connection, table: str, columns: list[str], order: str = ""
) -> tuple[list[list], list[np.ndarray], array | None]:
    """The table's columns as integer codes, the value each code stands for, per
    column, and read in `order` (rowid: with the rowids). A table's column that an
    index leads with is grouped by SQLite (_coded_in_sql); the others are read row by
    row (_coded_rows)."""
    if order not in ("", "rowid") or _collated(conn, table):  # a view, or a view's key order
        return _coded_rows(conn, table, columns, order)
    leading = {c for c in set(leading_indexes(conn, table)) & set(columns) if few_values(conn, table, c)}
    grouped = _coded_in_sql(conn, table, [c for c in columns if c in leading])
    rest = [c for c in columns if c not in leading]
    # The grouped codes are placed by rowid, so the rest are read in rowid order too:
    # unordered, SQLite may read them from an index that holds them all, in its order.
    read = _coded_rows(conn, table, rest, order or ("rowid" if grouped[0] else "")) if rest else ([], [], None)
    found = dict(zip([c for c in columns if c in leading], zip(grouped[0], grouped[1])))
    found.update(zip(rest, zip(read[0], read[1])))
    return [found[c][0] for c in columns], [found[c][1] for c in columns], grouped[2] if order else None


def _coded_rows(
    conn: sqlite3.Connection, table: str, columns: list[str], order: str = ""
) -> tuple[list[list], list[np.ndarray], array | None]:
    """coded, every row read into Python (CHUNK_ROWS at a time)."""
    found: list[dict] = [{} for _ in columns]
    codes = [array("i") for _ in columns]
    with_rowids = order == "rowid"
    rowids = array("q") if with_rowids else None
    first = 1 if with_rowids else 0
    # In order, not an index's: the site looks rowids up, and a view's dated codes are in its key's order.
    ordered = f" ORDER BY {q(order)}" if order else ""
    cursor = conn.execute(f"SELECT {'rowid, ' * first}{', '.join(q(c) for c in columns)} FROM {q(table)}{ordered}")
    while chunk := cursor.fetchmany(CHUNK_ROWS):
        if rowids is not None:
            rowids.extend(map(itemgetter(0), chunk))
        for i, seen in enumerate(found):
            codes[i].extend([seen.setdefault(v, len(seen)) for v in map(itemgetter(i + first), chunk)])
    return [list(seen) for seen in found], [np.frombuffer(c, dtype=np.int32) for c in codes], rowids


def _coded_in_sql(
    conn: sqlite3.Connection, table: str, columns: list[str]
) -> tuple[list[list], list[np.ndarray], array]:
    """What `coded` gives in rowid order, from one GROUP BY a column, each value with the
    rowids of its rows: SQLite groups through the column's index, numpy reads the rowids.
    At a million log rows, 2.4 s for the log's eight coded columns, against 4.2 s reading
    each row into Python. Values come in order of first appearance, as `coded` and an
    update in place (facet_codes.extend) code them."""
    first, last, n = conn.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {q(table)}").fetchone()
    gapless = bool(n) and last - first + 1 == n  # the build numbers rows from the file's lines
    with long_values(conn):
        if gapless:
            rowids = np.arange(first, last + 1, dtype="<i8")
        else:
            sql = f"SELECT group_concat(rowid) FROM (SELECT rowid FROM {q(table)} ORDER BY rowid)"
            rowids = rowid_list(conn.execute(sql).fetchone()[0])
        values, codes = [], []
        for column in columns:
            found, coded = [], np.empty(len(rowids), dtype=np.int32)
            sql = f"SELECT {q(column)}, min(rowid) AS f, group_concat(rowid) FROM {q(table)} GROUP BY {q(column)} ORDER BY f"
            for value, _, ids in conn.execute(sql):
                at = rowid_list(ids)
                coded[at - first if gapless else np.searchsorted(rowids, at)] = len(found)
                found.append(value)
            values.append(found)
            codes.append(coded)
    return values, codes, array("q", rowids.tobytes())


@contextmanager
def long_values(conn: sqlite3.Connection):
    """Rowid lists and stored codes are megabytes: over a connection's limit on the
    length of a value, if it has one (the site's: sql_guard.MAX_VALUE_BYTES, against SQL
    that builds huge strings), so that limit is lifted meanwhile, for the register's own
    reads alone."""
    limit = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000_000)
    try:
        yield
    finally:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)


def rowid_list(text: str | None) -> np.ndarray:
    """A `group_concat(rowid)` as numpy reads it (4 ms for 122,000 rowids, against 55
    to 70 ms for a Python tuple per row)."""
    return np.fromstring(text, dtype="<i8", sep=",") if text else np.zeros(0, dtype="<i8")


def few_values(conn: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether the column has few enough values to be grouped by SQLite, on average
    GROUPED_ROWS rows or more to a value: each group costs numpy a call. At a million log
    rows, a "You said" item's activity_id (278,000 values for 278,000 items) took 1.6 s
    grouped, against 0.5 s read row by row; the log's project_id (68,000 values) 0.5 s."""
    rows = conn.execute(f"SELECT count(*) FROM {q(table)}").fetchone()[0]
    most = max(1, rows // GROUPED_ROWS)
    sql = f"SELECT count(*) FROM (SELECT DISTINCT {q(column)} FROM {q(table)} LIMIT {most + 1})"
    return conn.execute(sql).fetchone()[0] <= most


def leading_indexes(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """{column: an index of the table that leads with it}, the primary key's first where
    it is one; partial and expression indexes left out (they do not hold every row by
    the column). Without one, GROUP BY sorts the whole table (1.2 to 1.4 s for one
    column of the log, against 0.7 to 0.9 s read row by row), a sort reads every row,
    and a value is found by reading rows until it comes."""
    found: dict[str, str] = {}
    for column, index in conn.execute(
        "SELECT ii.name, il.name FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii "
        "WHERE ii.seqno = 0 AND ii.name IS NOT NULL AND il.partial = 0 ORDER BY il.origin = 'pk' DESC, il.name",
        (table,),
    ).fetchall():
        found.setdefault(column, index)
    return found


def _collated(conn: sqlite3.Connection, table: str) -> bool:
    """Whether the table is written with a collation, so that its GROUP BY would join
    values Python tells apart, or is not a table."""
    found = conn.execute("SELECT sql FROM sqlite_master WHERE name = ? AND type = 'table'", (table,)).fetchone()
    return not found or "collate" in (found[0] or "").lower()
