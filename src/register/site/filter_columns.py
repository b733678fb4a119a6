"""A table page filtered or faceted by a column the table does not have says so (400),
instead of answering with rows that are wrong.

Datasette 0.65.5 reads every parameter of a table page that does not start with `_` as a
filter, `column` or `column__lookup`, and writes it into the SQL as "column" = :p0
without checking that the column exists. SQLite takes a double-quoted name that is not a
column as a string: `?page=2` on a table without a page column asked for the rows where
the text 'page' equals '2', and the page said "0 rows where page = 2"; `?nope=nope`
gave every row. A lookup Datasette does not know (`?status__bogus=done`) was dropped
without a word, so the page showed every row as if filtered. Here either is a 400 that
names the parameter; a filter on a real column with a real lookup is left to Datasette.
A `_facet_size` that is neither a whole number nor max, which Datasette ignores, is a 400 too.
The tracking parameters other sites add to a link (utm_source=, fbclid=) are dropped
first, so a link shared from a newsletter still opens.
"""

from __future__ import annotations

import json
import re

from datasette import hookimpl
from datasette.filters import Filters
from datasette.views.base import DatasetteError

from register.site.facets import named_column, names_no_column
from register.site.query_string import cleaning, drop_parts

LOOKUPS = tuple(Filters._filters_by_key)


def filter_pairs(request) -> list[tuple[str, str, str]]:
    """(parameter, column, lookup) for each parameter Datasette reads as a filter: the
    same rule as its table view (not `_x`, but `_x__y` is one)."""
    pairs = []
    for key in request.args:
        if key.startswith("_") and "__" not in key:
            continue
        column, lookup = key.rsplit("__", 1) if "__" in key else (key, "exact")
        pairs.append((key, column, lookup))
    return pairs


# The facet types whose parameters name a column (`_facet_size` is a number).
FACET_KEYS = ("_facet", "_facet_date", "_facet_array")


def facet_pairs(request) -> list[tuple[str, str | None, None]]:
    """(parameter, column, None) for each facet the address asks for, column None when
    the parameter names none. Checked with the filters, before the page runs: a facet
    that failed among Datasette's gathered facets left the others' coroutines never
    awaited. A value that is not JSON is left to Datasette's own refusal."""
    pairs = []
    for key in FACET_KEYS:
        for value in request.args.getlist(key):
            if not value.startswith("{"):
                pairs.append((key, value or None, None))
                continue
            try:
                pairs.append((key, named_column(json.loads(value)), None))
            except ValueError:
                continue
    return pairs


def facet_size_mistake(request, most: int) -> str | None:
    """Datasette drops a `_facet_size` it cannot read (abc, -1) without a word, and the page
    showed its default number of values as if that had been asked for."""
    size = request.args.get("_facet_size")
    if not size or size == "max" or (size.isascii() and size.isdigit()):
        return None
    return (
        "_facet_size= must be a whole number of values to show for each facet, or max "
        f"(as many as a page shows, {most:,})."
    )


def mistake(pairs, columns) -> str | None:
    """What is wrong with the first filter or facet that cannot be used, in plain words,
    or None."""
    for key, column, lookup in pairs:
        if column is None:
            return names_no_column(key)
        if column not in columns and lookup is None:
            return (
                f"This table has no column called {column}, so it cannot be counted by {key}=. "
                f"Take {key}={column} out of the address, or check it against the table's columns."
            )
        if column not in columns:
            return (
                f"This table has no column called {column}, so it cannot be filtered by {key}=. "
                f"Take {key}= out of the address, or check it against the table's columns."
            )
        if lookup is not None and lookup not in LOOKUPS:
            return (
                f"{lookup} is not a way to filter a column ({key}=). "
                f"Use one of: {', '.join(LOOKUPS)}; or no __ at all, for rows equal to the value."
            )
    return None


@hookimpl
def filters_from_request(request, database, table, datasette):
    said = facet_size_mistake(request, datasette.setting("max_returned_rows"))
    if said:
        raise DatasetteError(said, title="This address could not be used", status=400)
    pairs = filter_pairs(request) + facet_pairs(request)
    if not pairs:
        return None

    async def inner():
        db = datasette.get_database(database)
        columns = set(await db.table_columns(table))
        if await db.table_exists(table):
            columns.add("rowid")  # every table has one (a view has not)
        said = mistake(pairs, columns)
        if said:
            raise DatasetteError(said, title="This address could not be used", status=400)
        return None

    return inner


# Parameters that mail and social sites add to a link they pass on (a newsletter's
# utm_source=, Facebook's fbclid=): no page reads them, and on a table page Datasette
# would take each for a filter, now refused. They are taken out of the request before
# Datasette or the response cache sees it; every other parameter is passed on as sent.
TRACKING = re.compile(rb"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi)(=|$)")


def without_tracking(qs: bytes) -> bytes:
    """The query string less any tracking parameter; the same object when it has none."""
    if not qs:
        return qs
    return drop_parts(qs, TRACKING.match)


@hookimpl
def asgi_wrapper(datasette):
    return cleaning(without_tracking)
