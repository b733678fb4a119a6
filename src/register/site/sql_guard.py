"""Arbitrary SQL for analysts, with nothing an analyst does able to change, leak or
exhaust the register.

Datasette already refuses SQL that does not start with SELECT or WITH, refuses most
PRAGMAs, opens the database immutable (read-only), stops a query at
`sql_time_limit_ms` and returns at most `max_returned_rows`. Measured against Datasette
0.65.5 with Debian's SQLite 3.40, three gaps remain, closed here on every connection to
a served database (not Datasette's own `_internal` one):

- `select fts3_tokenizer('simple')` returns a live memory address (SQLite is built with
  FTS3_TOKENIZER), and its two-argument form overwrites a function pointer: the known
  first step of turning SQL into code execution. `load_extension()` is refused by
  SQLite already; both are denied here by an authorizer, with ATTACH, DETACH and every
  write or schema change, whatever the SQL looks like.
- `select file from pragma_database_list` (a pragma function Datasette allows) gives the
  database's path on disk: the column reads as NULL here.
- The time limit is checked between steps of a query, so one function call that runs
  long cannot be stopped: `select randomblob(1000000000)` builds a 1 GB value (which
  Datasette then base64-encodes into a 1.3 GB JSON response); `instr()` of two 1 MB
  strings takes 8 s; `printf('%.*c', 2147483647, 'x')` loops two billion times (10 s)
  even though its result is too big to keep. No value in the register is longer than a
  few thousand characters, so values over MAX_VALUE_BYTES (100 kB) are refused by
  SQLite itself ("string or blob too big"), which bounds every string function; and
  printf()/format() refuse a width or precision over MAX_PRINTF_WIDTH.

And a bound on work in progress, so that too much is refused quickly rather than queued
for ever. Datasette runs SQL on a few threads (3 by default) with no limit on the
queue in front of them: at a million rows a table page nobody has asked for before
takes a second or two, so 50 visitors each adding a different `?x=` to the address
(which defeats the response cache) left requests queued for over 10 s, most timing
out, while nothing was refused. Here:

- at most SQL_SLOTS arbitrary queries (`?sql=`, `?_where=`; half the cores) run at
  once, since one may hold a thread and a core for the whole time limit; one that
  cannot start within QUEUE_WAIT_S is refused;
- at most PAGE_SLOTS other pages are computed at once; one that cannot start within
  PAGE_QUEUE_WAIT_S is refused.

Refused means 503 with Retry-After, straight away. Static files and downloads are never
held back, and responses from register/site/cache.py never reach this gate.

And a refused or failed query never answers 200:

- Datasette's CSV export of a query drops the status of a failed one: SQL this guard
  refuses, or SQL with a mistake, answered 200 with an empty body, hiding the refusal.
  Here the failure is raised as the same 400 and message the JSON answer gives.
- An empty `sql=` on a database's .json or .csv address fell through to the database
  page, which those formats cannot show (a KeyError, so a 500): here it is a 400.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.views.base import DatasetteError
from datasette.views.database import QueryView

from register import settings
from register.site.limits import send_error

MAX_VALUE_BYTES = 100_000
MAX_PRINTF_WIDTH = 100_000
# Half the machine's cores: a runaway query keeps one core busy for the whole time limit,
# so pages always have the other half (on the 2-core reference machine, one slot).
SQL_SLOTS = max(1, (os.cpu_count() or 2) // 2)
QUEUE_WAIT_S = 2.0
# Pages computed at once (not served from the cache): a few more than Datasette's SQL
# threads, so its queue stays short; more wait up to PAGE_QUEUE_WAIT_S, then get 503.
PAGE_SLOTS = int(settings.number(settings.PAGE_SLOTS, minimum=1, whole=True))
PAGE_QUEUE_WAIT_S = 3.0
RETRY_AFTER_S = 5

DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
# Pragmas that only read; Datasette uses some to show tables. Any other PRAGMA is refused.
READ_PRAGMAS = frozenset(
    {
        "database_list",
        "foreign_key_list",
        "function_list",
        "index_info",
        "index_list",
        "index_xinfo",
        "page_count",
        "max_page_count",
        "page_size",
        "schema_version",
        "table_info",
        "table_xinfo",
        "table_list",
        "compile_options",
        "collation_list",
        "module_list",
        "pragma_list",
        "freelist_count",
        "encoding",
        "user_version",
        "application_id",
        "data_version",
        "foreign_keys",
        "recursive_triggers",
    }
)
# Pragmas Datasette itself sets on a fresh connection (cache_size_kb, query_only=1).
SET_BY_DATASETTE = frozenset({"cache_size", "query_only"})

WRITE_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_TEMP_INDEX,
        sqlite3.SQLITE_CREATE_TEMP_TABLE,
        sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
        sqlite3.SQLITE_CREATE_TEMP_VIEW,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_TEMP_INDEX,
        sqlite3.SQLITE_DROP_TEMP_TABLE,
        sqlite3.SQLITE_DROP_TEMP_TRIGGER,
        sqlite3.SQLITE_DROP_TEMP_VIEW,
        sqlite3.SQLITE_DROP_TRIGGER,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_ALTER_TABLE,
        sqlite3.SQLITE_REINDEX,
        sqlite3.SQLITE_ANALYZE,
        sqlite3.SQLITE_CREATE_VTABLE,
        sqlite3.SQLITE_DROP_VTABLE,
        sqlite3.SQLITE_ATTACH,
        sqlite3.SQLITE_DETACH,
    }
)
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"})


def authorizer(action, arg1, arg2, db_name, trigger):
    """SQLite calls this while preparing each statement: deny anything but reading."""
    if action in WRITE_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_UPDATE:
        # SQLite reports reading the schema on first use as UPDATE of sqlite_master;
        # real updates cannot get here (immutable database, SELECT-only SQL).
        return sqlite3.SQLITE_OK if arg1 in SCHEMA_TABLES else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in READ_PRAGMAS and (
            arg2 is None
            or name
            not in {
                "foreign_keys",
                "recursive_triggers",
                "user_version",
                "application_id",
                "schema_version",
                "max_page_count",
            }
        ):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK if name in SET_BY_DATASETTE else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() == "pragma_database_list" and arg2 == "file":
        return sqlite3.SQLITE_IGNORE  # the column reads as NULL: no path on disk
    return sqlite3.SQLITE_OK


PRINTF_SPEC = re.compile(r"%([-+ 0#,!]*)(\*|\d+)?(?:\.(\*|\d+))?(?:ll|l|h)?([a-zA-Z%])")


def printf_too_wide(args: tuple) -> bool:
    """True if a width or precision, written in the format or taken from an argument
    by '*', is over MAX_PRINTF_WIDTH."""
    if not args or not isinstance(args[0], str):
        return False
    i = 1
    for m in PRINTF_SPEC.finditer(args[0]):
        if m.group(4) == "%":
            continue
        for part in (m.group(2), m.group(3)):
            if part == "*":
                value = args[i] if i < len(args) else 0
                i += 1
                try:
                    if abs(int(value or 0)) > MAX_PRINTF_WIDTH:
                        return True
                except (TypeError, ValueError):
                    pass
            elif part and int(part) > MAX_PRINTF_WIDTH:
                return True
        i += 1
    return False


def bounded_printf(conn: sqlite3.Connection):
    """SQLite's printf()/format(), giving NULL (as SQLite does for a result too big to
    keep) instead of looping for seconds over a huge width; the formatting itself is
    SQLite's own, on a private in-memory connection."""
    inner = sqlite3.connect(":memory:", check_same_thread=False)
    inner.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)

    def printf(*args):
        if not args or printf_too_wide(args):
            return None
        sql = "SELECT printf(" + ", ".join("?" * len(args)) + ")"
        return inner.execute(sql, args).fetchone()[0]

    return printf


