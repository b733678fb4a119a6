"""/you-said: every "You said" item as You said / We did / status, with counts by status,
filters, sorting and paging.

Fast at national scale: the items are walked through the indexes of their stored current
status (said date, status, theme, project; register/database/views.sql) and stopped at one
page (LIMIT); the counts by status come from a summary by status and due date when only
`overdue` filters them, and from each status's range of its index when the dates said
do. The current status, due date and whether an item is overdue come from
you_said_we_did_current, so this page and the measures can never disagree. Nothing loops
over every item in Python.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from register.site.links import DB, fetch_rows, known_id, load_codelists, make_linker, publisher_hint
from register.site.pages import feed_links, make_pager, no_such_page, page_number, render_page
from register.util.words import uk_date

PAGE_SIZE = 50
# ?sort= -> (what the choice says, ORDER BY). Ties are broken by id, which only grows.
# By due date, the open items come first, the longest overdue at the top, and the closed
# ones after them (by_due below): a closed item's due date says nothing about what is next.
SORTS = {
    "newest": ("Newest said first", "c.said_date desc, c.id desc"),
    "oldest": ("Oldest said first", "c.said_date, c.id"),
    "due": ("Due date, earliest first; closed items last", "dd.due_date is null, dd.due_date, dd.you_said_id"),
}
OVERDUE = {"yes": "Overdue only", "no": "Not overdue"}


class BadFilter(Exception):
    """A filter value the register cannot use: shown to the person as it is (400), beside
    the form's `field` (a key of LABELS) that asked for it."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass
class Filters:
    status: str = ""
    theme: str = ""
    project: str = ""
    organisation: str = ""
    overdue: str = ""
    said_from: str = ""
    said_to: str = ""
    sort: str = "newest"
    chosen: dict = field(default_factory=dict)  # what was asked for, for the form

    def where(self, without: str = "") -> tuple[str, dict]:
        """The WHERE clause and parameters of these filters, leaving out `without`
        (the counts by status are counted over every status)."""
        clauses, params = [], {}
        columns = {
            "status": "c.status = :status",
            "theme": "c.theme = :theme",
            "project": "c.project_id = :project",
            "organisation": "c.project_id in (select id from projects where organisation = :organisation)",
            "said_from": "c.said_date >= :said_from",
            "said_to": "c.said_date <= :said_to",
        }
        for name, clause in columns.items():
            value = getattr(self, name)
            if value and name != without:
                clauses.append(clause)
                params[name] = value
        if self.overdue and without != "overdue":
            clauses.append("c.overdue = :overdue")
            params["overdue"] = 1 if self.overdue == "yes" else 0
        return (" where " + " and ".join(clauses)) if clauses else "", params


def _code(request, name: str, codelist: dict, what: str) -> str:
    value = (request.args.get(name) or "").strip()
    if value and value not in codelist:
        # The code to type, with the title the form shows for it: in_progress (In progress).
        choices = ", ".join(f"{code} ({row['title']})" if row.get("title") else code for code, row in codelist.items())
        raise BadFilter(f"There is no {what} {value!r} in the register. Choose one of: {choices}.", name)
    return value


# The filters as the list's form labels them (templates/register/you_said_list.html reads
# them from here): the page's title and its error messages use the same words.
LABELS = {
    "status": "Status",
    "theme": "Theme",
    "organisation": "Organisation",
    "project": "Project ID",
    "overdue": "Overdue",
    "from": "Said on or after",
    "to": "Said on or before",
    "sort": "Sort",
}
FROM_LABEL, TO_LABEL = f'"{LABELS["from"]}"', f'"{LABELS["to"]}"'


def _date(request, name: str, what: str) -> str:
    value = (request.args.get(name) or "").strip()
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # written right, but no such day (2025-02-29)
            raise BadFilter(f"{what}: there is no day {value!r} in the calendar.", name)
        raise BadFilter(f"{what} must be a date written as year-month-day, such as 2024-08-06, not {value!r}.", name)


async def _leaders(datasette) -> set[str]:
    """The organisations that lead a project: the only ones the filter can find items of
    (an item belongs to a project, a project to the organisation that leads it). Kept
    on the register's Database object, which a new build replaces."""
    db = datasette.get_database(DB)
    found = getattr(db, "_register_leaders", None)
    if found is None:
        rows = (await db.execute("select distinct organisation from projects where organisation is not null")).rows
        found = db._register_leaders = {r[0] for r in rows}
    return found


