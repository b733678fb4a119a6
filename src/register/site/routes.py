"""The Datasette hooks of the register's pages: routes, Jinja filters, home page figures."""

from datasette import __version__, hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response

from register.site import feeds, pages, project, search, sorts, you_said, you_said_list
from register.site.facet_items import facet_items
from register.site.filters import number, uk_date, uk_moment_time, uk_time, yes_no
from register.site.links import (
    DB,
    DESIGNED_PAGES,
    Linker,
    column_label,
    field_title,
    load_codelists,
    load_column_targets,
    view_meta,
)
from register.site.measures import all_measures, headlines
from register.site.publishers import publisher_count
from register.site.result_rows import result_rows, table_rows
from register.site.row_count import plain_description
from register.util.words import agree, due_date_basis, every, n_of


def _bounded(handler):
    """A page whose SQL passes the time limit says so (503, try again) instead of
    failing with a 500; the response cache keeps the answer briefly, so holding F5
    cannot queue the same slow query again and again."""

    async def route(datasette, request):
        try:
            return await handler(datasette, request)
        except QueryInterrupted:
            html = await datasette.render_template(
                ["error.html"],
                {
                    "ok": False,
                    "status": 503,
                    "title": "This page took too long",
                    "error": "Working this page out took longer than the register allows, so it was stopped. "
                    "Please try again in a minute; the tables and downloads hold the same data.",
                },
                request=request,
            )
            return Response.html(html, status=503, headers={"Retry-After": "60"})

    route.__name__ = handler.__name__
    route.__doc__ = handler.__doc__
    return route


async def home_page(datasette, request):
    """The home page: index.html with its figures (extra_template_vars below), without
    Datasette's list of databases, which the page does not show and which looked up
    every table's columns, keys and search index on each request (355 queries, 0.3 s
    of CPU on a national register)."""
    json_url = datasette.absolute_url(request, datasette.urls.instance(format="json"))
    context = {"datasette_version": __version__, "alternate_url_json": json_url}
    html = await datasette.render_template(["index.html"], context, request=request)
    return Response.html(html, headers={"Link": f'<{json_url}>; rel="alternate"; type="application/json+datasette"'})


async def only_slashes(request):
    """`//` or `///`: Datasette takes the slashes off the end of an address it has no page
    for and sends the visitor there, which for nothing but slashes is an empty Location,
    the same address again: a browser went round until it gave up ("too many redirects")
    and a crawler for ever. Here it is the home page."""
    return Response.redirect("/" + (f"?{request.query_string}" if request.query_string else ""))


