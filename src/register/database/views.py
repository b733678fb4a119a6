"""The views of register/database/views.sql, and which of them the build stores as tables."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from register.database import facet_codes, facet_counts
from register.schema.ddl import create_index, q

VIEWS_SQL = Path(__file__).parent / "views.sql"


MATERIALISE = re.compile(r"^--\s*build:\s*materialise\s*\n\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I)
# `-- build: index <stored view> (<columns>)`: an index on a stored view, made once it is a table.
STORED_INDEX = re.compile(r"^--\s*build:\s*index\s+(\w+)\s*\(([^)]*)\)\s*$", re.M | re.I)
# `-- build: add up by (<columns>)` above `-- build: materialise`: a stored count by those
# columns, whose other columns are COUNTs or SUMs; an append adds the new rows' counts.
# `... looking up (<tables>)`: it also reads those tables whole, each row of the table it
# counts looking up rows of theirs, which an append never changes.
ADD_UP = re.compile(
    r"^--\s*build:\s*add up by\s*\(([^)]*)\)(?:\s*looking up\s*\(([^)]*)\))?\s*\n"
    r"--\s*build:\s*materialise\s*\n\s*CREATE\s+VIEW\s+(\w+)",
    re.M | re.I,
)
# `-- build: row by row`: a view with one row for each row of the one table it reads, worked
# out from that row alone, so the rows appended to the table give the view's new rows.
ROW_BY_ROW = re.compile(r"^--\s*build:\s*row by row\s*\n\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I)


# `-- build: redo by (<column>)` above `-- build: materialise`: a stored view whose rows
# come in order of that column first, and whose rows for one value of it depend only on
# the rows with that value in the tables it reads that change (the others it reads
# whole); an append works out again only the rows for the values its new rows have.
REDO_BY = re.compile(
    r"^--\s*build:\s*redo by\s*\((\w+)\)\s*\n--\s*build:\s*materialise\s*\n\s*CREATE\s+VIEW\s+(\w+)", re.M | re.I
)


def redone_by(views_sql: str) -> dict[str, str]:
    """{stored view: the column of its `-- build: redo by` line}."""
    return {view: column for column, view in REDO_BY.findall(views_sql)}


def _names(listed: str) -> list[str]:
    return [c.strip() for c in listed.split(",") if c.strip()]


def added_up(views_sql: str) -> dict[str, list[str]]:
    """{stored view: the columns it counts by} of the `-- build: add up by` lines."""
    return {view: _names(cols) for cols, _, view in ADD_UP.findall(views_sql)}


def looked_up(views_sql: str) -> dict[str, list[str]]:
    """{stored view: the tables it looks up} of the `-- build: add up by` lines that name any."""
    return {view: _names(tables) for _, tables, view in ADD_UP.findall(views_sql) if tables}


def ordered(select: str) -> bool:
    """Whether a view puts its rows in an order (a full build stores them in it)."""
    return bool(re.search(r"\bORDER\s+BY\b", select, re.I))


def row_by_row(views_sql: str) -> set[str]:
    """The views of a `-- build: row by row` line."""
    return set(ROW_BY_ROW.findall(views_sql))


def store_view(conn: sqlite3.Connection, name: str, source: str = "") -> None:
    """Replace the view by a table of its rows; with `source`, an attached schema, by a
    copy of that schema's table of the name (register/database/side_derived.py works some
    out in the build's second process, with this same function)."""
    rows = f"{source}.{q(name)}" if source else q(name)
    conn.execute(f"CREATE TABLE {q('_materialising')} AS SELECT * FROM {rows}")
    conn.execute(f"DROP VIEW {q(name)}")
    conn.execute("PRAGMA legacy_alter_table = ON")  # the views that read it are checked later
    conn.execute(f"ALTER TABLE {q('_materialising')} RENAME TO {q(name)}")
    conn.execute("PRAGMA legacy_alter_table = OFF")


def materialise(
    conn: sqlite3.Connection, views_sql: str, source: str = "", stored: set[str] = frozenset()
) -> list[str]:
    """Store the rows of each view marked `-- build: materialise` in register/database/views.sql
    as a table of the same name (those in `stored` copied from the attached schema `source`).

    The database never changes between builds, so a view that depends only on the data
    (never on today's date) can be worked out once here instead of on every request.
    Views that read it then read a table. Columns named id or ending in _id are indexed,
    and so are the columns a `-- build: index <view> (<columns>)` line names, and those an
    added-up view counts by (an append looks its rows up by them).
    """
    names = MATERIALISE.findall(views_sql)
    for name in names:
        store_view(conn, name, source if name in stored else "")
        for (column,) in conn.execute("SELECT name FROM pragma_table_info(?)", (name,)).fetchall():
            if column == "id" or column.endswith("_id"):
                create_index(conn, name, column)
    indexes = [(name, [c.strip() for c in columns.split(",")]) for name, columns in STORED_INDEX.findall(views_sql)]
    for name, cols in indexes + list(added_up(views_sql).items()):
        if name not in names:
            raise ValueError(f"views.sql asks for an index on {name}, which is not a stored view")
        conn.execute(f"CREATE INDEX {q('idx_' + name + '_' + '_'.join(cols))} ON {q(name)} ({', '.join(map(q, cols))})")
    return names


def live_views(conn: sqlite3.Connection) -> None:
    """Turn the stored views back into live ones, and re-create every view.

    For a copy of the register cut down to a period (register/publishing/reportkit.py): rows
    stored at build time describe the whole register, the live views the copy.
    """
    views_sql = VIEWS_SQL.read_text("utf-8")
    for name in MATERIALISE.findall(views_sql):
        conn.execute(f"DROP TABLE IF EXISTS {q(name)}")
    conn.execute(f"DROP TABLE IF EXISTS {q(facet_counts.TABLE)}")  # the site then counts live
    conn.execute(f"DROP TABLE IF EXISTS {q(facet_codes.TABLE)}")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f"DROP VIEW {q(name)}")
    conn.executescript(views_sql)


CREATE_VIEW = re.compile(r"^\s*CREATE\s+VIEW\s+(\w+)\s+AS\s+(.*?);?\s*$", re.S | re.I)


def statements(sql: str) -> list[str]:
    """The statements of an SQL script, split where SQLite says one is complete."""
    out, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    return out


def view_selects(views_sql: str) -> dict[str, str]:
    """The SELECT of every view of views.sql, stored or not, in its order."""
    found = {}
    for statement in statements(views_sql):
        body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
        m = CREATE_VIEW.match(body)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def stored_selects(views_sql: str) -> dict[str, str]:
    """The SELECT of each stored view, in the order the build stores them: what
    register/database/incremental.py runs again when the rows a view reads change."""
    found = view_selects(views_sql)
    return {name: found[name] for name in MATERIALISE.findall(views_sql)}
