"""The .Notebook page of every table, view and query: code to load its rows in Jupyter or
Observable (templates/export_notebook.html).

datasette-export-notebook 1.0.1 gives the page; its output renderer is replaced here by
one that works out the same addresses and differs in two ways:

- the page is rendered with the request, as every other page is, so its footer cites
  the release at the site's full address (without the request it gave only
  /releases/<release>) and the downloads plugin can say where the complete extract is;
- the code to stream every row as CSV reads a whole-number column as pandas' "Int64",
  which holds an empty cell, instead of int, which stops with "Integer column has NA
  values" at the first empty one (the plugin judges a column by the rows on one page,
  and empty cells are not counted there).

A database's own address with no query (/register.Notebook) has no rows to load: it is a
400 saying so, not a page of code that fails.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Response
from datasette_export_notebook.utils import detect_types

PLUGIN = "export_notebook"
# The plugin's types ("int", "float") as pandas reads them from a CSV with empty cells.
PANDAS_TYPES = {"int": '"Int64"', "float": "float"}


def unplug_original() -> None:
    """Take the plugin's own renderer out, so that .Notebook has one renderer: this one."""
    if pm.get_plugin(PLUGIN) is not None:
        pm.unregister(name=PLUGIN)


def pandas_stream_code(csv_url: str, column_types: dict[str, str]) -> str:
    """pandas.read_csv of the whole answer, with a dtype for each column of numbers."""
    dtypes = [f"    {json.dumps(c)}: {PANDAS_TYPES[t]}," for c, t in column_types.items() if t in PANDAS_TYPES]
    given = ", dtype={\n" + "\n".join(dtypes) + "\n}" if dtypes else ""
    return f"df = pandas.read_csv(\n    {json.dumps(csv_url)}{given})"


async def no_rows(datasette, request) -> Response:
    """A database's own address (/register.Notebook) with no query: it has no rows, and
    the page gave code that loaded /register.json?_shape=array, which fails."""
    database = request.path.rpartition(".")[0]
    error = (
        "This page gives the code to load a table's or a query's rows, and this address has no query. "
        f"Open a table and follow its notebook link, such as {database}/projects.Notebook, or add a "
        "query after sql=."
    )
    info = {"ok": False, "status": 400, "title": "No query given", "error": error}
    return Response.html(await datasette.render_template(["400.html", "error.html"], info, request=request), 400)


async def render_notebook(datasette, request, data, rows):
    if "rows" not in data:
        return await no_rows(datasette, request)
    path = request.path.replace(".Notebook", "")
    query = request.query_string
    back_url = f"{path}?{query}" if query else path
    json_url = datasette.absolute_url(request, f"{path}.json?{query + '&' if query else ''}_shape=array")
    csv_url = None
    if data.get("next"):
        csv_url = datasette.absolute_url(request, f"{path}.csv?{query + '&' if query else ''}_stream=on")
    context = {
        "cors_enabled": datasette.cors,
        "allow_csv_stream": datasette.setting("allow_csv_stream"),
        "back_url": back_url,
        "csv_stream_url": csv_url,
        "pandas_stream_code": pandas_stream_code(csv_url, detect_types(rows)) if csv_url else "",
        "json_url": json_url,
        "count": len(rows),
        "total_count": data.get("filtered_table_rows_count"),
        "has_next": bool(data.get("next")),
        "json": json,
    }
    return Response.html(await datasette.render_template("export_notebook.html", context, request=request))


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "Notebook", "render": render_notebook}
