"""The register's own public pages, in plain English, on top of Datasette.

Why a plugin rather than Datasette's pages/ mechanism: these pages take parameters and
read several views each. Every rule (gate assurance, the balance rule, loop closure,
what is overdue) is defined once in register/database/views.sql; these handlers only
select, filter, count and present what those views say, so the site, the extracts and
the notebooks can never disagree. Titles and descriptions of the views live in
metadata.yml, so Datasette's own view pages and these pages say the same thing.
"""

import json
import re
from concurrent.futures.process import BrokenProcessPool
from urllib.parse import urlencode

from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from register.site import measure_chart
from register.site.links import (
    DB,
    column_label,
    fetch_rows,
    known_id,
    load_codelists,
    load_column_targets,
    make_linker,
    publisher_hint,
    view_meta,
)
from register.site.measures import (
    MEASURE_ROW_LIMIT,
    MEASURES,
    all_measures,
    headline,
    headlines,
    measure_rows,
    summary_rows,
)

PAGE_SIZE = 100  # projects per page of /projects and /gate-assurance
GAP_LIMIT = 100  # gates passed without evidence listed on /gate-assurance
GAPS_QUERY = "projects_progressed_without_evidence"  # its SQL is in metadata.yml
GATES_MEASURE = next(m for m in MEASURES if m.name == "gate_assurance")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")


async def error_answer(datasette, request, status: int, title: str, message: str) -> Response:
    """The site's error page (error.html), or for an address ending .json the same words
    as JSON, in the shape of every other JSON error of the site."""
    info = {"ok": False, "error": message, "status": status, "title": title}
    if request.path.endswith(".json"):
        return Response.json(info, status=status)
    html = await datasette.render_template([f"{status}.html", "error.html"], info, request=request)
    return Response.html(html, status=status)


async def bad_request(datasette, request, message: str) -> Response:
    """A list the address cannot ask for (a page that is not a number, a filter that is not
    a date): the site's error page, 400."""
    return await error_answer(datasette, request, 400, "The register cannot show that list", message)


async def not_found(datasette, request, message: str) -> Response:
    """The site's own 404 page (error.html), without Datasette logging a traceback."""
    return await error_answer(datasette, request, 404, "Page not found", message)


async def record_not_found(datasette, request, table: str, typed: str, address, message: str) -> Response:
    """A designed page's record that is not there as typed: a permanent redirect to the
    record the address means when it was only written in other capitals (/you-said/ys-0002
    for YS-0002: people copy identifiers from print), else the site's own 404.
    `address` gives a record's page from its identifier."""
    found = await known_id(datasette, table, typed)
    stem, dot, suffix = typed.rpartition(".")
    if (
        found is None
        and dot
        and suffix.lower() in ("json", "csv")
        and (record := await known_id(datasette, table, stem))
    ):
        # /you-said/YS-0001.json: the record is there; its data is at its record page's address.
        data = datasette.urls.row(DB, table, tilde_encode(record)) + "." + suffix.lower()
        message = f"This page is not made as .{suffix}. {record} as data is at {data}"
    if found is None:  # on the national register, "no project PRJ-0011" where nc_icb:PRJ-0011 is
        message += await publisher_hint(datasette, table, typed, address)
    if found is None or found == typed:
        return await not_found(datasette, request, message)
    query = f"?{request.query_string}" if request.query_string else ""
    return Response.redirect(address(found) + query, status=301)


