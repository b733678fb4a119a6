"""A table page's `_next=` that is not where a next page starts says so (400), instead of
answering with the first page again, or with "Invalid SQL".

Datasette 0.65.5 writes a table's "Next page" link as `_next=` followed by the values
the next page starts after, separated by commas: the sort column's value, if the page is
sorted, then the row's primary key (its rowid when it has none). It reads the address
back without checking how many values there are. On a sorted table one value too few
(`/register/projects?_next=PRJ-0003`, the ID alone, as a client writes it by hand) gave
the first page, under a 200, as if it were the page after PRJ-0003, and so did a wrong
number of values on a table whose key is two columns; one too many (`_next=a,b,c`) gave
"Invalid SQL: near ")": syntax error", about SQL nobody wrote. Here each is a 400 saying
what `_next=` holds on that table. A view's `_next=` is a row number, which Datasette
checks itself.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.views.base import DatasetteError


def expected_values(request, table_metadata: dict, pks: list[str]) -> tuple[str | None, bool, list[str]]:
    """The column a `_next=` of this table page starts with (the sort column, or None when
    the page is not sorted), whether it is sorted from the highest down, and the key
    columns that follow it."""
    sort = request.args.get("_sort")
    sort_desc = request.args.get("_sort_desc")
    if not sort and not sort_desc:
        sort = table_metadata.get("sort")
        sort_desc = table_metadata.get("sort_desc")
    return sort or sort_desc or None, bool(sort_desc and not sort), pks or ["rowid"]


def next_mistake(marker: str, sort: str | None, descending: bool, keys: list[str]) -> str | None:
    """What is wrong with `_next=marker` on a page sorted by `sort` whose rows have the key
    `keys`, or None. The key alone on a page sorted from the highest down is left to
    Datasette: it reads it as coming after the rows with no value to sort by, finds none,
    and the page says there are no rows after this point."""
    given = len(urlsafe_components(marker))
    wanted = len(keys) + (sort is not None)
    if given == wanted or (descending and given == len(keys)):
        return None
    parts = ([f"the value of the column the page is sorted by ({sort})"] if sort else []) + [
        f"the row's key ({', '.join(keys)})"
    ]
    return (
        f'_next= says where the next page starts, as the "Next page" link writes it: on this page '
        f"{wanted} value{'s' if wanted > 1 else ''} separated by commas, {' and then '.join(parts)}; "
        f"this address has {given}. Follow the link at the foot of the page, or take _next= out of "
        "the address to start at the first page."
    )


@hookimpl
def filters_from_request(request, database, table, datasette):
    marker = request.args.get("_next")
    if not marker:
        return None

    async def inner():
        db = datasette.get_database(database)
        if not await db.table_exists(table):
            return None  # a view: `_next=` is a row number there
        metadata = datasette.table_metadata(database, table)
        sort, descending, keys = expected_values(request, metadata, await db.primary_keys(table))
        said = next_mistake(marker, sort, descending, keys)
        if said:
            raise DatasetteError(said, title="This address could not be used", status=400)
        return None

    return inner
