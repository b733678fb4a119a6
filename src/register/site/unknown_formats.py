"""A data page asked for in a format the register does not make is a 404 that says which
formats there are, not the HTML page under the wrong name.

Datasette 0.65.5 reads the last `.word` of a database, table or row address as a format,
and renders any format it does not know as the HTML page: /register/projects.xlsx
answered 200 with the table's web page, so a journalist who guessed the spreadsheet's
address saved a web page as a workbook that Excel cannot open, and every made-up suffix
was one more copy of the page to compute and cache. The formats Datasette does make
(json, jsono, csv and each output renderer's, such as Notebook and blob) pass untouched.
"""

from __future__ import annotations

import re

from datasette import hookimpl

from register.site.links import DB
from register.site.measures import all_measures
from register.site.pages import not_found

KNOWN = ("json", "jsono", "csv")
# The pages designed for people (register/site/routes.py and the plugins' routes), made
# only as web pages, each with the table or view its data is in (None: several).
# /you-said.json was answered "Database not found", in Datasette's words.
DESIGNED = {
    "you-said": "you_said_we_did_current",
    "projects": "projects",
    "gate-assurance": "gate_assurance",
    "measures": None,
    "glossary": None,
    "search": None,
    "accessibility": None,
    "downloads": None,
    "releases": None,
}
DESIGNED_ROUTE = rf"^/(?P<page>{'|'.join(map(re.escape, DESIGNED))}|measures/[a-z_]+)\.(?P<format>\w+)$"


def unknown_format_route(databases, formats) -> str:
    """A route for a database's, table's or row's address ending in any other `.word`:
    the same shapes as Datasette's own routes, for the register's databases only (so
    /favicon.ico or /feeds/you-said.atom are never matched); the database's own address
    may end in .db, the SQLite file."""
    names = "|".join(re.escape(d) for d in databases)
    allowed = "|".join(re.escape(f) for f in formats)
    database = rf"\.(?!(?:{allowed}|db)$)"
    table_or_row = rf"/[^/.]+(?:/[^/]+?)?\.(?!(?:{allowed})$)"
    return rf"^/(?:{names})(?:{database}|{table_or_row})(?P<format>\w+)$"


async def unknown_format(datasette, request):
    asked = request.url_vars["format"]
    formats = dict.fromkeys((*KNOWN, *sorted(datasette.renderers)))
    made = ", ".join(f".{f}" for f in formats if f not in ("jsono", "blob"))
    message = f"This page is not made as .{asked}. The formats it is made in are: {made}."
    if asked.lower() in ("xlsx", "xls", "ods", "zip"):
        message += " The whole register, as an Excel workbook or a zip of CSV files, is on the downloads page."
    return await not_found(datasette, request, message)


async def designed_page_format(datasette, request):
    """A designed page asked for as .json (or any other format): where its data is."""
    page, asked = request.url_vars["page"], request.url_vars["format"]
    table = DESIGNED.get(page)
    if page.startswith("measures/"):
        name = page.split("/", 1)[1]
        measure = next((m for m in await all_measures(datasette) if m.name == name), None)
        if measure is None:
            return await not_found(datasette, request, f"There is no measure called {name!r}.")
        table = measure.view
    message = f"This page is not made as .{asked}."
    if table:
        data = datasette.urls.table(DB, table, format=asked if asked in ("json", "csv") else None)
        message += f" Its data is at {data}"
    else:
        message += f" Every table of the register, each as .json and .csv, is listed at {datasette.urls.database(DB)}"
    return await not_found(datasette, request, message)


@hookimpl
def register_routes(datasette):
    databases = [name for name in datasette.databases if not name.startswith("_")]
    if not databases:
        return []
    return [
        (unknown_format_route(databases, (*KNOWN, *datasette.renderers)), unknown_format),
        (DESIGNED_ROUTE, designed_page_format),
    ]