async def render_page(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    linker = context.get("link") or await make_linker(datasette)
    context = {"link": linker, "feeds": [], **context}
    html = await datasette.render_template(["register/" + template], context, request=request)
    return Response.html(html, status=status)


def feed_links(datasette, project_id: str | None = None) -> list[dict]:
    path = datasette.urls.path
    q = f"?project={project_id}" if project_id else ""
    suffix = f" for {project_id}" if project_id else ""
    return [
        {"href": path("/feeds/you-said.atom") + q, "title": f'New "You said" items{suffix} (Atom feed)'},
        {
            "href": path("/feeds/status-changes.atom") + q,
            "title": f'"You said, we did" status changes{suffix} (Atom feed)',
        },
    ]


# ---------------------------------------------------------------------------------------
# Pages.


def page_number(request) -> int | None:
    """?page=N of a long list; None when N is not a whole number from 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 8 and int(raw) > 0 else None


def make_pager(request, page: int, total: int, size: int | None = None) -> dict:
    """Where this page of a list starts and ends, and links to the pages either side
    that keep every other choice in the address (filters, sort). Size: PAGE_SIZE."""
    size = size or PAGE_SIZE
    pages = max(1, -(-total // size))
    kept = [(k, v) for k in request.args.keys() if k != "page" for v in request.args.getlist(k)]

    def href(n: int) -> str:
        return request.path + "?" + urlencode([*kept, ("page", str(n))])

    return {
        "page": page,
        "pages": pages,
        "total": total,
        "first": (page - 1) * size + 1 if total else 0,
        "last": min(page * size, total),
        "prev": href(page - 1) if page > 1 else None,
        "next": href(page + 1) if page < pages else None,
        "offset": (page - 1) * size,
    }


async def _paged_projects(datasette, request) -> tuple[dict | None, list[dict]]:
    """One page of projects in id order, or (None, []) when the page does not exist.

    A national register holds tens of thousands of projects, so these pages list a
    hundred at a time and work out their figures for those hundred only."""
    page = page_number(request)
    total = (await fetch_rows(datasette, "select count(*) as n from projects"))[0]["n"]
    if page is None or (page - 1) * PAGE_SIZE >= max(total, 1):
        return None, []
    found = make_pager(request, page, total)
    projects = await fetch_rows(
        datasette,
        "select * from projects order by id limit :limit offset :offset",
        {"limit": PAGE_SIZE, "offset": found["offset"]},
    )
    return found, projects


async def no_such_page(datasette, request) -> Response:
    """A page number past the end is not found (404); one that is not a number is a mistake (400)."""
    raw = request.args.get("page", "1")
    message = f"There is no page {raw!r} of this list."
    if not (raw.isdigit() and int(raw) > 0):
        return await bad_request(datasette, request, message)
    return await not_found(datasette, request, message)


async def projects_index(datasette, request):
    """Every project with its gate and how much of its promise is published."""
    pager, page_projects = await _paged_projects(datasette, request)
    if pager is None:
        return await no_such_page(datasette, request)
    ids = [p["id"] for p in page_projects]
    figures = {
        r["project_id"]: r
        for r in await fetch_rows(
            datasette,
            "select * from project_figures where project_id in (select value from json_each(:ids))",
            {"ids": json.dumps(ids)},
        )
    }
    projects = [{**p, **figures.get(p["id"], {})} for p in page_projects]
    characteristics = len((await load_codelists(datasette)).get("characteristics", {}))
    return await render_page(
        datasette,
        request,
        "projects.html",
        {
            "projects": projects,
            "pager": pager,
            "characteristics_total": characteristics,
            "feeds": feed_links(datasette),
        },
    )


async def gate_assurance_page(datasette, request):
    """Register-wide: which projects progressed without the evidence?"""
    pager, projects = await _paged_projects(datasette, request)
    if pager is None:
        return await no_such_page(datasette, request)
    rows = await fetch_rows(
        datasette,
        """
        select * from gate_assurance where project_id in (select value from json_each(:ids))
        order by project_id, gate_order""",
        {"ids": json.dumps([p["id"] for p in projects])},
    )
    by_project: dict[str, dict] = {}
    for r in rows:
        by_project.setdefault(r["project_id"], {})[r["gate"]] = r
    # The list is the canned query of metadata.yml, so the page and the query agree.
    canned = await datasette.get_canned_query(DB, GAPS_QUERY, None)
    if canned is None:
        raise RuntimeError(f"metadata.yml has no canned query {GAPS_QUERY!r}, which /gate-assurance lists")
    gaps = await fetch_rows(datasette, f"select * from ({canned['sql']}) limit {GAP_LIMIT}")
    codelists = await load_codelists(datasette)
    return await render_page(
        datasette,
        request,
        "gate_assurance.html",
        {
            "gaps": gaps,
            "by_project": by_project,
            "projects": projects,
            "pager": pager,
            "gates": list(codelists.get("gates", {}).values()),
            "meta": view_meta(datasette, "gate_assurance"),
            "canned": canned,
            "headline": await headline(datasette, GATES_MEASURE),
        },
    )


async def measures_index(datasette, request):
    """Every measure with its headline figure."""
    heads = await headlines(datasette)
    measures = [
        {"m": m, "meta": view_meta(datasette, m.view), "headline": heads.get(m.name)}
        for m in await all_measures(datasette)
    ]
    return await render_page(datasette, request, "measures.html", {"measures": measures})


async def measure_page(datasette, request):
    """One measure: its plain-English explanation, chart, table and data links."""
    name = request.url_vars["name"]
    measures = {x.name: x for x in await all_measures(datasette)}
    m = measures.get(name)
    if m is None and (spelt := name.lower().replace("-", "_")) in measures:
        # /measures/Balance or /measures/equality-coverage, typed from print as a project's
        # identifier is (record_not_found): a permanent redirect to the measure's address.
        query = f"?{request.query_string}" if request.query_string else ""
        return Response.redirect(datasette.urls.path(f"/measures/{spelt}") + query, status=301)
    if m is None:
        return await not_found(datasette, request, f"There is no measure called {name!r}.")
    rows = await measure_rows(datasette, m, limit=MEASURE_ROW_LIMIT + 1)
    truncated = len(rows) > MEASURE_ROW_LIMIT
    rows = rows[:MEASURE_ROW_LIMIT]
    link = await make_linker(datasette)
    if rows and "activity_id" in rows[0] and "title" in rows[0]:
        link.add("coproduction_log", {r["activity_id"]: r["title"] for r in rows})
    if rows and "log_id" in rows[0]:  # an activity a partner judged (disputed claims): its record
        link.add("coproduction_log", {r["log_id"]: r["log_id"] for r in rows if r["log_id"]})
    columns = [c for c in (rows[0].keys() if rows else []) if c not in m.hide]
    if not rows:
        db = datasette.get_database(DB)
        columns = [c for c in await db.table_columns(m.view) if c not in m.hide]
    labels = []
    for c in columns:
        label, desc = column_label(datasette, m.view, c)
        numeric = (
            bool(rows)
            and all(isinstance(r[c], (int, float)) or r[c] is None for r in rows)
            and any(isinstance(r[c], (int, float)) for r in rows)
            and c not in m.booleans
        )
        # ISO dates, written in words as everywhere else on the site.
        date = bool(rows) and all(r[c] is None or (isinstance(r[c], str) and ISO_DATE.match(r[c])) for r in rows)
        labels.append(
            {
                "name": c,
                "label": label,
                "description": desc[:1].upper() + desc[1:],
                "numeric": numeric,
                "date": date,
                "percent": c in m.percentages,
            }
        )
    targets = await load_column_targets(datasette)
    chart_rows = await summary_rows(datasette, m) if m.chart and (truncated or m.summary) else rows
    # No chart of no rows: an empty pair of axes, described as a chart of the figures.
    spec = m.chart(chart_rows, link) if m.chart and chart_rows else None
    path = datasette.urls.path
    chart = spec and {
        "description": spec["description"],
        "sizes": [
            measure_chart.image(spec, size, path(f"/measures/{m.name}/chart-{size}.svg")) for size in ("wide", "narrow")
        ],
    }
    return await render_page(
        datasette,
        request,
        "measure.html",
        {
            "m": m,
            "meta": view_meta(datasette, m.view),
            "rows": rows,
            "truncated": truncated,
            "columns": labels,
            "linked": {c for c in columns if c in targets},
            "chart": chart,
            "headline": await headline(datasette, m),
            "link": link,
            "data_links": {
                "table": datasette.urls.table(DB, m.view),
                "csv": datasette.urls.table(DB, m.view, format="csv") + "?_stream=on&_size=max",
                "json": datasette.urls.table(DB, m.view, format="json") + "?_shape=array&_size=max",
            },
            "feeds": feed_links(datasette) if m.name == "you_said_we_did" else [],
            "measure_url": path(f"/measures/{m.name}"),
        },
    )


async def measure_chart_image(datasette, request):
    """A measure's chart as an SVG image (see register/site/measure_chart.py), drawn from
    what the chart of its page reads: the stored summary, or the whole view."""
    name, size = request.url_vars["name"], request.url_vars["size"]
    m = {x.name: x for x in await all_measures(datasette)}.get(name)
    if m is None or m.chart is None:
        return await not_found(datasette, request, f"There is no chart of a measure called {name!r}.")
    spec = m.chart(await summary_rows(datasette, m), await make_linker(datasette))
    try:
        svg = await measure_chart.draw(spec, size)
    except BrokenProcessPool:  # the drawing process died (out of memory, killed): the next try starts another
        return Response.text("The chart could not be drawn just now. Its figures are in the table on its page.", 503)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


async def glossary_page(datasette, request):
    """The glossary, and every codelist that gives a code its meaning."""
    codelists = await load_codelists(datasette)
    link = await make_linker(datasette)
    lists = []
    for table, rows in codelists.items():
        if table == "glossary":
            continue
        meta = datasette.table_metadata(DB, table) or {}
        lists.append(
            {
                "table": table,
                "title": meta.get("title") or table,
                "description": meta.get("description", ""),
                "count": len(rows),
                "href": datasette.urls.table(DB, table),
            }
        )
    lists.sort(key=lambda x: x["title"].lower())
    return await render_page(
        datasette,
        request,
        "glossary.html",
        {
            "terms": list(codelists.get("glossary", {}).values()),
            "lists": lists,
            "link": link,
            "glossary_meta": datasette.table_metadata(DB, "glossary") or {},
        },
    )


async def accessibility_page(datasette, request):
    return await render_page(datasette, request, "accessibility.html", {})
