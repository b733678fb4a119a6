"""A table search with nothing in it to find shows the table, as an empty search box does.

Datasette quotes each word of `?_search=` (and `?_search_<column>=`) for SQLite's
full-text search (escape_fts). A value of spaces or quote marks alone has no word: it
becomes an empty MATCH, which SQLite refuses with a syntax error that Datasette shows as
"Invalid SQL" (400), or a phrase of no words, which finds nothing. A visitor who pressed
Search with a space in the box got an error about SQL they never wrote. Such a parameter
is taken out of the request before Datasette reads it; every other parameter is passed on
exactly as it was sent. `?_searchmode=raw` asks for SQLite's own search syntax, mistakes
and all, and is left alone.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from datasette import hookimpl

from register.site.query_string import cleaning, drop_parts


def _blank(part: bytes) -> bool:
    name, _, value = part.partition(b"=")
    name = unquote_plus(name.decode("latin-1"))
    if name != "_search" and not name.startswith("_search_"):
        return False
    return not unquote_plus(value.decode("latin-1")).replace('"', "").strip()


def without_blank_searches(qs: bytes) -> bytes:
    """The query string less any search parameter with nothing to find."""
    if b"_search" not in qs or b"_searchmode=raw" in qs:
        return qs
    return drop_parts(qs, _blank)


@hookimpl
def asgi_wrapper(datasette):
    return cleaning(without_blank_searches)
