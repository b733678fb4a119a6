"""The page types of Datasette's own pages that every table, view, row and query links to,
for the bench's list (register/bench/pages.py `public_pages()`): each table and view the
public can reach, sorted by each column a big table offers a sort by (or, on a smaller
table, by its costliest column: every column heading links a sort), its next page
and "Show all" facet values where it has them, filtered on two of its facets, a row of
each table, the formats (.json, .csv, .Notebook) the pages link to, a table's SQL
("View and edit SQL"), and the streamed CSV of each table the measure pages link to.

Values are chosen as `_samples()` chooses them: the costliest the site links to (a sort
by a column no index leads with, the commonest pair of facet values, the middle row), and
links that only a big register shows (a next page, "Show all") are taken from the page
itself, so they are timed where the register has them."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import quote

from datasette.utils import tilde_encode

from register.database import sortable
from register.database.column_codes import leading_indexes
from register.site.measures import MEASURES

FTS_PARTS = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")


def _public_tables(conn: sqlite3.Connection, meta: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, "table" or "view") of every table and view Datasette shows, and the codelists
    among them (keyed by `code`, with a title: alike, and small at any size)."""
    hidden = {
        t for t, conf in meta.get("databases", {}).get("register", {}).get("tables", {}).items() if conf.get("hidden")
    }
    shown, codelists = [], []
    for name, kind in conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
    ):
        if name in hidden or name.startswith("sqlite_") or name.endswith(FTS_PARTS):
            continue
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")]
        keys = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info([{name}])"), key=lambda r: r[5]) if r[5]]
        (codelists if keys == ["code"] and "title" in columns else shown).append((name, kind))
    return shown, [n for n, _ in codelists]


def _costliest_sort(conn: sqlite3.Connection, table: str) -> str:
    """The first column no index leads with (sorting by it sorts every row), else the first."""
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
    led = leading_indexes(conn, table)
    return next((c for c in columns if c not in led), columns[0])


def _middle_row(conn: sqlite3.Connection, table: str) -> str | None:
    """The address part of the table's middle row, as Datasette links it."""
    info = list(conn.execute(f"PRAGMA table_info([{table}])"))
    keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or ["rowid"]
    select = ", ".join(f"[{k}]" if k != "rowid" else "rowid" for k in keys)
    row = conn.execute(f"SELECT {select} FROM [{table}] LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM [{table}])").fetchone()
    return ",".join(tilde_encode(str(v)) for v in row) if row else None


