"""A sorted table page's first page ordered as its next pages are, so that following
"Next" (or streaming every row as CSV) gives every row exactly once.

Datasette 0.65.5 sorts the first page of a table by the sort column alone (`order by
said_date desc limit 51`) and the pages after it by the sort column and then the primary
key (`where said_date < :p1 or (said_date = :p1 and id > :p0) order by said_date desc,
id`). Where many rows share a date, SQLite orders them on the first page as its index
gives them, not by id, so the key of the first page's last row is not where the rows of
that date stop: the register's 80 "You said" items streamed as 72 rows, 50 of them
different. Here the first page gets the same tie-break as the rest. Views are left as
they are: Datasette pages them by offset, with no key to break ties on.

Only a table page's own query is changed: `filters_from_request`, which Datasette calls
for table pages alone, marks the request, so SQL that someone types (`?sql=`) is run as
they wrote it.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from datasette import hookimpl

# The table whose page this request is (set by filters_from_request, read by `ordered`).
TABLE_PAGE: ContextVar[str | None] = ContextVar("register_table_page", default=None)
NAME = r'(?:\w+|\[[^\]]+\]|"(?:[^"]|"")+")'
FIRST_PAGE = re.compile(
    rf"(select .+? from ({NAME}) (?:where .+ )?order by ({NAME})(?: desc)?)( limit \d+(?: offset \d+)?)",
    re.S,
)


def _name(quoted: str) -> str:
    if quoted.startswith("["):
        return quoted[1:-1]
    if quoted.startswith('"'):
        return quoted[1:-1].replace('""', '"')
    return quoted


async def ordered(db, sql: str) -> str:
    """`sql` with the table's primary key (or rowid) after its one sort column, when it is a
    table page's first page; otherwise `sql` unchanged."""
    page = TABLE_PAGE.get()
    found = FIRST_PAGE.fullmatch(sql.strip()) if page else None
    if not found:
        return sql
    head, table, sort, tail = found.groups()
    table, sort = _name(table), _name(sort)
    if table != page:
        return sql
    tie = await tie_key(db, table)
    if tie is None or sort in (tie.strip("[]"), "rowid"):
        return sql
    return f"{head}, {tie}{tail}"


async def tie_key(db, table: str) -> str | None:
    """What Datasette's next pages break ties on: the table's primary key, quoted, or
    rowid; None for a view. Kept on the database object: a build never changes."""
    keys = getattr(db, "_register_tie_breaks", None)
    if keys is None:
        keys = db._register_tie_breaks = {}
    if table not in keys:
        if table in await db.table_names():
            pks = await db.primary_keys(table)
            keys[table] = ", ".join(f"[{pk}]" for pk in pks) if pks else "rowid"
        else:
            keys[table] = None  # a view: paged by offset
    return keys[table]


@hookimpl
def filters_from_request(request, database, table, datasette):
    TABLE_PAGE.set(table)