@hookimpl
def prepare_connection(conn, database, datasette):
    db = datasette.databases.get(database)
    if db is None or db.is_memory or database == "_internal":
        return  # Datasette's own scratch connections (/-/versions probes FTS with CREATE)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    printf = bounded_printf(conn)
    for name in ("printf", "format"):
        conn.create_function(name, -1, printf, deterministic=True)
    conn.set_authorizer(authorizer)


ARBITRARY_SQL_PARAMS = ("sql", "_where")
# Paths answered from files, never from SQL: never held back.
STATIC_PREFIXES = ("/static/", "/-/static/", "/-/static-plugins/", "/downloads/", "/reports/", "/favicon.ico")


def _sql_args(scope) -> dict:
    qs = scope.get("query_string") or b""
    if b"sql=" not in qs and b"_where=" not in qs:
        return {}
    return parse_qs(qs.decode("latin-1"), keep_blank_values=True)


def _is_arbitrary_sql(args: dict) -> bool:
    return any(args.get(name, [""])[0].strip() for name in ARBITRARY_SQL_PARAMS)


def _blank_sql_for_a_format(args: dict, scope, formats: frozenset) -> bool:
    """`/<database>.<format>?sql=` with nothing after sql=."""
    if "sql" not in args or args["sql"][0].strip():
        return False
    path = scope.get("path", "")
    return path.count("/") == 1 and path.rpartition(".")[2] in formats


# Shapes of JSON made of a page's rows: the database's own JSON, its list of tables, has none.
ROW_SHAPES = ("array", "arrayfirst")


