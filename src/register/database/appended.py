"""The rows appended to tables since the build, on their own, and what the views of
views.sql make of them: what an update in place (register/database/incremental.py) adds
to the stored counts instead of counting a million rows again.

SQLite resolves the tables a view reads in the view's own schema. So the appended rows
are copied into an attached, empty, in-memory schema under their tables' names, and a
view's definition created there reads them alone: `SELECT * FROM appended.<view>` is the
view of the new rows. The tables a view looks up (views.sql, `add up by (...) looking up
(...)`) are copied there whole. A view that reads anything else finds no such table
there: NotAppendable, and the caller works it out whole.
"""

from __future__ import annotations

import re
import sqlite3

from register.schema.ddl import q

SCHEMA = "appended"


class NotAppendable(Exception):
    """A view reads more than the appended rows, so they alone cannot give its new rows."""


class Appended:
    """The rows of each table after the rowid it had before the update: {table: rowid}."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        before: dict[str, int],
        selects: dict[str, str],
        lookups: dict[str, list[str]] | None = None,
    ):
        self.conn, self.before, self.selects = conn, dict(before), selects
        self.lookups = lookups or {}  # {view: the tables it reads whole}
        self.made: set[str] = set()
        conn.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")
        for table, last in self.before.items():
            conn.execute(f"CREATE TABLE {SCHEMA}.{q(table)} AS SELECT * FROM main.{q(table)} WHERE rowid > ?", (last,))

    def close(self) -> None:
        """Detach the rows; outside the transaction that read them."""
        self.conn.execute(f"DETACH DATABASE {SCHEMA}")

    def rows(self, name: str, columns: list[str] | None = None) -> list[tuple]:
        """The rows the appended rows add to table or view `name`: of a table, the
        appended rows themselves; of a view, its definition over them alone."""
        cols = ", ".join(q(c) for c in columns) if columns else "*"
        if name not in self.before:
            self._define(name, set())
        try:
            return self.conn.execute(f"SELECT {cols} FROM {SCHEMA}.{q(name)}").fetchall()
        except sqlite3.OperationalError as e:  # it reads a table with no appended rows
            raise NotAppendable(f"{name}: {e}")

    def _define(self, name: str, seen: set[str]) -> None:
        """Create view `name` over the appended rows, and first the views it reads."""
        if name in self.made or name in self.before:
            return
        if name not in self.selects or name in seen:
            raise NotAppendable(f"{name} is not a view of views.sql")
        select = self.selects[name]
        for other in self.selects:
            if other != name and re.search(rf"\b{re.escape(other)}\b", select):
                self._define(other, seen | {name})
        for table in self.lookups.get(name, ()):
            if table in self.before:  # here it holds only its new rows: not what the view looks up
                raise NotAppendable(f"{name} looks up {table}, which has rows appended too")
            if table not in self.made:
                self.conn.execute(f"CREATE TABLE {SCHEMA}.{q(table)} AS SELECT * FROM main.{q(table)}")
                self.made.add(table)
        self.conn.execute(f"CREATE VIEW {SCHEMA}.{q(name)} AS {select}")
        self.made.add(name)


def add_up(conn: sqlite3.Connection, table: str, keys: list[str], rows: list[tuple], ordered: bool = False) -> None:
    """Add rows of counts (a stored `-- build: add up by (keys)` view's rows for the
    appended rows) to the stored ones: each row's counts to those of the stored row with
    the same keys (NULL keys match NULL), or as a new row at the end when there is none;
    NotAppendable instead when the view is `ordered`, whose new row a full build would
    put in its place. SUM's NULL (nothing to add up) stays NULL only while both are."""
    columns = [r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))]
    counts = [c for c in columns if c not in keys]
    where = " AND ".join(f"{q(k)} IS ?" for k in keys)
    sets = ", ".join(f"{q(c)} = CASE WHEN ? IS NULL THEN {q(c)} ELSE COALESCE({q(c)}, 0) + ? END" for c in counts)
    update = f"UPDATE {q(table)} SET {sets} WHERE {where}"
    insert = f"INSERT INTO {q(table)} ({', '.join(map(q, columns))}) VALUES ({', '.join('?' * len(columns))})"
    at = {c: i for i, c in enumerate(columns)}
    for row in rows:
        params = [v for c in counts for v in (row[at[c]], row[at[c]])] + [row[at[k]] for k in keys]
        if conn.execute(update, params).rowcount == 0:
            if ordered:
                raise NotAppendable(f"{table} has no row for {[row[at[k]] for k in keys]} to add to")
            conn.execute(insert, row)
