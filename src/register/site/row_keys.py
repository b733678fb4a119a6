"""A record's address with more or fewer keys than its table has is a plain 404.

Datasette 0.65.5 splits the last part of a record's address on commas, one value for each
column of the table's primary key, and uses as many as the table has: the rest are never
looked at. So /register/projects/PRJ-0002,anything answered 200 with PRJ-0002's page
(and every made-up tail was one more copy of it to compute and cache), while a record of
a table keyed by two columns asked for by one value was a 500 (SQLite: no value for the
second). Here the number of values is checked before Datasette sees the request. A comma
that belongs to a value is written ~2C (Datasette's own links do so, and it redirects a
%2C there), so real addresses never have more values than keys. Innermost of the site's
wrappers (tryfirst): the cache, compression and security headers wrap its answer.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Request

from register.site.pages import not_found

# Datasette's route for a record (datasette/app.py), on the raw path as its router reads it.
ROW = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/]+?)/(?P<pks>[^/]+?)(\.(?P<format>\w+))?$")


async def key_columns(db) -> dict[str, list[str] | None]:
    """{table: its primary key's columns, in order} for every table of a database (a table
    without one is found by rowid), and {view: None}: Datasette answers a view's address
    itself. Kept on the Database object, which a new build replaces."""
    found = getattr(db, "_register_key_columns", None)
    if found is None:
        found = dict.fromkeys(await db.view_names())
        for name in await db.table_names():
            found[name] = await db.primary_keys(name) or ["rowid"]
        db._register_key_columns = found
    return found


def wrong_keys_message(table: str, typed: str, keys: list[str]) -> str:
    named = keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]
    how = "alone" if len(keys) == 1 else "separated by commas"
    return f"There is no record {typed} in {table}. The address of one of its records ends with its {named} {how}."


async def wrong_address(datasette, database, table: str, typed: str) -> str | None:
    """What is wrong with a record's address, in words; None when Datasette can look it up."""
    known = await key_columns(database)
    shown = ",".join(tilde_decode(part) for part in typed.split(","))
    if (table in known and known[table] is None) or table in await datasette.get_canned_queries(database.name, None):
        # A view or a query: Datasette's "Record not found" or SQLite's "no such table", before.
        where = datasette.urls.table(database.name, table)
        return f"{table} is worked out from the register's tables and has no page for each of its rows: see {where}"
    if table not in known:  # SQLite's "no such table", a 400, before
        return f"There is no table called {table} in the register, so no record {shown} in it."
    if typed.count(",") + 1 != len(known[table]):
        return wrong_keys_message(table, shown, known[table])
    return None


def wrap(app, datasette):
    async def checked(scope, receive, send):
        if scope.get("type") == "http":
            raw = scope.get("raw_path") or scope.get("path", "").encode()
            match = ROW.match(raw.decode("latin-1").split("?", 1)[0])
            database = match and next(
                (
                    db
                    for name, db in datasette.databases.items()
                    if db.route == tilde_decode(match["database"]) and not name.startswith("_")  # not _internal
                ),
                None,
            )
            if database is not None:
                message = await wrong_address(datasette, database, tilde_decode(match["table"]), match["pks"])
                if message:
                    # Outside Datasette's own wrapper, which runs its startup on the first request.
                    await datasette.invoke_startup()
                    request = Request({**scope, "csrftoken": lambda: ""}, receive)
                    return await (await not_found(datasette, request, message)).asgi_send(send)
        return await app(scope, receive, send)

    return checked


@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return lambda app: wrap(app, datasette)
