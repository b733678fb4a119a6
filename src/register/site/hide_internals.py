"""No page tells a visitor where the register lives on disk or how the server is built
inside, and errors cost no more than the page they replace.

Datasette 0.65.5, out of the box:

- /-/databases.json gives the database's full file path; /-/threads.json lists the
  server's threads and asyncio tasks with source file paths. /-/actor, /-/messages,
  /-/allow-debug, /-/permissions, /-/patterns and /-/auth-token are debugging and
  log-in tools a public read-only register has no use for (/-/messages even sets a
  cookie, which stops a CDN caching that visitor's pages). All are answered 404 here.
  /-/versions, /-/plugins, /-/settings and /-/metadata stay: the register's code and
  pinned versions are public in its repository, and analysts need the SQL limits.
- Every error, a 404 included, is printed to the server's stdout as a `rich`
  traceback with every local variable: about 0.3 s of CPU per 404 against 0.02 s for a
  real page, so a stream of bad URLs is a cheap way to load the server and flood its
  logs. Here, expected errors (404, 400, 403, the SQL time limit) are not printed at
  all, and real faults are printed as a plain traceback without local variables.
- An unexpected exception shows its own text to the visitor (str(exception)), which
  can hold a file path or SQL internals. Here it shows a fixed, plain message.
- The SQL time limit message is HTML with an inline script; here it is a plain
  sentence that says what happened and what to do.
- Some client mistakes reach Datasette's error handler as a 500: a sort by a column
  that does not exist (DatasetteError without a status), a `_through=` that is not
  JSON, a CSV export of a query that hits the time limit (QueryInterrupted: the HTML
  and JSON views turn it into a 400, the CSV view does not), a file name longer than
  the file system allows under /static/ or /downloads/, or a file's address with more
  after it, as in /downloads/projects.csv/x (OSError), and a parameter value Datasette
  cannot use: `_through=` or a `__in=` filter that is not the JSON it expects, a
  `_next=` on a view that is not a number, a number too big for SQLite (ValueError,
  TypeError, KeyError, OverflowError or SQLite's "datatype mismatch" from Datasette's
  own parsing). Here they answer 400, or 404 for the file name, with a plain message
  naming the parameter. An exception is only blamed on a parameter when it names the
  value the client sent (or, for `_through`, which Datasette parses on its own), so a
  real fault stays a 500.
"""

from __future__ import annotations

import errno
import importlib
import json
import re
import sqlite3
import sys
import traceback
from urllib.parse import parse_qsl

from datasette import Response, hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Base400, NotFound
from datasette.views.base import DatasetteError
from markupsafe import Markup

from register.site import sorts

HIDDEN = ("databases", "threads", "actor", "messages", "allow-debug", "permissions", "patterns", "auth-token", "logout")
HIDDEN_ROUTE = r"/-/(" + "|".join(re.escape(h) for h in HIDDEN) + r")(\.json)?/?$"

CLIENT_MISTAKE = "register_client_mistake"
TIME_LIMIT_MARKER = "SQL query took too long"
GENERIC_500 = (
    "Sorry, something went wrong on our side and this page could not be shown. "
    "Try again in a minute; if it keeps happening, tell the register's team which "
    "address you were visiting."
)


def time_limit_message(datasette) -> str:
    limit = datasette.setting("sql_time_limit_ms")
    return (
        f"This query took longer than the {limit / 1000:g} second limit and was stopped, so "
        "that the register stays quick for everyone. Try a simpler query, filter to fewer "
        "rows or add a LIMIT; complete tables can be downloaded from the downloads page."
    )


@hookimpl
def startup(datasette):
    # Datasette prints every exception, 404s included, as a rich traceback with locals
    # when `rich` is importable (it is: jupyter's dependencies bring it). Turn that off;
    # real 500s are still printed by Datasette's traceback.print_exc().
    module = importlib.import_module("datasette.handle_exception")
    module.rich = None
    module.traceback = FaultsOnly


class FaultsOnly:
    """`traceback` as Datasette's default error handler sees it: it prints every
    exception it does not know as a 4xx, client mistakes included; only real faults here."""

    @staticmethod
    def print_exc():
        if not getattr(sys.exc_info()[1], CLIENT_MISTAKE, False):
            traceback.print_exc()


async def not_found():
    raise NotFound("Page not found")


@hookimpl
def register_routes():
    return [(HIDDEN_ROUTE, not_found)]


