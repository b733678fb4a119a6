"""The facet columns of the register's tables as integer codes, stored by the build, so
the site counts the facets of any filtered or searched table page without reading its
rows (register/site/coded_facets.py).

The stored facet counts (facet_counts.py) answer a whole table and a table filtered on
one common value. A second filter, which is one click on a facet link of a filtered
page, or a search was counted live: a GROUP BY over the matching rows for each facet,
540 ms for two filters on the co-production log at a million rows and 1.2 s for a search
for a common word. numpy counts the same from these codes in milliseconds, exactly.

Stored for tables, not for the stored views of views.sql: a table's rows only grow
between builds, so an update in place adds the codes of its appended rows (`extend`)
and the result is what a full build stores. One row per (table, column): `vals` is the
JSON list of the column's values in order of first appearance, `codes` the code of each
row (int32, in rowid order); the column '' holds the rowids (int64), which a search's
matches are looked up in, and in `vals` the order of the rows ("rowid"). A table's codes
include the column its pages are sorted by (metadata.yml), not counted as a facet: the
site picks a searched page's rows by it (register/site/search_rows.py).
"""

from __future__ import annotations

import json
import re
import sqlite3

import numpy as np

from register.schema.ddl import q

TABLE = "facet_codes"
ROWIDS = ""  # the column name under which a table's rowids are stored
DATED_BY = re.compile(
    r"^--\s*build:\s*dated\s+(\w+)\s+by\s*\(([^)]*)\)\s+of\s+(\w+)\s*\n(?:--[^\n]*\n)*\s*CREATE\s+VIEW\s+(\w+)",
    re.M | re.I,
)


def dated_by(views_sql: str) -> dict[str, dict[str, tuple[list[str], str]]]:
    """{view: {dated column: (the columns it depends on, the view's key)}} of views.sql."""
    found: dict[str, dict] = {}
    for column, by, key, view in DATED_BY.findall(views_sql):
        found.setdefault(view, {})[column] = ([c.strip() for c in by.split(",") if c.strip()], key)
    return found


def write_dated(conn: sqlite3.Connection, view: str, column: str, by: list[str], key: str) -> None:
    """Store the dated column's codes: per row (in the key's order) the code of its
    values of `by`, and the key of the first row with each."""
    combos: dict[tuple, int] = {}
    keys, codes = [], []
    for row in conn.execute(f"SELECT {q(key)}, {', '.join(q(c) for c in by)} FROM {q(view)} ORDER BY {q(key)}"):
        code = combos.setdefault(row[1:], len(combos))
        if code == len(keys):
            keys.append(row[0])
        codes.append(code)
    vals = json.dumps({"key": key, "rows": keys}, ensure_ascii=False)
    conn.execute(
        f"INSERT INTO {q(TABLE)} VALUES (?, ?, ?, ?) ON CONFLICT (table_name, column_name) "
        "DO UPDATE SET vals = excluded.vals, codes = excluded.codes",
        (view, column, vals, np.asarray(codes, dtype="<i4").tobytes()),
    )


def create(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {q(TABLE)} (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
        "vals TEXT, codes BLOB NOT NULL, PRIMARY KEY (table_name, column_name)) WITHOUT ROWID"
    )


def write(
    conn: sqlite3.Connection,
    table: str,
    columns: list[str],
    values: list[list],
    codes: list,
    rowids,
    order="rowid",
    dated: tuple = (),
) -> None:
    """Store table's codes (replacing any but those of its `dated` columns, which
    write_dated replaces): per column its values and codes, and the rowids; the rowids'
    row says the order the rows are in (rowid, or a view's key)."""
    create(conn)
    rows = [(table, ROWIDS, json.dumps(order), np.asarray(rowids, dtype="<i8").tobytes())]
    rows += [
        (table, c, json.dumps(v, ensure_ascii=False), np.asarray(k, dtype="<i4").tobytes())
        for c, v, k in zip(columns, values, codes)
    ]
    # Keyed, without rowids: an update in place that codes a table's columns again, and
    # codes one more or one fewer (facet_counts.kept_columns), holds what a full build holds.
    kept = [r[1] for r in rows] + list(dated)
    conn.execute(
        f"DELETE FROM {q(TABLE)} WHERE table_name = ? AND column_name NOT IN ({', '.join('?' * len(kept))})",
        (table, *kept),
    )
    conn.executemany(
        f"INSERT INTO {q(TABLE)} VALUES (?, ?, ?, ?) ON CONFLICT (table_name, column_name) "
        "DO UPDATE SET vals = excluded.vals, codes = excluded.codes",
        rows,
    )


def coded_tables(conn: sqlite3.Connection) -> set[str]:
    """The tables whose codes are stored."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone():
        return set()
    return {r[0] for r in conn.execute(f"SELECT DISTINCT table_name FROM {q(TABLE)}")}


def stored_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns whose codes are stored for table."""
    found = conn.execute(
        f"SELECT column_name FROM {q(TABLE)} WHERE table_name = ? AND column_name <> ?", (table, ROWIDS)
    )
    return {r[0] for r in found}


def extend(conn: sqlite3.Connection, table: str, after: int) -> None:
    """Add the codes of table's rows after rowid `after` (appended by an update in place),
    coding new values in order of first appearance as the build does."""
    stored = {
        c: (json.loads(v), k)
        for c, v, k in conn.execute(f"SELECT column_name, vals, codes FROM {q(TABLE)} WHERE table_name = ?", (table,))
    }
    if not stored:
        return
    columns = [c for c in stored if c != ROWIDS]
    new = conn.execute(
        f"SELECT rowid{''.join(', ' + q(c) for c in columns)} FROM {q(table)} WHERE rowid > ? ORDER BY rowid",
        (after,),
    ).fetchall()
    if not new:
        return
    rowids = np.concatenate([np.frombuffer(stored[ROWIDS][1], dtype="<i8"), [r[0] for r in new]])
    values, codes = [], []
    for i, c in enumerate(columns, start=1):
        vals, old = stored[c]
        at = {v: k for k, v in enumerate(vals)}
        more = [at.setdefault(r[i], len(at)) for r in new]
        values.append(list(at))
        codes.append(np.concatenate([np.frombuffer(old, dtype="<i4"), np.asarray(more, dtype="<i4")]))
    write(conn, table, columns, values, codes, rowids, stored[ROWIDS][0])
