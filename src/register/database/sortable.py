"""The columns a big table's pages offer to sort by: those SQLite gives the first page of
in an index's order, without sorting the table.

Why: every column heading of a Datasette table links a sort. At a million log rows a
sort by a column no index leads with reads and sorts every row (title: 240 ms), and a
sort by a column with few values sorts each value's rows by the primary key, the page's
tie-break (register/site/tie_break.py): 890 ms for the log by gate, 2.3 s by whether
people were paid. A faster machine does not mend that; an index per column would (3 ms),
at 60 MB and 2 s of build each, and there are 80 such sorts across the register. So on a
table of BIG_ROWS rows or more, Datasette is told (its `sortable_columns`) to offer only
the sorts that are fast: a column heading it cannot sort by quickly is plain text, and an
address that asks for such a sort gets a plain 400 saying which sorts there are. Facets,
filters and search find those rows instead. Smaller tables keep every sort: SQLite sorts
50,000 rows in a few tens of milliseconds.

The rule reads SQLite's own plan for the page's query, as the site sends it: a plan
that sorts every row (`USE TEMP B-TREE FOR ORDER BY`) is not offered; one that walks an
index and sorts only the rows sharing each value (`... FOR RIGHT PART OF ORDER BY`) is
offered when no value has more than MAX_GROUP rows. A table's configured sort
(metadata.yml `sort`, `sort_desc`) is always offered: its first page is answered from
the stored codes. The choice is worked out by the build, after the planner's statistics,
and kept in the database (`register_build`, key KEY), so a running site that swaps in a
new build swaps its sorts with it (register/site/sorts.py).
"""

from __future__ import annotations

import json
import re
import sqlite3

from register.database.facet_counts import TABLE as FACET_COUNTS
from register.database.facet_counts import sort_columns
from register.schema.ddl import q

KEY = "sortable_columns"
# Tables with fewer rows offer every sort.
BIG_ROWS = 50_000
# Rows sharing one value, sorted by the primary key when a page reaches them.
MAX_GROUP = 5_000
USING_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\S+)")
PAGE_ROWS = 51  # Datasette's first page: its 50 rows and one to tell a next page is there


def offered(conn: sqlite3.Connection, configured: dict[str, str]) -> dict[str, list[str]]:
    """{table or view: the columns its pages offer to sort by} for each one with BIG_ROWS
    rows or more; `configured` is {table: its configured sort column}."""
    found = {}
    for name, kind in conn.execute(
        "SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"  # not a search index's own tables
    ).fetchall():
        if conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {q(name)} LIMIT {BIG_ROWS})").fetchone()[0] < BIG_ROWS:
            continue
        columns = [r[1] for r in conn.execute(f"PRAGMA table_xinfo({q(name)})") if not r[6]]
        tie = _tie(conn, name, kind)
        keep = [c for c in columns if c == configured.get(name) or _in_order(conn, name, c, tie)]
        if kind == "table" and tie == ["rowid"]:
            keep.append("rowid")  # Datasette offers it on a table without a primary key
        found[name] = keep
    return found


def store(conn: sqlite3.Connection, site: dict) -> None:
    """Write `offered` into the database's build record, after ANALYZE (the plans read
    its statistics); `site` is the register's metadata, with each table's configured sort."""
    found = offered(conn, sort_columns(site))
    # Its row is written with the others, before ANALYZE (build.py), and only updated here:
    # the table's rows stay those counted, each where a full build puts it.
    value = json.dumps(found, sort_keys=True)
    if not conn.execute("UPDATE register_build SET value = ? WHERE key = ?", (value, KEY)).rowcount:
        conn.execute("INSERT INTO register_build VALUES (?, ?)", (KEY, value))


def stored(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """What `store` wrote; {} for a database built before it (every sort offered)."""
    try:
        row = conn.execute("SELECT value FROM register_build WHERE key = ?", (KEY,)).fetchone()
    except sqlite3.OperationalError:
        return {}
    return json.loads(row[0]) if row else {}


def _tie(conn: sqlite3.Connection, name: str, kind: str) -> list[str]:
    """What the site's first page breaks ties on: a table's primary key, or its rowid;
    a view's pages have none."""
    if kind != "table":
        return []
    keys = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({q(name)})"), key=lambda r: r[5]) if r[5]]
    return keys or ["rowid"]


def _in_order(conn: sqlite3.Connection, name: str, column: str, tie: list[str]) -> bool:
    """Whether both directions of the sort read an index's order, with no value's rows
    too many to sort (`_largest_group`)."""
    partial = None
    for desc in ("", " DESC"):
        terms = [f"{q(column)}{desc}"] + [k if k == "rowid" else q(k) for k in tie if k != column]
        sql = f"SELECT * FROM {q(name)} ORDER BY {', '.join(terms)} LIMIT {PAGE_ROWS}"
        steps = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        if "USE TEMP B-TREE FOR ORDER BY" in steps:
            return False
        if any(s.startswith("USE TEMP B-TREE FOR") and "ORDER BY" in s for s in steps):
            partial = next((m[1] for s in steps if (m := USING_INDEX.search(s))), "")
    return partial is None or _largest_group(conn, name, column, partial) <= MAX_GROUP


def _largest_group(conn: sqlite3.Connection, name: str, column: str, index: str) -> int:
    """The most rows that share one value of the column, or are empty: from the stored
    facet counts (facet_counts.py) when they have it, with the empty ones counted (the
    index's first rows, read in milliseconds), else more than MAX_GROUP when the planner's
    statistics (exact for a coded column, planner_stats.py) give the index's first
    column more rows per value than that on average, else counted (60 to 100 ms at a
    million rows, where the first two take none)."""
    stored = (
        conn.execute(
            f"SELECT count FROM {FACET_COUNTS} WHERE table_name = ? AND filter_column = '' AND filter_value = '' "
            "AND column_name = ? AND rank = 1",
            (name, column),
        ).fetchone()
        if _has(conn, FACET_COUNTS)
        else None
    )
    if stored:  # of the values; they leave out the empty ones, which an ascending sort reads first
        empty = conn.execute(f"SELECT COUNT(*) FROM {q(name)} WHERE {q(column)} IS NULL").fetchone()[0]
        return max(stored[0], empty)
    stat = (
        conn.execute("SELECT stat FROM sqlite_stat1 WHERE idx = ?", (index,)).fetchone()
        if _has(conn, "sqlite_stat1")
        else None
    )
    per_value = stat[0].split() if stat else []
    if len(per_value) > 1 and per_value[1].isdigit() and int(per_value[1]) > MAX_GROUP:
        return int(per_value[1])
    row = conn.execute(f"SELECT COUNT(*) FROM {q(name)} GROUP BY {q(column)} ORDER BY 1 DESC LIMIT 1").fetchone()
    return row[0] if row else 0


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None
    )