def _rows_of_no_query(scope, databases) -> str | None:
    """What is wrong with `/<database>.csv`, or `/<database>.json?_shape=array`, asked for
    without sql=, or None. Both are rows, and with no query there are none: Datasette
    failed with a 500 looking for them."""
    path = scope.get("path", "")
    name, dot, fmt = path[1:].rpartition(".")
    if path.count("/") != 1 or not dot or fmt not in ("csv", "json") or name not in databases():
        return None
    args = parse_qs((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True)
    if "sql" in args:
        return None
    if fmt == "csv":
        return (
            f"A CSV is made of a query's or a table's rows, and this address has no query. Add one after "
            f"sql=, such as ?sql=select * from projects, or take one table's rows at /{name}/projects.csv. "
            "Complete downloads of every table are on the downloads page, /downloads."
        )
    if (shape := args.get("_shape", [""])[0]) in ROW_SHAPES:
        return (
            f"_shape={shape} gives a query's or a table's rows, and this address has no query. Add one "
            f"after sql=, or ask for one table's rows, such as /{name}/projects.json?_shape={shape}; "
            "without _shape= this address lists the database's tables."
        )
    return None


async def _busy(send, what: str) -> None:
    body = (
        f"503 Service Unavailable: the register is busy {what}. Please try again in {RETRY_AFTER_S} seconds.\n"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def gate(app, formats: frozenset = frozenset({"json", "csv"}), databases=lambda: ()):
    """Bound the work in progress: at most SQL_SLOTS arbitrary queries and PAGE_SLOTS
    pages being computed at once; a request that cannot start within its wait is
    answered 503 at once. Responses served from register/site/cache.py never get here (that
    wrapper is outermost), so this only ever holds back work that is really computed."""
    per_loop: dict = {}  # semaphores per event loop (tests run several loops in turn)

    async def gated(scope, receive, send):
        if scope.get("type") != "http" or scope.get("path", "").startswith(STATIC_PREFIXES):
            return await app(scope, receive, send)
        loop = asyncio.get_running_loop()
        if loop not in per_loop:
            per_loop.clear()
            per_loop[loop] = {"sql": asyncio.Semaphore(SQL_SLOTS), "page": asyncio.Semaphore(PAGE_SLOTS)}
        args = _sql_args(scope)
        if no_rows := _rows_of_no_query(scope, databases):
            return await send_error(scope, send, 400, "No query given", no_rows)
        if _blank_sql_for_a_format(args, scope, formats):
            return await send_error(
                scope,
                send,
                400,
                "No query given",
                "sql= is empty: write a query after it, such as select * from projects.",
            )
        if _is_arbitrary_sql(args):
            slots, wait, what = (
                per_loop[loop]["sql"],
                QUEUE_WAIT_S,
                "running other people's SQL queries; pages and downloads are not affected",
            )
        else:
            slots, wait, what = per_loop[loop]["page"], PAGE_QUEUE_WAIT_S, "with a great many requests"
        try:
            await asyncio.wait_for(slots.acquire(), wait)
        except TimeoutError:
            return await _busy(send, what)
        try:
            return await app(scope, receive, send)
        finally:
            slots.release()

    return gated


DENIED_FUNCTION = re.compile(r"^not authorized to use function: (\w+)$")


def plain_sql_error(said: str) -> str:
    """SQLite's words for a refusal by the authorizer or the value limit above, which say
    nothing of why ("not authorized"), put as what happened; other errors as said."""
    if said == "not authorized":
        return (
            "This query is not authorized: the register only runs queries that read data, and this one "
            "would write, change the database's structure, attach another file or set a PRAGMA."
        )
    if m := DENIED_FUNCTION.match(said):
        return f"The function {m[1]}() is not authorized on the register: it could reach the server itself."
    if said == "string or blob too big":
        return (
            f"This query makes a value too big for the register (over {MAX_VALUE_BYTES // 1000} kB), so it was "
            "stopped. Ask for less: no value in the register is more than a few thousand characters."
        )
    return said


def refuse_failed_csv(view_data):
    """QueryView.data, raising a failed query's 400 when the CSV view asks for it (the
    other views read the status it returns; Datasette 0.65.5's as_csv drops it), with a
    refusal's words made plain (plain_sql_error) in every format."""

    async def data(self, request, *args, **kwargs):
        result = await view_data(self, request, *args, **kwargs)
        if isinstance(result, tuple) and result and isinstance(result[0], dict) and result[0].get("error"):
            result[0]["error"] = plain_sql_error(str(result[0]["error"]))
        if request.url_vars.get("format") == "csv" and isinstance(result, tuple) and len(result) == 4:
            status = result[3] or 200
            if status >= 400:
                raise DatasetteError(result[0].get("error") or "This query failed.", title="Invalid SQL", status=status)
        return result

    data.refuses_failed_csv = True
    return data


@hookimpl
def startup(datasette):
    if not getattr(QueryView.data, "refuses_failed_csv", False):
        QueryView.data = refuse_failed_csv(QueryView.data)


# Innermost (tryfirst), so the 503 gets register/site/security.py's headers like any response.
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    formats = frozenset({"csv", *datasette.renderers})
    return lambda app: gate(app, formats, lambda: datasette.databases)
