"""The query planner's statistics: sampled by ANALYZE, then made exact where the stored
codes (facet_codes.py) know the figures.

Why: a full ANALYZE took 2.9 s at a million log rows, so the build samples about a
thousand entries of each index (`PRAGMA analysis_limit`). A column with few values
shows one or two of them there, and SQLite then takes each value to match about a
thousand rows, however many it does. Filtered on the one `source` of the bench's
register, the equality impacts (sorted by id) were looked up by that column's index and
all 452,000 sorted, 70 ms; told that the value matches every row, SQLite walks the
primary key and stops at the page's 51st row, 0.2 ms. The codes hold each coded
column's rows and values exactly, so each index leading with a coded column is given
its true rows per value, and every index its table's true row count (`exact`); the
figures for an index's later columns stay sampled, kept no higher than the first's.
"""

from __future__ import annotations

import math
import sqlite3

from register.database.facet_codes import ROWIDS, TABLE
from register.schema.ddl import q

# Entries of each index ANALYZE reads: enough for an index's shape, not its counts.
SAMPLED_ENTRIES = 1000


def analyse(conn: sqlite3.Connection) -> None:
    """Sampled statistics, made exact from the stored codes (`exact`)."""
    conn.execute(f"PRAGMA analysis_limit = {SAMPLED_ENTRIES}")
    conn.execute("ANALYZE")
    exact(conn)


def exact(conn: sqlite3.Connection) -> None:
    """Rewrite sqlite_stat1's rows: each index's row count, the table's (counted, or
    from its codes), and the rows per value of its first column when that column is
    coded. A sampled count of the rows is off too: 150,000 for an index of the 278,000
    due dates at a million log rows, against 292,000 for their primary key, so SQLite
    took reading every row through that index and then the table (600 ms) for cheaper
    than reading the table (20 ms) to sort the items by their response rule."""
    figures = _coded_figures(conn)
    changed = []
    rows_of: dict[str, int] = {}
    for table, index, stat in conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL").fetchall():
        coded = figures.get(table, {})
        if table not in rows_of:
            rows_of[table] = next(iter(coded.values()))[0] if coded else _counted(conn, table)
        rows = rows_of[table]
        first = conn.execute("SELECT name FROM pragma_index_info(?) WHERE seqno = 0", (index,)).fetchone()
        counted = coded.get(first[0]) if first else None
        per_value = math.ceil(rows / counted[1]) if counted and counted[1] and rows else None
        changed.append((_rewritten(stat, rows, per_value), table, index))
    conn.executemany("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?", changed)


def _coded_figures(conn: sqlite3.Connection) -> dict[str, dict[str, tuple[int, int]]]:
    """{table: {coded column: (rows, values)}} of the stored codes."""
    figures: dict[str, dict[str, tuple[int, int]]] = {}
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'", (TABLE,)).fetchone():
        return figures
    for table, column, values, size in conn.execute(
        f"SELECT table_name, column_name, json_array_length(vals), length(codes) FROM {TABLE} "
        "WHERE json_type(vals) = 'array' AND column_name <> ?",
        (ROWIDS,),
    ):
        figures.setdefault(table, {})[column] = (size // 4, values)  # int32 codes
    return figures


def _counted(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {q(table)}").fetchone()[0]


def _rewritten(stat: str, rows: int, per_value: int | None) -> str:
    """A sqlite_stat1 `stat` ("rows per-first per-first-two ... [options]") with the row
    count and, if known, the rows per value of the first column; each later figure no
    higher than the one before it, as SQLite expects."""
    words = stat.split()
    figures = [w for w in words if w.isdigit()]
    options = words[len(figures) :]
    figures[0] = str(rows)
    if per_value is not None and len(figures) > 1:
        figures[1] = str(per_value)
    for k in range(2, len(figures)):
        figures[k] = str(min(int(figures[k]), int(figures[k - 1])))
    return " ".join(figures + options)
