"""What an append changes beyond its own rows: the stored views and facet counts that
read them, worked out again, or added to where the new rows alone say how
(register/database/appended.py; views.sql, "add up by", "redo by", "row by row").
Part of the update in place, register/database/incremental.py."""

from __future__ import annotations

import json
import sqlite3

from register.database import facet_codes, facet_counts
from register.database.appended import Appended, NotAppendable, add_up
from register.database.views import VIEWS_SQL, added_up, ordered, redone_by, row_by_row, stored_selects
from register.schema import metadata as metadata_mod
from register.schema.ddl import q
from register.schema.package import Package

# The most values _redo_rows binds one by one (SQLite allows 32,766 bound parameters).
MAX_LISTED = 10_000


def reads(conn: sqlite3.Connection, select: str) -> set[str]:
    """The tables a query reads, through any view, as SQLite's authorizer reports them."""
    found: set[str] = set()

    def note(action, arg1, arg2, dbname, source):
        if action == sqlite3.SQLITE_READ and arg1:
            found.add(arg1)
        return sqlite3.SQLITE_OK

    conn.set_authorizer(note)
    try:
        conn.execute(f"EXPLAIN SELECT * FROM (\n{select}\n)").fetchall()
    finally:
        conn.set_authorizer(None)
    return found


def stored_views_to_redo(conn: sqlite3.Connection, changed: set[str]) -> dict[str, tuple[str, set[str]]]:
    """The stored views that read a changed table or a stored view that is redone, in
    the order the build stores them: (SELECT, the tables it reads)."""
    selects = stored_selects(VIEWS_SQL.read_text("utf-8"))
    redo: dict[str, tuple[str, set[str]]] = {}
    dirty = set(changed)
    for name, select in selects.items():
        read = reads(conn, select)
        if read & dirty:
            redo[name] = (select, read)
            dirty.add(name)
    return redo


def redo_stored_views(conn: sqlite3.Connection, changed: set[str], new: Appended, step) -> tuple[set[str], dict]:
    """Work the stored views that read what changed out again, from their definitions,
    in the build's order, each at the rowids the build gives its rows; an added-up one
    that reads only appended rows has their counts added instead, and one redone by a
    column has only the rows of the values that changed worked out again (views.sql,
    "add up by", "redo by"). (Computing them side by side on two connections was tried:
    at a million rows it took 8.5 s of CPU against 5.5 s one after another, spent turning
    rows into Python objects and back.) Returns the views worked out, and for those
    changed in a few rows: {view: (columns, rows now, rows before)}."""
    redo = stored_views_to_redo(conn, changed)
    views_sql = VIEWS_SQL.read_text("utf-8")
    adds, by = added_up(views_sql), redone_by(views_sql)
    touched: dict[str, tuple[list[str], list[tuple], list[tuple] | None]] = {}
    for name, (select, read) in redo.items():
        if name in adds:  # NotAppendable when it reads more than appended rows
            try:
                rows = new.rows(name)
                add_up(conn, name, adds[name], rows, ordered=ordered(select))
                touched[name] = (_columns(conn, name), rows, None)  # counts added to: rows before unknown
                step(f"stored view {name} (added to)")
                continue
            except NotAppendable:
                pass
        if name in by:
            values = _changed_values(conn, new, touched, read & (changed | set(redo)), by[name])
            rows = None if values is None else _redo_rows(conn, name, select, by[name], values)
            if rows is not None:
                touched[name] = (_columns(conn, name), *rows)
                step(f"stored view {name} (the rows of {len(values)} {by[name]} worked out again)")
                continue
        conn.execute(f"DELETE FROM {q(name)}")
        conn.execute(f"INSERT INTO {q(name)} SELECT * FROM (\n{select}\n)")
        step(f"stored view {name}")
    return set(redo), touched


def _columns(conn: sqlite3.Connection, name: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (name,))]


def _changed_values(conn, new: Appended, touched: dict, names: set[str], column: str) -> set | None:
    """The values of `column` in the rows that changed in each of `names`, or None if a
    name changed in rows not known here or has no such column."""
    values: set = set()
    for name in names:
        if name in touched:
            columns, rows, _ = touched[name]
        elif name in new.before:
            columns, rows = _columns(conn, name), new.rows(name)
        else:
            return None
        if column not in columns:
            return None
        i = columns.index(column)
        values |= {row[i] for row in rows}
    return values