def _commonest(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[tuple[int, str, object]]:
    """(rows, column, value) of each column's commonest value, the commonest first."""
    counts = []
    for column in columns:
        try:
            value, n = conn.execute(
                f"SELECT [{column}], COUNT(*) FROM [{table}] WHERE [{column}] IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            ).fetchone() or (None, 0)
        except sqlite3.Error:
            continue
        if n:
            counts.append((n, column, value))
    return sorted(counts, key=lambda t: -t[0])


def _page_links(get: Callable, port: int, path: str) -> list[str]:
    """The same-site links of one page, computed (not from the cache); `get` is
    register/bench/server.py's."""
    status, _, body = get(port, path, {"Cookie": "bench=links"})
    if status != 200:
        return []
    # Datasette writes a next page's address in full (http://host/register/...).
    return [unescape(h) for h in re.findall(r'href="(?:https?://[^/"]+)?(/[^"]*)"', body.decode("utf-8", "replace"))]


def linked_pages(get: Callable, port: int, db_path: Path, meta: dict, samples: dict) -> list[tuple[str, str]]:
    """(page type, path) for Datasette's pages of every table, view, row and query the
    site links to, beyond the tables' own pages and facet links `public_pages()` lists."""
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    tables, codelists = _public_tables(conn, meta)
    if codelists:  # the largest codelist stands for them all
        largest = max(codelists, key=lambda t: conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0])
        tables.append((largest, "table"))
    configured = meta.get("databases", {}).get("register", {}).get("tables", {})
    offered = sortable.stored(conn)
    pages = []
    for table, kind in tables:
        path = f"/register/{tilde_encode(table)}"
        pages.append((f"table {table}", path))
        # A big table offers only the sorts an index serves (register/database/sortable.py):
        # each is timed. Any other table sorts by every column: the costliest is timed.
        for column in offered.get(table) or [_costliest_sort(conn, table)]:
            pages.append((f"table {table} sorted by {column}", f"{path}?_sort={quote(column)}"))
            pages.append((f"table {table} sorted by {column}, descending", f"{path}?_sort_desc={quote(column)}"))
        if kind == "table" and (row := _middle_row(conn, table)):
            pages.append((f"row {table}", f"{path}/{row}"))
        # A row page links the rows of other tables that point at it (?column=its key): the
        # commonest value is the busiest record.
        # With no such rows yet, the key of the middle record it would point at.
        keys = {r[3]: (r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list([{table}])")}
        facets = configured.get(table, {}).get("facets", [])
        commonest = _commonest(conn, table, list(dict.fromkeys(facets + list(keys))))
        chosen = {column: value for _, column, value in commonest}
        for column, (other, other_column) in keys.items():
            if column in facets:
                continue  # timed as a facet link by public_pages()
            value = chosen.get(column)
            if value is None:
                value = conn.execute(
                    f"SELECT [{other_column}] FROM [{other}] LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM [{other}])"
                ).fetchone()
                value = value[0] if value else ""
            pages.append(
                (f"rows of {table} pointing at one record by {column}", f"{path}?{column}={quote(str(value))}")
            )
        if len(commonest) >= 2:  # two filters, the commonest values of two of its columns
            pair = commonest[:2]
            query = "&".join(f"{c}={quote(str(v))}" for _, c, v in pair)
            pages.append((f"table {table} filtered on {' and '.join(c for _, c, _ in pair)}", f"{path}?{query}"))
        if commonest and table in offered:  # a facet link's page keeps its sort links
            _, c, v = commonest[0]
            for column in offered[table]:
                for key in ("_sort", "_sort_desc"):
                    pages.append(
                        (
                            f"table {table} filtered on {c}, sorted by {column}{', descending' if key == '_sort_desc' else ''}",
                            f"{path}?{c}={quote(str(v))}&{key}={quote(column)}",
                        )
                    )
        # Links a bigger register's page has: its next page, and "Show all" of a facet's values.
        links = _page_links(get, port, path)
        for marker, label in (("_next=", "next page"), ("_facet_size=", "a facet's values shown in full")):
            found = next((h for h in links if h.startswith(path + "?") and marker in h), None)
            if found:
                pages.append((f"table {table}, {label}", found))
    conn.close()
    # The streamed CSV and the whole JSON each measure page and /gate-assurance link to.
    for view in sorted({m.view for m in MEASURES} | {"gate_assurance"}):
        if view in samples["names"]:
            pages.append((f"CSV of every row of {view}", f"/register/{view}.csv?_stream=on&_size=max"))
    pages.append(("JSON of every row of gate_assurance", "/register/gate_assurance.json?_shape=array&_size=max"))
    # The formats, each on the costliest page of its kind (the log filtered on two facets,
    # the slowest query, the middle activity).
    filtered = "/register/coproduction_log?gate=plan&participation_level=co_design"
    pages.append(("notebook of a filtered table", filtered.replace("?", ".Notebook?") + "&_labels=on"))
    pages.append(
        ("row coproduction_log as JSON", f"/register/coproduction_log/{tilde_encode(str(samples['activity']))}.json")
    )
    pages.append(("notebook of a row", f"/register/coproduction_log/{tilde_encode(str(samples['activity']))}.Notebook"))
    if "overdue_you_said" in samples["queries"]:
        for fmt, query in (("JSON", ".json"), ("CSV", ".csv?_size=max"), ("notebook", ".Notebook")):
            pages.append((f"{fmt} of query overdue_you_said", f"/register/overdue_you_said{query}"))
    # "View and edit SQL" of the filtered log, as the table page links it.
    sql = next((h for h in _page_links(get, port, filtered) if h.startswith("/register?sql=")), None)
    if sql:
        pages.append(("SQL of a filtered table", sql))
    return pages