@hookimpl
def register_routes(datasette):
    return [(r"^//+$", only_slashes)] + [
        (pattern, _bounded(handler))
        for pattern, handler in [
            (r"^/$", home_page),
            (r"^/projects/?$", pages.projects_index),
            (r"^/projects/(?P<id>[^/]+)$", project.project_page),
            (r"^/gate-assurance/?$", pages.gate_assurance_page),
            (r"^/measures/?$", pages.measures_index),
            (r"^/measures/(?P<name>[A-Za-z_-]+)$", pages.measure_page),
            (r"^/measures/(?P<name>[a-z_]+)/chart-(?P<size>narrow|wide)\.svg$", pages.measure_chart_image),
            (r"^/glossary/?$", pages.glossary_page),
            (r"^/search/?$", search.search_page),
            (r"^/accessibility/?$", pages.accessibility_page),
            (r"^/feeds/you-said\.atom$", feeds.feed_you_said),
            (r"^/feeds/status-changes\.atom$", feeds.feed_status_changes),
            (r"^/you-said/?$", you_said_list.you_said_index),
            (r"^/you-said/how-to-follow/?$", you_said.how_to_follow_page),
            (r"^/you-said/(?P<id>[^/]+)$", you_said.you_said_page),
            (r"^/feeds/you-said/(?P<id>[^/]+)\.atom$", feeds.feed_you_said_item),
        ]
    ]


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["reg_date"] = uk_date
    env.filters["reg_time"] = uk_time
    env.filters["reg_moment"] = uk_moment_time
    env.filters["reg_yes_no"] = yes_no
    env.filters["reg_number"] = number
    # How a due date came about, in the words the feeds and the report use too.
    env.filters["reg_due_basis"] = due_date_basis
    env.filters["reg_every"] = every  # a publisher's update_frequency: "every month"
    env.filters["reg_rows"] = result_rows
    env.filters["reg_facet_items"] = facet_items  # a facet's values, each an <li>
    # A table page's cells, each labelled for a phone by its column's title (field_title).
    env.filters["reg_cells"] = lambda rows, table=None: table_rows(
        rows, (lambda column: field_title(datasette, table, column)) if table else None
    )
    # Datasette's "where gate = ... sorted by activity_date" with each column's title.
    # and each code a filter asks for followed by its meaning (coded_values below).
    env.filters["reg_plain_description"] = lambda text, table, filters, sort, sort_desc, meanings=None: (
        plain_description(
            text, lambda column: field_title(datasette, table, column), filters, sort, sort_desc, meanings
        )
    )
    # A field's title from its schema: {{ field_title("you_said_we_did_current", "due_date") }}.
    # The pages never write one out (tests/unit/test_labels.py).
    env.globals["field_title"] = lambda table, column: field_title(datasette, table, column)
    # Whether a big table's page offers only the sorts the build chose (register/site/sorts.py).
    env.globals["reg_sorts_limited"] = lambda database, table: sorts.limited(datasette, database, table)
    # (title, description) of a column, for the row page's list of fields.
    env.globals["field_text"] = lambda table, column: column_label(datasette, table, column)
    # A table's or view's title from its schema, or its name where it has none.
    env.globals["table_title"] = lambda table: view_meta(datasette, table).get("title") or table
    # "1 of 1 item has", as the headlines and the report agree with a count.
    env.globals["n_of"] = n_of
    env.globals["agree"] = agree


def coded_values(datasette, request):
    """On a table page, the meaning of each code its filters ask for, {column: {code:
    title}}, so that the page's title and row count say Theme = "shared_language" (Shared
    definition and language), not the code alone, which a screen reader spells out."""

    async def inner():
        linker = Linker(datasette, await load_codelists(datasette), await load_column_targets(datasette))
        found: dict[str, dict[str, str]] = {}
        for key in request.args:
            column = key.split("__", 1)[0]
            if key.startswith("_") or linker.table_for(column) not in linker.codelists:
                continue
            for value in request.args.getlist(key):
                meaning = linker.title(column, value)
                if meaning and meaning != value:
                    found.setdefault(column, {})[value] = meaning
        return {"coded_values": found}

    return inner


@hookimpl
def extra_template_vars(template, datasette, request):
    """The home page's figures, read live from the measure views; on a row page, the
    record's designed page (a project's or a "You said" item's), where it has one."""
    if template.startswith("row") and request is not None:
        table, pks = request.url_vars.get("table"), request.url_vars.get("pks")
        if table in DESIGNED_PAGES and pks:
            return {"designed_page": datasette.urls.path(DESIGNED_PAGES[table] + pks)}
        return {}
    if template.startswith("table") and request is not None:
        return coded_values(datasette, request)
    if template != "index.html":
        return {}

    async def inner():
        codelists = await load_codelists(datasette)
        # Row counts from the build's inspect file (the database is immutable), not a
        # count over a million rows on every visit.
        tables = await datasette.get_database(DB).table_counts(limit=50)
        counts = {
            "projects": tables.get("projects"),
            "activities": tables.get("coproduction_log"),
            "you_said": tables.get("you_said_we_did"),
            "impacts": tables.get("equality_impacts"),
        }
        heads = await headlines(datasette)
        return {
            "headlines": heads,
            "counts": counts,
            "levels": list(codelists.get("participation_levels", {}).values()),
            "gates": list(codelists.get("gates", {}).values()),
            "feeds": pages.feed_links(datasette),
            "measure_names": [m.name for m in await all_measures(datasette) if m.name in heads],
            # The national register says what it gathers, not one ICB's promise as its own.
            "publisher_count": await publisher_count(datasette),
        }

    return inner