def _redo_rows(conn: sqlite3.Connection, name: str, select: str, column: str, values: set) -> tuple | None:
    """Work the rows of stored view `name` for `values` of `column` out again, in place at
    their rowids: (the rows now, the rows before), or None (nothing changed) when their number or order
    differs from the stored ones', which only working the whole view out again places."""
    chosen = sorted(values, key=repr)
    if len(chosen) <= MAX_LISTED:
        # A list of values, not a subquery: SQLite pushes only such a term down into the
        # view's grouped subqueries (gate_assurance: 1 ms for one project, 0.6 s through json_each).
        among, params = f"IN ({', '.join('?' * len(chosen))})", chosen
    else:
        among, params = "IN (SELECT value FROM json_each(?))", [json.dumps(chosen)]
    rows = conn.execute(f"SELECT * FROM (\n{select}\n) WHERE {q(column)} {among}", params).fetchall()
    columns = _columns(conn, name)
    at = columns.index(column)
    stored = conn.execute(f"SELECT rowid, * FROM {q(name)} WHERE {q(column)} {among} ORDER BY rowid", params).fetchall()
    if [r[1 + at] for r in stored] != [r[at] for r in rows]:
        return None
    sets = ", ".join(f"{q(c)} = ?" for c in columns)
    conn.executemany(f"UPDATE {q(name)} SET {sets} WHERE rowid = ?", [(*r, old[0]) for r, old in zip(rows, stored)])
    return rows, [old[1:] for old in stored]


def redo_facet_counts(
    conn: sqlite3.Connection, package: Package, dirty: set[str], new: Appended, touched: dict
) -> None:
    """The stored facet counts of every table or view that reads what changed: added to
    from the new rows where they are all that changed (a table's appended rows, a
    row-by-row view of them), or changed by the rows a stored view had and has where only
    those were worked out again (`touched`, from redo_stored_views); otherwise worked out
    again whole, by the build's own code (register/database/facet_counts.py)."""
    views_sql = VIEWS_SQL.read_text("utf-8")
    site = metadata_mod.build_metadata(package)
    facets = facet_counts.configured_facets(site)
    known = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    can = facet_counts.countable(conn, views_sql)
    by_row = row_by_row(views_sql)
    dated_codes = set(facet_codes.dated_by(views_sql))
    again = set()
    for name in sorted(facets):
        if name not in known or name not in can:
            continue
        read = {name} if name in dirty else reads(conn, f"SELECT * FROM {q(name)}") & dirty
        if not read:
            continue
        columns = facet_counts.counted_columns(conn, name, facets[name], can)
        appended_only = name in new.before or (name in by_row and read <= set(new.before))
        try:
            if name in dated_codes:  # its codes are in its key's order: counted again with them
                raise facet_counts.Recount(f"{name} keeps codes of a dated column")
            if name in touched and touched[name][2] is not None:
                everything, now, before = touched[name]
                at = [everything.index(c) for c in columns]
                pick = [[row[i] for i in at] for row in now], [[row[i] for i in at] for row in before]
                facet_counts.add(conn, name, columns, pick[0], removed=pick[1])
                continue
            if not appended_only:
                raise facet_counts.Recount(f"{name} changed other than by appended rows")
            facet_counts.add(conn, name, columns, new.rows(name, columns))
        except (facet_counts.Recount, NotAppendable):
            again.add(name)
    sorts = facet_counts.sort_columns(site)
    for name in sorted((facet_codes.coded_tables(conn) & set(new.before) & set(facets)) - again):
        kept = facet_counts.kept_columns(conn, name, facets[name], can, sorts.get(name))
        if kept != facet_codes.stored_columns(conn, name):
            again.add(name)  # which columns are coded changes: coded again whole, as a build codes them
    if again:
        facet_counts.store(conn, facets, only=again, views_sql=views_sql, sorts=sorts)
    for name in sorted((facet_codes.coded_tables(conn) & set(new.before)) - again):
        facet_codes.extend(conn, name, new.before[name])