SQLITE_INTEGER = range(-(2**63), 2**63)


def blamed_parameter(request, exception) -> str | None:
    """The name of the parameter whose value the exception is about, or None."""
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        if isinstance(exception, json.JSONDecodeError):
            if exception.doc == value:
                return name
        elif name == "_through" and isinstance(exception, (ValueError, TypeError, KeyError, AttributeError)):
            return name  # parsed by Datasette before any other use of the request
        elif isinstance(exception, (OverflowError, sqlite3.IntegrityError)):
            # A number beyond SQLite's integers, as a parameter or in a view's "offset".
            if value.lstrip("-").isdigit() and int(value) not in SQLITE_INTEGER:
                return name
        elif isinstance(exception, ValueError) and value and repr(value)[:200] in str(exception):
            return name  # int() names the value it could not read (its first 200 characters)
    return None


CANNOT_SORT = re.compile(r"^Cannot sort table by (.*)$", re.S)


def sort_words(request, said: str, refused: sorts.Refusal | None = None) -> str:
    """Datasette's words for a sort it cannot do, put as what to do next; others as said.
    `refused`: what the table offers instead, when it has the column but is not sorted by
    it (register/site/sorts.py: too many rows to sort by it quickly, or metadata.yml's
    own choice)."""
    if m := CANNOT_SORT.match(said):
        key = "_sort_desc" if request.args.get("_sort_desc") == m[1] else "_sort"
        if refused is not None:
            why = (
                f"This table has too many rows to be sorted by {m[1]} quickly ({key}=)."
                if refused.big
                else f"This table is not sorted by {m[1]} ({key}=)."
            )
            offered = (
                f"It can be sorted by {', '.join(refused.offered)}: the column headings with a link."
                if refused.offered
                else "It is not sorted by any column: its rows are shown in their own order."
            )
            find = "the filters or the search" if refused.searchable else "the filters"
            return (
                f"{why} {offered} To find rows by {m[1]}, use {find}. "
                f"Take {key}= out of the address{', or choose another column' if refused.offered else ''}."
            )
        return (
            f"This table cannot be sorted by {m[1]}: it has no column of that name ({key}=). "
            f"Take {key}= out of the address, or sort with the link in a column's heading."
        )
    if said == "Cannot use _sort and _sort_desc at the same time":
        return (
            "This address asks for two orders at once, _sort= and _sort_desc=. Keep one of them: "
            "_sort= sorts a column from the lowest value up, _sort_desc= from the highest down."
        )
    return said


def client_mistake(datasette, request, exception) -> tuple[int, str | None, str] | None:
    """The status, title and message for an exception that a client's address caused
    and Datasette would answer with a 500 (or with HTML), or None."""
    if isinstance(exception, QueryInterrupted) or (
        isinstance(exception, DatasetteError) and TIME_LIMIT_MARKER in str(exception.message)
    ):
        return 400, "Query stopped at the time limit", time_limit_message(datasette)
    if isinstance(exception, DatasetteError) and exception.status >= 500:
        # Datasette raises these without a status for a bad _sort, _sort_desc or
        # _through; its words for a sort say what failed, not what to do about it.
        said = str(exception.message)
        found = CANNOT_SORT.match(said)
        refused = sorts.refused(datasette, request, found[1]) if found else None
        return 400, "This address could not be used", sort_words(request, said, refused)
    blamed = blamed_parameter(request, exception)
    if blamed == "_through":
        return 400, "This address could not be used", "_through= must be JSON naming a table, column and value."
    if blamed is not None:
        return (
            400,
            "This address could not be used",
            f"The value of {blamed}= in this address is not one the register can use here (a number too "
            "large, a list that is not JSON, or text where a number belongs). Check it and try again.",
        )
    if isinstance(exception, OSError) and exception.errno == errno.ENAMETOOLONG:
        return 404, "Page not found", "There is no file with that name: it is longer than any file name can be."
    if isinstance(exception, OSError) and exception.errno == errno.ENOTDIR:
        # /downloads/projects.csv/x: a file's address with more after it, as a crawler
        # resolving a relative link makes; Datasette looks inside the file as a folder.
        return 404, "Page not found", "There is no file at this address: the name of a file is followed by more."
    return None