async def read_filters(datasette, request) -> Filters:
    """The filters of the address, each checked against the register's own codes."""
    codelists = await load_codelists(datasette)
    f = Filters(
        status=_code(request, "status", codelists.get("statuses", {}), "status"),
        theme=_code(request, "theme", codelists.get("themes", {}), "theme"),
        organisation=_code(request, "organisation", codelists.get("organisations", {}), "organisation"),
        said_from=_date(request, "from", FROM_LABEL),
        said_to=_date(request, "to", TO_LABEL),
    )
    typed = (request.args.get("project") or "").strip()
    f.project = typed and await known_id(datasette, "projects", typed)
    if typed and not f.project:
        hint = await publisher_hint(datasette, "projects", typed)
        raise BadFilter(f"There is no project with the ID {typed!r} in the register.{hint}", "project")
    f.project = f.project or ""
    f.overdue = (request.args.get("overdue") or "").strip()
    if f.overdue not in ("", *OVERDUE):
        raise BadFilter(f'"Overdue" must be yes or no, not {f.overdue!r}.', "overdue")
    f.sort = (request.args.get("sort") or "newest").strip()
    if f.sort not in SORTS:
        raise BadFilter(f"The list cannot be sorted by {f.sort!r}. Choose one of: {', '.join(SORTS)}.", "sort")
    if f.said_from and f.said_to and f.said_from > f.said_to:
        raise BadFilter(f"{FROM_LABEL} is after {TO_LABEL}: no item can be in between.", "from")
    f.chosen = {
        "status": f.status,
        "theme": f.theme,
        "project": f.project,
        "organisation": f.organisation,
        "overdue": f.overdue,
        "from": f.said_from,
        "to": f.said_to,
        "sort": f.sort,
    }
    return f


def page_title(f: Filters, codelists: dict, total: int, pager: dict) -> str:
    """The page's title: which list this is, so that a screen reader user hears, as the
    page opens after the form is sent, how many items were found, for which choices,
    in which order and which page of them: "You said, we did: 4 items chosen; Status:
    Planned; Theme: Accessibility; page 2 of 3". Each choice as the form labels it."""
    names = {"status": "statuses", "theme": "themes", "organisation": "organisations"}
    chosen = []
    for key, value in f.chosen.items():
        if not value or key == "sort":
            continue
        if key in names:
            value = (codelists.get(names[key], {}).get(value) or {}).get("title") or value
        elif key == "overdue":
            value = OVERDUE.get(value, value)
        elif key in ("from", "to"):
            value = uk_date(value)
        chosen.append(f"{LABELS[key]}: {value}")
    parts = []
    if chosen or f.sort != "newest" or pager["pages"] > 1:
        parts.append(f"{total:,} {'item' if total == 1 else 'items'}{' chosen' if chosen else ''}")
    parts += chosen
    if f.sort != "newest":
        parts.append(f"{LABELS['sort']}: {SORTS[f.sort][0]}")
    if pager["pages"] > 1:
        parts.append(f"page {pager['page']:,} of {pager['pages']:,}")
    return "You said, we did" + (": " + "; ".join(parts) if parts else "")


def table_filters(f: Filters) -> dict[str, str]:
    """The same filters as the current-status table's own (Datasette's ?column__op=), so
    "the same items as data" are these items. An organisation is not a column of the
    view: its projects are chosen with _where (the code is one of the codelist's, checked
    in read_filters, so it is safe to write into the clause)."""
    args = {"status": f.status, "theme": f.theme, "project_id": f.project}
    if f.overdue:
        args["overdue"] = "1" if f.overdue == "yes" else "0"
    args["said_date__gte"], args["said_date__lte"] = f.said_from, f.said_to
    if f.organisation:
        args["_where"] = f"project_id in (select id from projects where organisation = '{f.organisation}')"
    args = {k: v for k, v in args.items() if v}
    if f.sort == "oldest" or (args and f.sort == "newest"):  # the table's own order is by id
        args["_sort_desc" if f.sort == "newest" else "_sort"] = "said_date"
    return args


