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


def unquoted(quoted: str) -> str:
    """A table or column name as Datasette's SQL writes it ([name], "name" or name), bare."""
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
    table, sort = unquoted(table), unquoted(sort)
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


# A next page's condition as Datasette 0.65.5 writes it: `(col > :p1 or (col = :p1 and
# <the key after the marker's>))`, with `or col is null` after `:p1` when sorted downwards.
NEXT_PAGE = re.compile(rf"\(({NAME}) [<>] :(p\d+)(?: or \1 is null)? or \(\1 = :\2 and ")
PARAM = re.compile(r":(p\d+)")


async def typed_marker(db, sql: str, params, run):
    """`params` with the sort value of a table page's `_next=` as the number it was, where
    the sort column has no declared type; otherwise `params` unchanged.

    Datasette puts the marker's values into the query as text. A column declared INTEGER
    or TEXT turns text into its own kind before comparing, but a column with no declared
    type does not, and SQLite orders every number before any text: the stored measures
    (counts worked out by the build, such as summary_you_said_we_did.items) have such
    columns. Sorted by one upwards, `items > '2'` held for no row and the pages stopped
    after the first; downwards, `items < '2'` held for every row, and "Next" gave the same
    page for ever (a CSV of it streamed until the size limit). The row the marker names
    is looked up by its key, so the value is given as the kind it is stored as."""
    page = TABLE_PAGE.get()
    found = NEXT_PAGE.search(sql) if page and params else None
    if not found or not isinstance(params.get(found.group(2)), str):
        return params
    column = unquoted(found.group(1))
    if column not in await untyped_columns(db, page, run):
        return params
    keys = [k.strip("[]") for k in (await tie_key(db, page) or "").split(", ") if k]
    named = list(dict.fromkeys(PARAM.findall(sql[found.end() :])))[: len(keys)]
    if not keys or len(named) != len(keys):
        return params
    where = " and ".join(f"[{key}] = :{name}" for key, name in zip(keys, named, strict=True))
    kind = (await run(f"select typeof([{column}]) from [{page}] where {where}", params)).first()
    value = params[found.group(2)]
    try:
        if kind and kind[0] == "integer":
            return {**params, found.group(2): int(value)}
        if kind and kind[0] == "real":
            return {**params, found.group(2): float(value)}
    except ValueError:
        pass
    return params


async def untyped_columns(db, table: str, run) -> set[str]:
    """The columns of a table declared with no type (kept on the database object)."""
    known = getattr(db, "_register_untyped", None)
    if known is None:
        known = db._register_untyped = {}
    if table not in known:
        rows = await run("select name from pragma_table_info(:t) where type = ''", {"t": table})
        known[table] = {r[0] for r in rows}
    return known[table]