NO_COLUMN = re.compile(r"^no such column: (.+)$")
# Datasette's words for an address it has no page for, as a visitor would put them.
NOT_FOUND = {
    "404": "There is no page at this address.",
    "Page not found": "There is no page at this address.",  # not_found above: the server's insides
    "Database not found": "There is no page at this address.",
    "Table not found": "There is no table with this name in the register.",
    "Record not found": "There is no record at this address in this table.",
}
BAD_COLUMNS = re.compile(r"^_(no)?col=(.*) - invalid columns$")


def reworded(datasette, request, exception) -> tuple[int, str | None, str] | None:
    """Datasette's own words for a mistake in a table page's address, where they are
    words about SQL or its parameter syntax, put plainly. A page of the visitor's own SQL
    keeps SQLite's message: there it names what they wrote."""
    said = str(getattr(exception, "message", None) or exception)
    if "sql" in request.args and said == "Statement must be a SELECT":
        return (
            400,
            "This SQL cannot be run here",
            "The register only runs queries that read data: a query must start with SELECT (or WITH). "
            "Check the first word of your query.",
        )
    if isinstance(exception, NotFound) and said in NOT_FOUND:
        # Datasette's router names the database it looked for at /you-said.json or /nope.
        return 404, "Page not found", NOT_FOUND[said]
    if "sql" in request.args or getattr(exception, "status", 400) >= 500:
        return None
    title = "This address could not be used"
    if m := NO_COLUMN.match(said):
        column = m[1].removeprefix("inner.")  # the name of an array facet's subquery (datasette/facets.py)
        return (
            400,
            title,
            f"This table has no column called {column}. Check the column names in the address "
            "(after _facet=, _sort= or a filter) against the table's columns.",
        )
    lists = [k for k in request.args if k == "_facet_array" or k.endswith(("__arraycontains", "__arraynotcontains"))]
    if said == "malformed JSON" and lists:  # SQLite's words, under the title "Invalid SQL"
        return (
            400,
            title,
            f"{lists[0]}= works only on a column whose every value is a list written as JSON, "
            'such as ["a", "b"]; the column it names holds other values.',
        )
    searched = [k.split("_search_", 1)[1] for k in request.args if k.startswith("_search_")]
    if said == "Cannot search by that column" and searched:
        return (
            400,
            title,
            f"This table's search does not look in a column called {searched[0]}. "
            "Use _search= to search every column it looks in.",
        )
    wheres = request.args.getlist("_where")
    if wheres and getattr(exception, "title", None) == "Invalid SQL":  # SQLite's words alone
        return (
            400,
            title,
            "_where= must be a condition in SQL on this table's columns, such as gate = 'assess'. "
            f"SQLite could not use the one in this address ({said}).",
        )
    if m := BAD_COLUMNS.match(said):
        return 400, title, f"This table has no column called {m[2]} to {'hide' if m[1] else 'show'}."
    limit = datasette.setting("max_returned_rows")
    if said in ("_size must be a positive integer", f"_size must be <= {limit}"):
        # Datasette takes 0: the page then shows how many rows there are, and none of them.
        return (
            400,
            title,
            f"_size= must be a whole number of rows from 0 to {limit:,}, or max. "
            "0 gives how many rows there are without showing any.",
        )
    return None


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    mistake = reworded(datasette, request, exception) if isinstance(exception, (Base400, DatasetteError)) else None
    if mistake is None and not isinstance(exception, Base400):
        mistake = client_mistake(datasette, request, exception)
    own_words = isinstance(exception, Base400) or (isinstance(exception, DatasetteError) and exception.status < 500)
    if mistake is None and own_words:
        # Datasette's own words for a 4xx ("Table not found", "Invalid SQL", "_where= is not
        # allowed") are fine to show; its JSON too. Its HTML page is rendered here, as every
        # page is, so it has the site's header (the publisher's name) and footer.
        if request.path.split("?")[0].endswith(".json"):
            return None
        said = getattr(exception, "message", None) if isinstance(exception, DatasetteError) else exception.args[0]
        if getattr(exception, "message_is_html", False):
            said = Markup(said)
        mistake = exception.status, getattr(exception, "title", None), said
    if mistake is not None:
        setattr(exception, CLIENT_MISTAKE, True)  # not printed (FaultsOnly)
        status, title, message = mistake
    else:
        status, title, message = 500, None, GENERIC_500

    async def inner():
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        # Rendered as every page is (the plugins' template variables too: the publisher's
        # name in the header, the release in the footer).
        html = await datasette.render_template(
            [f"{status}.html", "error.html"], dict(info, menu_links=lambda: []), request=request
        )
        return Response.html(html, status=status)

    return inner