# The items' own columns (said date, theme, project) are in their stored current status
# (you_said_we_did_status), indexed for each way the list is walked (views.sql).
FROM = "from you_said_we_did_current c"
# Sorted by due date, the items are walked through the due dates' index: the build writes
# one due-date row for every item (register/database/deadlines.py), so the join keeps them all.
FROM_DUE = "from you_said_due_dates dd cross join you_said_we_did_current c on c.id = dd.you_said_id"
# The same order from the items' own copy of their due dates, where it is not walked.
OWN_DUE_ORDER = "c.due_date is null, c.due_date, c.id"
TODAY = "(select date('now', 'localtime'))"
NOT_YET_DUE = f" and (dd.due_date is null or dd.due_date >= {TODAY})"
# How many due dates are from today on, or none: two ranges of the due dates' index.
NOT_YET_DUE_COUNT = (
    "select (select count(*) from you_said_due_dates where (due_date is null) = 1)"
    f" + (select count(*) from you_said_due_dates where (due_date is null) = 0 and due_date >= {TODAY}) as n"
)


async def status_counts(datasette, f: Filters) -> dict[str, int]:
    """Items of each status among those the other filters choose, every status listed.
    Filtered by nothing but `overdue`, they are read from the summary of items by status
    and due date (register/database/views.sql) instead of counting 278,000 items at
    national scale."""
    where, params = f.where(without="status")
    chosen = {k for k, v in f.chosen.items() if v and k not in ("status", "overdue", "sort")}
    if not chosen:
        sql = f"select status, sum(items) as n from summary_you_said_we_did_today c{where} group by status"
    elif chosen <= {"from", "to"}:
        # Said between two dates: each status's range of the status index, which holds
        # what `overdue` reads (10 ms at 1M for the 220,000 items said since 2023,
        # against 78 ms grouping them by status from the index by said date).
        sql = (
            "select st.code as status, (select count(*) from you_said_we_did_current c"
            f" where c.status = st.code and {where.removeprefix(' where ')}) as n from statuses st"
        )
    else:
        # Without `overdue`, the stored status alone (no due dates); grouped by +status,
        # so SQLite walks the filter's index rather than the status index.
        source = "you_said_we_did_current" if f.overdue else "you_said_we_did_status"
        sql = f"select c.status, count(*) as n from {source} c{where} group by +c.status"
    counted = {r["status"]: r["n"] for r in await fetch_rows(datasette, sql, params)}
    return {code: counted.get(code, 0) for code in (await load_codelists(datasette)).get("statuses", {})}


def walk_due_dates(f: Filters, reach: int, every: int, matching: int) -> bool:
    """Whether to walk the items in due-date order to the page's last (the `reach`-th of
    `matching` items, of `every` in all) rather than read every match by the filter's
    index and sort them. Walked, the page is found after about reach / share items;
    the cheaper is chosen from the counts, not left to SQLite's sampled statistics, which
    at a million log rows took the open items' index and sorted 160,000 of them (670 ms
    for the first page, against 4 ms walked; 1.5 s walked for one project's 5 items,
    against 10 ms by its index). Not where a filter on the dates said follows the due
    dates' order (items said later are due later): the walk would pass all the rest
    first. (Open items not overdue come after the overdue ones too, but by_due starts
    their walk where they begin.)"""
    if f.said_from or f.said_to:
        return False
    return reach * every <= matching**2


async def by_due(datasette, f: Filters, counts: dict[str, int], statuses: dict, offset: int) -> list:
    """A page of the items by due date, the open ones before the closed ones. Each part is
    walked through the due dates' index and stopped at the page, or read by the filter's
    index and sorted (walk_due_dates); how many open items come first is known from the
    counts by status (a status closes the loop or not)."""
    chosen = [f.status] if f.status else list(counts)
    open_items = sum(counts.get(s, 0) for s in chosen if not statuses.get(s, {}).get("closes_loop"))
    matching = (open_items, sum(counts.get(s, 0) for s in chosen) - open_items)
    every = (await datasette.get_database(DB).table_counts(limit=50)).get("you_said_we_did") or 1
    where, params = f.where()
    parts = [(0, offset, open_items - offset), (1, max(0, offset - open_items), PAGE_SIZE)]
    items: list = []
    for closed, skip, most in parts:
        wanted = min(PAGE_SIZE - len(items), most)
        if wanted <= 0:
            continue
        # An open item is not overdue exactly when its due date is today or later, or it
        # has none (you_said_we_did_current's `overdue`): said on the due dates alone,
        # the walk passes the overdue ones in their index without reading their items,
        # so only the due dates from today on count as walked (at 1M, 233 ms read by
        # the filter's index and sorted; 15 ms walked).
        from_today = not closed and f.overdue == "no"
        span = (await fetch_rows(datasette, NOT_YET_DUE_COUNT))[0]["n"] if from_today else every
        part = f"{' and' if where else ' where'} c.loop_closed = {closed}"
        page = f"limit {wanted} offset {skip}"
        if walk_due_dates(f, skip + wanted, span, matching[closed]):  # CROSS JOIN: SQLite walks dd
            sql = f"select c.* {FROM_DUE}{where}{part}{NOT_YET_DUE if from_today else ''} order by {SORTS['due'][1]} {page}"
        else:
            # The page's ids sorted from the filter's covering index, then their rows:
            # sorting whole rows took 89 ms for 2026's open items at 1M, the ids 8 ms.
            ids = f"select c.id {FROM}{where}{part} order by {OWN_DUE_ORDER} {page}"
            sql = f"select c.* {FROM} where c.id in ({ids}) order by {OWN_DUE_ORDER}"
        items += await fetch_rows(datasette, sql, params)
    return items


async def form_context(datasette, codelists: dict) -> dict:
    """What the list's form offers: the choices of each filter, in the form's words."""
    leaders = await _leaders(datasette)
    # The hint's example is an id as this register writes it (nn_icb:PRJ-0001 on the
    # national register, where PRJ-0002 alone names no project).
    example = await fetch_rows(datasette, "select id from projects order by id limit 1")
    return {
        "example_project": example[0]["id"] if example else "PRJ-0001",
        "labels": LABELS,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "overdue_choices": OVERDUE,
        "statuses": codelists.get("statuses", {}),
        "themes": codelists.get("themes", {}),
        "organisations": {c: o for c, o in codelists.get("organisations", {}).items() if c in leaders},
        "how_to_follow": datasette.urls.path("/you-said/how-to-follow"),
    }


async def form_with_error(datasette, request, error: BadFilter):
    """A choice the list cannot use: the form again, as it was sent, with the problem said
    above it and beside the box it is in, linked from one to the other (the NHS error
    pattern), so the person mends it where they are instead of going back; 400."""
    codelists = await load_codelists(datasette)
    return await render_page(
        datasette,
        request,
        "you_said_list.html",
        {
            **await form_context(datasette, codelists),
            "error": {"message": str(error), "field": error.field if error.field in LABELS else ""},
            "f": {k: (request.args.get(k) or "").strip() for k in LABELS},
            "filtered": True,
            "page_title": "Error: You said, we did: these choices cannot be used",
            "items": [],
            "counts": [],
            "total": 0,
            "pager": None,
        },
        status=400,
    )


async def you_said_index(datasette, request):
    """Every "You said" item: what was said, what was done, where it stands."""
    try:
        f = await read_filters(datasette, request)
    except BadFilter as e:
        return await form_with_error(datasette, request, e)
    page = page_number(request)
    if page is None:
        return await no_such_page(datasette, request)
    counts = await status_counts(datasette, f)
    total = counts.get(f.status, 0) if f.status else sum(counts.values())
    if (page - 1) * PAGE_SIZE >= max(total, 1):
        return await no_such_page(datasette, request)
    pager = make_pager(request, page, total, PAGE_SIZE)
    codelists = await load_codelists(datasette)
    if f.sort == "due":
        items = await by_due(datasette, f, counts, codelists.get("statuses", {}), pager["offset"])
    else:
        where, params = f.where()
        items = await fetch_rows(
            datasette,
            f"select c.* {FROM}{where} order by {SORTS[f.sort][1]} limit {PAGE_SIZE} offset {pager['offset']}",
            params,
        )
    link = await make_linker(datasette)

    def with_status(code: str) -> str:
        kept = {k: v for k, v in f.chosen.items() if v and k != "status" and not (k == "sort" and v == "newest")}
        return request.path + "?" + urlencode({**kept, "status": code})

    return await render_page(
        datasette,
        request,
        "you_said_list.html",
        {
            "items": items,
            **await form_context(datasette, codelists),
            "page_title": page_title(f, codelists, total, pager),
            "counts": [{"code": c, "n": n, "href": with_status(c)} for c, n in counts.items()],
            "total": total,
            "pager": pager,
            "f": f.chosen,
            "filtered": any(v for k, v in f.chosen.items() if k != "sort"),
            "link": link,
            # Filtered to one project: that project's feeds first, then the register's.
            "feeds": (feed_links(datasette, f.project) if f.project else []) + feed_links(datasette),
            "tables": {
                "current": datasette.urls.table(DB, "you_said_we_did_current")
                + (f"?{urlencode(args)}" if (args := table_filters(f)) else ""),
                "items": datasette.urls.table(DB, "you_said_we_did"),
                "updates": datasette.urls.table(DB, "you_said_we_did_updates"),
            },
        },
    )
