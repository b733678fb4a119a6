"""The register's own public pages, in plain English, on top of Datasette.

Routes: /projects, /projects/<id>, /gate-assurance, /measures, /measures/<name>,
/glossary, /search, /accessibility and the Atom feeds /feeds/you-said.atom and
/feeds/status-changes.atom; plus the headline figures for the home page
(templates/index.html).

Why a plugin rather than Datasette's pages/ mechanism: these pages take parameters and
read several views each. Every rule (gate assurance, the balance rule, loop closure,
what is overdue) is defined once in register/database/views.sql; this module only selects,
filters, counts and presents what those views say, so the site, the extracts and the
notebooks can never disagree. Titles and descriptions of the views live in
metadata.yml, so Datasette's own view pages and these pages say the same thing.
"""

import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import escape_fts, tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

DB = "register"
GROUPS_TABLE = "coproduction_log_groups"  # derived by register/database/build.py from coproduction_log.groups

# Labels the views in register/database/views.sql give; matched, never re-derived.
STAFF_OUTNUMBERED = "staff outnumbered people with lived experience"
NOT_RECORDED = "not recorded"

FEED_LIMIT = 100
SEARCH_LIMIT = 100
PAGE_SIZE = 100  # projects per page of /projects and /gate-assurance
GAP_LIMIT = 100  # gates passed without evidence listed on /gate-assurance


# ---------------------------------------------------------------------------------------
# Codes, titles and links: every code shown links to its meaning.


async def _codelists(datasette) -> dict[str, dict[str, dict]]:
    """Every codelist (a table keyed by `code` with a title), row by code, in order.

    Cached on the Datasette instance: the database is immutable between builds.
    """
    cached = getattr(datasette, "_register_codelists", None)
    if cached is not None:
        return cached
    db = datasette.get_database(DB)
    out: dict[str, dict[str, dict]] = {}
    for table in await db.table_names():
        if await db.primary_keys(table) != ["code"]:
            continue
        columns = await db.table_columns(table)
        if "title" not in columns:
            continue
        order = "sort_order, code" if "sort_order" in columns else "code"
        rows = (await db.execute(f"select * from [{table}] order by {order}")).rows
        out[table] = {r["code"]: dict(r) for r in rows}
    datasette._register_codelists = out
    return out


async def _column_targets(datasette) -> dict[str, str]:
    """Column name -> the table its codes point at, read from the database's foreign keys
    (which the build takes from the schemas). Used for views, which have no keys of
    their own; a name that points at two different tables is left out."""
    cached = getattr(datasette, "_register_column_targets", None)
    if cached is not None:
        return cached
    db = datasette.get_database(DB)
    seen: dict[str, set[str]] = {}
    for table in await db.table_names():
        for fk in await db.foreign_keys_for_table(table):
            seen.setdefault(fk["column"], set()).add(fk["other_table"])
    out = {col: next(iter(t)) for col, t in seen.items() if len(t) == 1 and col != "code"}
    datasette._register_column_targets = out
    return out


@dataclass
class Linker:
    """Turns (column or table, code) into a link to the code's meaning, titled in words."""

    datasette: object
    codelists: dict
    targets: dict
    extra: dict = field(default_factory=dict)  # table -> {key: title} for non-codelist rows

    def add(self, table: str, titles: dict) -> None:
        self.extra.setdefault(table, {}).update(titles)

    def table_for(self, column_or_table: str) -> str:
        if column_or_table in self.codelists or column_or_table in self.extra:
            return column_or_table
        return self.targets.get(column_or_table, column_or_table)

    def title(self, column_or_table: str, code) -> str:
        if code is None or code == "":
            return ""
        table = self.table_for(column_or_table)
        if table in self.codelists and code in self.codelists[table]:
            return self.codelists[table][code]["title"]
        return self.extra.get(table, {}).get(code, str(code))

    def href(self, column_or_table: str, code) -> str | None:
        table = self.table_for(column_or_table)
        path = self.datasette.urls.path
        if table == "projects":
            return path(f"/projects/{tilde_encode(str(code))}")
        if table == "glossary":
            return path(f"/glossary#{code}")
        known = (table in self.codelists and code in self.codelists[table]) or code in self.extra.get(table, {})
        if not known:
            return None
        return self.datasette.urls.row(DB, table, tilde_encode(str(code)))

    def __call__(self, column_or_table: str, code, text: str | None = None) -> Markup:
        if code is None or code == "":
            return Markup("")
        label = text if text is not None else self.title(column_or_table, code)
        href = self.href(column_or_table, code)
        if not href:
            return escape(label)
        return Markup('<a href="{}">{}</a>').format(href, label)

    def codelist_title(self, table: str) -> str:
        return (self.datasette.table_metadata(DB, table) or {}).get("title") or table.replace("_", " ").capitalize()


async def _linker(datasette) -> Linker:
    db = datasette.get_database(DB)
    linker = Linker(datasette, await _codelists(datasette), await _column_targets(datasette))
    rows = (await db.execute("select id, title from projects")).rows
    linker.add("projects", {r["id"]: r["title"] for r in rows})
    return linker


async def _rows(datasette, sql: str, params=None) -> list[dict]:
    db = datasette.get_database(DB)
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


def _view_meta(datasette, view: str) -> dict:
    return datasette.table_metadata(DB, view) or {}


def _column_label(datasette, view: str, column: str) -> tuple[str, str]:
    """(label, description) of a view column from metadata.yml's 'Label: description'."""
    text = (_view_meta(datasette, view).get("columns") or {}).get(column, "")
    if ": " in text:
        label, desc = text.split(": ", 1)
        return label, desc
    return column.replace("_", " ").capitalize(), text


# ---------------------------------------------------------------------------------------
# Measures: one entry per view, with its chart and its one-line headline.

PALETTE_YES_NO = {"yes": "#00703c", "no": "#b4261a", "not recorded": "#505a5f"}
PALETTE_LEVELS = ["#505a5f", "#8a5a00", "#00707a", "#6f3c96", "#0b4f8a"]
PALETTE_STATUS = {
    "open": "#505a5f",
    "planned": "#1d5fa0",
    "in_progress": "#8a5a00",
    "done": "#00703c",
    "not_taken_forward": "#b4261a",
}
CHART_CONFIG = {
    "font": "Arial, Helvetica, sans-serif",
    "axis": {
        "labelFontSize": 13,
        "titleFontSize": 13,
        "labelColor": "#0b0c0c",
        "titleColor": "#0b0c0c",
        "labelLimit": 260,
    },
    "legend": {
        "labelFontSize": 13,
        "titleFontSize": 13,
        "labelColor": "#0b0c0c",
        "titleColor": "#0b0c0c",
        "orient": "bottom",
        "direction": "vertical",
    },
    "view": {"stroke": None},
    "bar": {"stroke": "#ffffff", "strokeWidth": 1},
}


def _spec(description: str, values: list[dict], **body) -> dict:
    """A Vega-Lite spec with the page's data inline (so the chart and the table show the
    same rows), as wide as its container (so it reflows at 320 px), and a description
    that render.js gives the SVG as its accessible name."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "width": "container",
        "data": {"values": values},
        "config": CHART_CONFIG,
        **body,
    }


def _scale(mapping: dict, order: list[str] | None = None) -> dict:
    domain = order or list(mapping)
    return {"domain": domain, "range": [mapping[d] for d in domain]}


@dataclass
class Measure:
    name: str  # URL part: /measures/<name>
    view: str  # the view in register/database/views.sql
    order_by: str = ""  # for views without an ORDER BY of their own
    hide: tuple = ()  # ordering helpers not worth a column
    booleans: tuple = ()  # 0/1 columns shown as Yes/No
    chart: Callable | None = None
    headline: Callable | None = None
    summary: str = ""  # a stored summary_* table that chart and headline read instead
    # of the view, when the view has a row per activity or project


def _chart_strategic_group(rows, link):
    values = [
        {
            "organisation": link.title("organisation", r["organisation"]),
            "came through the group": r["came_through_group"],
            "projects": r["projects"],
        }
        for r in rows
    ]
    return _spec(
        "Bar chart: projects by organisation and whether they came through the Strategic "
        "Co-production Group. The same figures are in the table below.",
        values,
        mark="bar",
        height={"step": 48},
        encoding={
            "y": {"field": "organisation", "type": "nominal", "title": None},
            "x": {
                "field": "projects",
                "type": "quantitative",
                "title": "Projects",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "came through the group",
                "type": "nominal",
                "title": "Came through the group",
                "scale": _scale(PALETTE_YES_NO),
            },
        },
    )


def _headline_strategic_group(rows):
    total = sum(r["projects"] for r in rows)
    yes = sum(r["projects"] for r in rows if r["came_through_group"] == "yes")
    unknown = sum(r["projects"] for r in rows if r["came_through_group"] == NOT_RECORDED)
    text = f"{yes:,} of {total:,} projects came through the Strategic Co-production Group"
    if unknown:
        text += f" (for {unknown:,}, the documents do not say)"
    return {"figure": yes, "of": total, "text": text + "."}


def _chart_eia(rows, link):
    """From summary_eia_coproduced: projects by characteristics assessed and co-production."""
    values = [
        {
            "characteristics assessed": str(r["characteristics_assessed"]),
            "co-produced": r["coproduced"],
            "projects": r["projects"],
        }
        for r in rows
    ]
    order = [str(n) for n in sorted({r["characteristics_assessed"] for r in rows}, reverse=True)]
    return _spec(
        "Bar chart: projects with an equality impact assessment, by how many characteristics "
        "it assessed and whether it says the transformation was co-produced.",
        values,
        mark="bar",
        height={"step": 36},
        encoding={
            "y": {
                "field": "characteristics assessed",
                "type": "ordinal",
                "sort": order,
                "title": "Characteristics assessed",
            },
            "x": {
                "field": "projects",
                "type": "quantitative",
                "title": "Projects",
                "stack": True,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "co-produced",
                "type": "nominal",
                "title": "Says it was co-produced",
                "scale": _scale(PALETTE_YES_NO),
            },
        },
    )


def _headline_eia(rows):
    total = sum(r["projects"] for r in rows)
    yes = sum(r["projects"] for r in rows if r["coproduced"] == "yes")
    return {
        "figure": yes,
        "of": total,
        "text": f"{yes:,} of {total:,} equality impact assessments say the transformation was co-produced.",
    }


def _chart_you_said(rows, link):
    values = [{"status": r["status_title"], "code": r["status"], "items": r["items"]} for r in rows]
    order = [r["status_title"] for r in rows]
    colours = {r["status_title"]: PALETTE_STATUS.get(r["status"], "#505a5f") for r in rows}
    return _spec(
        'Bar chart: "You said" items by current status.',
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "status", "type": "nominal", "title": None, "sort": order},
            "x": {
                "field": "items",
                "type": "quantitative",
                "title": "Items",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {"field": "status", "type": "nominal", "legend": None, "scale": _scale(colours, order)},
        },
    )


def _headline_you_said(rows):
    total = sum(r["items"] or 0 for r in rows)
    closed = sum(r["loop_closed"] or 0 for r in rows)
    overdue = sum(r["overdue"] or 0 for r in rows)
    return {
        "figure": closed,
        "of": total,
        "closed": closed,
        "open": total - closed,
        "overdue": overdue,
        "text": f'{closed:,} of {total:,} "You said" items have closed the loop; '
        f"{total - closed:,} are still open, {overdue:,} of them overdue.",
    }


def _chart_depth(rows, link):
    values = [
        {
            "gate": link.title("gate", r["gate"]),
            "level": link.title("participation_level", r["participation_level"]),
            "activities": r["activities"],
        }
        for r in rows
    ]
    gates = list(dict.fromkeys(v["gate"] for v in values))
    levels = list(dict.fromkeys(v["level"] for v in values))
    colours = dict(zip(levels, PALETTE_LEVELS * 2))
    return _spec(
        "Stacked bar chart: co-production activities at each gate of the commissioning cycle, "
        "by level on the participation flower.",
        values,
        mark="bar",
        height={"step": 48},
        transform=[{"calculate": f"indexof({json.dumps(levels)}, datum.level)", "as": "level_order"}],
        encoding={
            "y": {"field": "gate", "type": "nominal", "title": None, "sort": gates},
            "x": {
                "field": "activities",
                "type": "quantitative",
                "title": "Activities",
                "stack": True,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "level",
                "type": "nominal",
                "title": "Participation level",
                "sort": levels,
                "scale": _scale(colours, levels),
            },
            "order": {"field": "level_order", "type": "quantitative"},
        },
    )


def _headline_depth(rows):
    total = sum(r["activities"] for r in rows)
    deepest = sum(r["activities"] for r in rows if r["level_order"] == max(x["level_order"] for x in rows))
    return {
        "figure": deepest,
        "of": total,
        "text": f"{deepest:,} of {total:,} logged activities reached co-production, "
        f"the deepest level of the participation flower.",
    }


def _chart_balance(rows, link):
    """From summary_balance: activities by balance."""
    values = [{"balance": r["balance"], "activities": r["activities"]} for r in rows]
    order = ["balanced", STAFF_OUTNUMBERED, NOT_RECORDED]
    return _spec(
        "Bar chart: co-production activities by whether staff outnumbered people with lived experience.",
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "balance", "type": "nominal", "title": None, "sort": order},
            "x": {
                "field": "activities",
                "type": "quantitative",
                "title": "Activities",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "balance",
                "type": "nominal",
                "legend": None,
                "scale": _scale({"balanced": "#00703c", STAFF_OUTNUMBERED: "#b4261a", NOT_RECORDED: "#505a5f"}, order),
            },
        },
    )


def _headline_balance(rows):
    total = sum(r["activities"] for r in rows)
    outnumbered = sum(r["activities"] for r in rows if r["balance"] == STAFF_OUTNUMBERED)
    unknown = sum(r["activities"] for r in rows if r["balance"] == NOT_RECORDED)
    judged = total - unknown
    if not judged:
        return {
            "figure": unknown,
            "of": total,
            "outnumbered": 0,
            "not_recorded": unknown,
            "text": f"For {unknown:,} of {total:,} activities the numbers of staff and of people with lived "
            f"experience were not both recorded, so the balance rule cannot be checked yet.",
        }
    return {
        "figure": outnumbered,
        "of": judged,
        "outnumbered": outnumbered,
        "not_recorded": unknown,
        "text": f"Staff outnumbered people with lived experience at {outnumbered:,} of the {judged:,} activities "
        f"where both were counted; for {unknown:,} of {total:,} activities the numbers were not recorded.",
    }


def _chart_reimbursement(rows, link):
    values = [{"reimbursement": r["reimbursement"], "activities": r["activities"]} for r in rows]
    return _spec(
        "Bar chart: co-production activities by whether reimbursement was offered.",
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "reimbursement", "type": "nominal", "title": None},
            "x": {
                "field": "activities",
                "type": "quantitative",
                "title": "Activities",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "reimbursement",
                "type": "nominal",
                "legend": None,
                "scale": _scale({"offered": "#00703c", "not offered": "#b4261a", NOT_RECORDED: "#505a5f"}),
            },
        },
    )


def _headline_reimbursement(rows):
    total = sum(r["activities"] for r in rows)
    offered = sum(r["activities"] for r in rows if r["reimbursement"] == "offered")
    return {
        "figure": offered,
        "of": total,
        "text": f"Reimbursement was offered at {offered:,} of {total:,} co-production activities.",
    }


GATE_STATES = {"evidence published": "#00703c", "no evidence": "#b4261a", "not reached yet": "#b1b4b6"}


def _gate_state(r) -> str:
    """Presentation only: the view decides `reached` and `evidence_published`."""
    if not r["reached"]:
        return "not reached yet"
    return "evidence published" if r["evidence_published"] else "no evidence"


def _chart_gates(rows, link):
    """From summary_gate_assurance: projects at each gate by evidence."""
    values = [{"gate": link.title("gate", r["gate"]), "state": _gate_state(r), "projects": r["projects"]} for r in rows]
    gates = list(dict.fromkeys(v["gate"] for v in values))
    order = list(GATE_STATES)
    return _spec(
        "Stacked bar chart: for each gate, how many projects have published the evidence "
        "the strategy asks for, how many reached the gate without it, and how many have not "
        "reached it yet.",
        values,
        mark="bar",
        height={"step": 48},
        transform=[{"calculate": f"indexof({json.dumps(order)}, datum.state)", "as": "state_order"}],
        encoding={
            "y": {"field": "gate", "type": "nominal", "title": None, "sort": gates},
            "x": {
                "aggregate": "sum",
                "field": "projects",
                "type": "quantitative",
                "title": "Projects",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "state",
                "type": "nominal",
                "title": "Evidence",
                "sort": order,
                "scale": _scale(GATE_STATES, order),
            },
            "order": {"field": "state_order", "type": "quantitative"},
        },
    )


def _headline_gates(rows):
    """From summary_gate_assurance."""
    gates = sum(r["projects"] for r in rows if r["passed"] and not r["evidence_published"])
    projects = rows[0]["projects_with_gaps"] if rows else 0
    total = rows[0]["projects_total"] if rows else 0
    return {
        "figure": projects,
        "of": total,
        "gates": gates,
        "text": f"{projects:,} of {total:,} projects moved past a gate without the evidence the strategy "
        f"asks for ({gates:,} gates in all).",
    }


def _chart_quarter(rows, link):
    values = [
        {
            "quarter": r["quarter"],
            "level": link.title("participation_level", r["participation_level"]),
            "level_order": r["level_order"],
            "activities": r["activities"],
        }
        for r in rows
    ]
    quarters = list(dict.fromkeys(v["quarter"] for v in values))
    levels = [level for _, level in sorted({(v["level_order"], v["level"]) for v in values})]
    colours = dict(zip(levels, PALETTE_LEVELS * 2))
    return _spec(
        "Stacked bar chart: co-production activities in each calendar quarter, by level on the participation flower.",
        values,
        mark="bar",
        height=260,
        encoding={
            "x": {
                "field": "quarter",
                "type": "ordinal",
                "title": "Quarter",
                "sort": quarters,
                "axis": {"labelAngle": -60, "labelOverlap": "greedy"},
            },
            "y": {
                "field": "activities",
                "type": "quantitative",
                "title": "Activities",
                "stack": True,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "level",
                "type": "nominal",
                "title": "Participation level",
                "sort": levels,
                "scale": _scale(colours, levels),
            },
            "order": {"field": "level_order", "type": "quantitative"},
        },
    )


def _headline_quarter(rows):
    quarters = list(dict.fromkeys(r["quarter"] for r in rows))
    active = [q for q in quarters if any(r["activities"] for r in rows if r["quarter"] == q)]
    text = f"Co-production activity was logged in {len(active):,} of the {len(quarters):,} quarters since the first activity"
    if active:
        latest = active[-1]
        n = sum(r["activities"] for r in rows if r["quarter"] == latest)
        text += f"; the latest was {latest}, with {n:,} {'activity' if n == 1 else 'activities'}"
    return {"figure": len(active), "of": len(quarters), "text": text + "."}


ORGANISATION_COLOURS = ["#1d5fa0", "#8a5a00", "#00707a", "#6f3c96"]


def _chart_place(rows, link):
    """Bars by place, coloured by organisation while there are few enough to tell apart
    (a national register has 42 ICBs: then one colour, and the table gives the split)."""
    values = [
        {
            "place": link.title("place", r["place"]) if r["place"] else "Not recorded",
            "organisation": link.title("organisation", r["organisation"]),
            "activities": r["activities"],
        }
        for r in rows
    ]
    places = list(dict.fromkeys(v["place"] for v in values))
    orgs = list(dict.fromkeys(v["organisation"] for v in values))
    encoding = {
        "y": {"field": "place", "type": "nominal", "title": None, "sort": places},
        "x": {
            "aggregate": "sum",
            "field": "activities",
            "type": "quantitative",
            "title": "Activities",
            "axis": {"tickMinStep": 1, "format": "d"},
        },
    }
    if len(orgs) <= len(ORGANISATION_COLOURS):
        encoding["color"] = {
            "field": "organisation",
            "type": "nominal",
            "title": "Organisation",
            "scale": _scale(dict(zip(orgs, ORGANISATION_COLOURS)), orgs),
        }
    else:
        encoding["color"] = {"value": ORGANISATION_COLOURS[0]}
    return _spec(
        "Bar chart: co-production activities by the place they covered"
        + (" and the organisation that leads the project." if "field" in encoding["color"] else "."),
        values,
        mark="bar",
        height={"step": 40},
        encoding=encoding,
    )


def _headline_place(rows):
    total = sum(r["activities"] for r in rows)
    places = len({r["place"] for r in rows if r["place"]})
    unknown = sum(r["activities"] for r in rows if not r["place"])
    text = f"Co-production activity was logged in {places:,} places"
    if unknown:
        text += f"; for {unknown:,} of {total:,} activities the place is not recorded"
    return {"figure": places, "of": None, "text": text + "."}


COVERAGE = {"complete": "#00703c", "missing": "#b4261a"}


def _chart_coverage(rows, link):
    """From summary_equality_coverage: projects by characteristics their assessment misses."""
    values = [
        {
            "characteristics missing": str(r["characteristics_missing"]),
            "projects": r["projects"],
            "state": "complete" if r["characteristics_missing"] == 0 else "missing",
        }
        for r in rows
    ]
    order = [v["characteristics missing"] for v in values]
    return _spec(
        "Bar chart: projects by how many of the twelve characteristics their equality impact "
        "assessment does not mention (0 means every characteristic is covered).",
        values,
        mark="bar",
        height={"step": 28},
        encoding={
            "y": {
                "field": "characteristics missing",
                "type": "ordinal",
                "sort": order,
                "title": "Characteristics not mentioned",
            },
            "x": {
                "field": "projects",
                "type": "quantitative",
                "title": "Projects",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {"field": "state", "type": "nominal", "legend": None, "scale": _scale(COVERAGE)},
        },
    )


def _headline_coverage(rows):
    total = sum(r["projects"] for r in rows)
    complete = sum(r["projects"] for r in rows if r["characteristics_missing"] == 0)
    return {
        "figure": complete,
        "of": total,
        "text": f"{complete:,} of {total:,} projects have an equality impact entry for every one of "
        f"the twelve characteristics.",
    }


MEASURES = [
    Measure(
        "strategic_group", "measure_strategic_group", chart=_chart_strategic_group, headline=_headline_strategic_group
    ),
    Measure(
        "eia_coproduced",
        "measure_eia_coproduced",
        chart=_chart_eia,
        headline=_headline_eia,
        summary="summary_eia_coproduced",
    ),
    Measure(
        "you_said_we_did",
        "measure_you_said_we_did",
        hide=("sort_order", "status_title"),
        chart=_chart_you_said,
        headline=_headline_you_said,
    ),
    Measure(
        "depth_by_gate",
        "measure_depth_by_gate",
        hide=("gate_order", "level_order"),
        chart=_chart_depth,
        headline=_headline_depth,
    ),
    Measure(
        "balance",
        "measure_balance",
        order_by="activity_date, activity_id",
        hide=("title",),
        chart=_chart_balance,
        headline=_headline_balance,
        summary="summary_balance",
    ),
    Measure("reimbursement", "measure_reimbursement", chart=_chart_reimbursement, headline=_headline_reimbursement),
    Measure(
        "equality_coverage",
        "measure_equality_coverage",
        hide=("characteristic_order",),
        booleans=("negative_without_mitigation",),
        chart=_chart_coverage,
        headline=_headline_coverage,
        summary="summary_equality_coverage",
    ),
    Measure(
        "activity_by_quarter",
        "measure_activity_by_quarter",
        hide=("level_order",),
        chart=_chart_quarter,
        headline=_headline_quarter,
    ),
    Measure(
        "activity_by_place",
        "measure_activity_by_place",
        hide=("organisation_order", "place_order"),
        chart=_chart_place,
        headline=_headline_place,
    ),
    Measure(
        "gate_assurance",
        "gate_assurance",
        order_by="project_id, gate_order",
        hide=("gate_order",),
        booleans=("reached", "passed", "evidence_published"),
        chart=_chart_gates,
        headline=_headline_gates,
        summary="summary_gate_assurance",
    ),
]
MEASURE_ROW_LIMIT = 1000


async def _measure_rows(datasette, m: Measure, limit: int | None = None) -> list[dict]:
    sql = f"select * from [{m.view}]"
    if m.order_by:
        sql += f" order by {m.order_by}"
    if limit:
        sql += f" limit {int(limit)}"
    return await _rows(datasette, sql)


async def _chart_rows(datasette, m: Measure) -> list[dict]:
    """What the chart and headline read: the stored summary, or the (short) view itself."""
    return await _rows(datasette, f"select * from [{m.summary}]") if m.summary else await _measure_rows(datasette, m)


async def _measures(datasette) -> list[Measure]:
    """The configured measures, then any other measure_* view (shown as a table only), so
    a measure added to views.sql is on the site at once, and gets a chart when it is
    configured here. A measure stored at build time is a table, no longer a view."""
    db = datasette.get_database(DB)
    views = set(await db.view_names()) | set(await db.table_names())
    known = {m.view for m in MEASURES}
    extra = [Measure(v[len("measure_") :], v) for v in sorted(views) if v.startswith("measure_") and v not in known]
    return [m for m in MEASURES if m.view in views] + extra


async def headlines(datasette) -> dict[str, dict]:
    """Each measure's headline figure, from its view or stored summary (home and
    /measures); one that passes the SQL time limit is left out."""
    out = {}
    for m in await _measures(datasette):
        if m.headline is None:
            continue
        try:
            h = m.headline(await _chart_rows(datasette, m))
        except QueryInterrupted:  # left out, rather than the whole page failing
            continue
        h["measure"] = m.name
        h["title"] = _view_meta(datasette, m.view).get("title", m.view)
        out[m.name] = h
    return out


# ---------------------------------------------------------------------------------------
# Rendering helpers.


def _date(value) -> str:
    """'2024-08-06' -> '6 August 2024' (dates in the register are ISO text)."""
    if not value:
        return ""
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


def _time(value) -> Markup:
    if not value:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(str(value)[:10], _date(value))


def _number(value) -> str:
    """12345 -> '12,345' (national figures run to millions); anything else as it is."""
    return (
        f"{value:,}"
        if isinstance(value, int) and not isinstance(value, bool)
        else ("" if value is None else str(value))
    )


def _yes_no(value, unknown="Not recorded") -> str:
    if value is None or value == "":
        return unknown
    return "Yes" if value in (1, True, "1") else "No"


async def _not_found(datasette, request, message: str) -> Response:
    """The site's own 404 page (error.html), without Datasette logging a traceback."""
    html = await datasette.render_template(
        ["404.html", "error.html"], {"ok": False, "error": message, "status": 404, "title": None}, request=request
    )
    return Response.html(html, status=404)


async def _page(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    linker = context.get("link") or await _linker(datasette)
    context = {"link": linker, "feeds": [], **context}
    html = await datasette.render_template(["register/" + template], context, request=request)
    return Response.html(html, status=status)


def _feeds(datasette, project_id: str | None = None) -> list[dict]:
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


def _page_number(request) -> int | None:
    """?page=N of a long list; None when N is not a whole number from 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 8 and int(raw) > 0 else None


def _pager(request, page: int, total: int) -> dict:
    pages = max(1, -(-total // PAGE_SIZE))
    base = request.path
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "first": (page - 1) * PAGE_SIZE + 1 if total else 0,
        "last": min(page * PAGE_SIZE, total),
        "prev": f"{base}?page={page - 1}" if page > 1 else None,
        "next": f"{base}?page={page + 1}" if page < pages else None,
        "offset": (page - 1) * PAGE_SIZE,
    }


async def _paged_projects(datasette, request) -> tuple[dict | None, list[dict]]:
    """One page of projects in id order, or (None, []) when the page does not exist.

    A national register holds tens of thousands of projects, so these pages list a
    hundred at a time and work out their figures for those hundred only."""
    page = _page_number(request)
    total = (await _rows(datasette, "select count(*) as n from projects"))[0]["n"]
    if page is None or (page - 1) * PAGE_SIZE >= max(total, 1):
        return None, []
    pager = _pager(request, page, total)
    projects = await _rows(
        datasette,
        "select * from projects order by id limit :limit offset :offset",
        {"limit": PAGE_SIZE, "offset": pager["offset"]},
    )
    return pager, projects


async def _no_such_page(datasette, request) -> Response:
    return await _not_found(datasette, request, f"There is no page {request.args.get('page')!r} of this list.")


async def projects_index(datasette, request):
    """Every project with its gate and how much of its promise is published."""
    pager, page_projects = await _paged_projects(datasette, request)
    if pager is None:
        return await _no_such_page(datasette, request)
    ids = [p["id"] for p in page_projects]
    figures = {
        r["id"]: r
        for r in await _rows(
            datasette,
            """
        select p.id,
          (select count(*) from coproduction_log l where l.project_id = p.id) as activities,
          (select count(distinct e.characteristic) from equality_impacts e
            where e.project_id = p.id) as characteristics_assessed,
          (select count(*) from you_said_we_did_current y where y.project_id = p.id) as you_said_items,
          (select coalesce(sum(y.loop_closed), 0) from you_said_we_did_current y
            where y.project_id = p.id) as you_said_closed,
          (select coalesce(sum(g.passed and not g.evidence_published), 0) from gate_assurance g
            where g.project_id = p.id) as gates_without_evidence
        from projects p where p.id in (select value from json_each(:ids))""",
            {"ids": json.dumps(ids)},
        )
    }
    projects = [{**p, **figures.get(p["id"], {})} for p in page_projects]
    characteristics = len((await _codelists(datasette)).get("characteristics", {}))
    return await _page(
        datasette,
        request,
        "projects.html",
        {"projects": projects, "pager": pager, "characteristics_total": characteristics, "feeds": _feeds(datasette)},
    )


async def project_page(datasette, request):
    """One project's journey: who was involved, at which gate, what people said, what was
    done, and whether equality impacts were assessed."""
    project_id = tilde_decode(request.url_vars["id"])
    found = await _rows(datasette, "select * from projects where id = :id", {"id": project_id})
    if not found:
        return await _not_found(datasette, request, f"There is no project with the ID {project_id!r} in the register.")
    project = found[0]
    p = {"id": project_id}
    codelists = await _codelists(datasette)
    link = await _linker(datasette)

    assurance = {
        r["gate"]: r
        for r in await _rows(datasette, "select * from gate_assurance where project_id = :id order by gate_order", p)
    }
    activities = await _rows(
        datasette,
        """
        select l.*, b.balance from coproduction_log l
        left join measure_balance b on b.activity_id = l.id
        where l.project_id = :id order by l.activity_date, l.id""",
        p,
    )
    groups: dict[str, list[str]] = {}
    for r in await _rows(
        datasette,
        f"""
            select g.coproduction_log_id as activity, g.code from [{GROUPS_TABLE}] g
            join coproduction_log l on l.id = g.coproduction_log_id
            where l.project_id = :id""",
        p,
    ):
        groups.setdefault(r["activity"], []).append(r["code"])
    group_order = list(codelists.get("groups", {}))
    for a in activities:
        a["group_codes"] = sorted(
            groups.get(a["id"], []), key=lambda c: group_order.index(c) if c in group_order else 999
        )
    link.add("coproduction_log", {a["id"]: a["title"] for a in activities})

    gates = []
    for code, gate in codelists.get("gates", {}).items():
        gates.append(
            {
                **gate,
                "assurance": assurance.get(code),
                "activities": [a for a in activities if a["gate"] == code],
                "is_current": code == project["current_gate"],
            }
        )

    impacts = await _rows(
        datasette,
        """
        select c.code as characteristic_code, e.* from characteristics c
        left join equality_impacts e on e.characteristic = c.code and e.project_id = :id
        order by c.sort_order, c.code""",
        p,
    )
    eia_summary = (await _rows(datasette, "select * from measure_eia_coproduced where project_id = :id", p) or [None])[
        0
    ]

    items = await _rows(
        datasette,
        """
        select c.*, y.source, y.source_section from you_said_we_did_current c
        join you_said_we_did y on y.id = c.id
        where c.project_id = :id order by c.said_date, c.id""",
        p,
    )
    history: dict[str, list[dict]] = {}
    for u in await _rows(
        datasette,
        """
            select u.* from you_said_we_did_updates u join you_said_we_did y on y.id = u.you_said_id
            where y.project_id = :id order by u.update_date, u.id""",
        p,
    ):
        history.setdefault(u["you_said_id"], []).append(u)
    for item in items:
        item["history"] = history.get(item["id"], [])
    status_counts = {code: 0 for code in codelists.get("statuses", {})}
    for item in items:
        status_counts[item["status"]] = status_counts.get(item["status"], 0) + 1

    all_groups = []
    for a in activities:
        for g in a["group_codes"]:
            if g not in all_groups:
                all_groups.append(g)
    counted = [a for a in activities if a["lived_experience_count"] is not None]
    staffed = [a for a in activities if a["staff_count"] is not None]
    glance = {
        "groups": all_groups,
        "gates_with_activity": [g for g in gates if g["activities"]],
        "lived_experience": sum(a["lived_experience_count"] for a in counted) if counted else None,
        "staff": sum(a["staff_count"] for a in staffed) if staffed else None,
        "activities_counted": len(counted),
        "levels": list(
            dict.fromkeys(
                a["participation_level"]
                for a in sorted(
                    activities,
                    key=lambda a: (
                        codelists.get("participation_levels", {}).get(a["participation_level"], {}).get("sort_order")
                        or 0
                    ),
                )
            )
        ),
        "item_count": len(items),
        "closed": sum(1 for i in items if i["loop_closed"]),
        "overdue": sum(1 for i in items if i["overdue"]),
        "characteristics_assessed": sum(1 for i in impacts if i["id"]),
        "characteristics_total": len(impacts),
        "gaps": [a for a in assurance.values() if a["passed"] and not a["evidence_published"]],
    }
    return await _page(
        datasette,
        request,
        "project.html",
        {
            "project": project,
            "gates": gates,
            "activities": activities,
            "impacts": impacts,
            "eia_summary": eia_summary,
            "items": items,
            "status_counts": status_counts,
            "glance": glance,
            "link": link,
            "feeds": _feeds(datasette) + _feeds(datasette, project_id),
        },
    )


async def gate_assurance_page(datasette, request):
    """Register-wide: which projects progressed without the evidence?"""
    pager, projects = await _paged_projects(datasette, request)
    if pager is None:
        return await _no_such_page(datasette, request)
    rows = await _rows(
        datasette,
        """
        select * from gate_assurance where project_id in (select value from json_each(:ids))
        order by project_id, gate_order""",
        {"ids": json.dumps([p["id"] for p in projects])},
    )
    by_project: dict[str, dict] = {}
    for r in rows:
        by_project.setdefault(r["project_id"], {})[r["gate"]] = r
    canned = await datasette.get_canned_query(DB, "projects_progressed_without_evidence", None)
    gaps_sql = (
        canned["sql"]
        if canned
        else "select * from gate_assurance where passed and not evidence_published order by project_id, gate_order"
    )
    gaps = await _rows(datasette, f"select * from ({gaps_sql}) limit {GAP_LIMIT}")
    codelists = await _codelists(datasette)
    return await _page(
        datasette,
        request,
        "gate_assurance.html",
        {
            "gaps": gaps,
            "by_project": by_project,
            "projects": projects,
            "pager": pager,
            "gates": list(codelists.get("gates", {}).values()),
            "meta": _view_meta(datasette, "gate_assurance"),
            "canned": canned,
            "headline": _headline_gates(await _rows(datasette, "select * from summary_gate_assurance")),
        },
    )


async def measures_index(datasette, request):
    """Every measure with its headline figure."""
    heads = await headlines(datasette)
    measures = [
        {"m": m, "meta": _view_meta(datasette, m.view), "headline": heads.get(m.name)}
        for m in await _measures(datasette)
    ]
    return await _page(datasette, request, "measures.html", {"measures": measures})


async def measure_page(datasette, request):
    """One measure: its plain-English explanation, chart, table and data links."""
    name = request.url_vars["name"]
    m = {x.name: x for x in await _measures(datasette)}.get(name)
    if m is None:
        return await _not_found(datasette, request, f"There is no measure called {name!r}.")
    rows = await _measure_rows(datasette, m, limit=MEASURE_ROW_LIMIT + 1)
    truncated = len(rows) > MEASURE_ROW_LIMIT
    rows = rows[:MEASURE_ROW_LIMIT]
    link = await _linker(datasette)
    if rows and "activity_id" in rows[0] and "title" in rows[0]:
        link.add("coproduction_log", {r["activity_id"]: r["title"] for r in rows})
    columns = [c for c in (rows[0].keys() if rows else []) if c not in m.hide]
    if not rows:
        db = datasette.get_database(DB)
        columns = [c for c in await db.table_columns(m.view) if c not in m.hide]
    labels = []
    for c in columns:
        label, desc = _column_label(datasette, m.view, c)
        numeric = (
            bool(rows)
            and all(isinstance(r[c], (int, float)) or r[c] is None for r in rows)
            and any(isinstance(r[c], (int, float)) for r in rows)
            and c not in m.booleans
        )
        labels.append({"name": c, "label": label, "description": desc[:1].upper() + desc[1:], "numeric": numeric})
    targets = await _column_targets(datasette)
    chart_rows = await _chart_rows(datasette, m) if (m.chart or m.headline) and (truncated or m.summary) else rows
    spec = m.chart(chart_rows, link) if m.chart else None
    path = datasette.urls.path
    return await _page(
        datasette,
        request,
        "measure.html",
        {
            "m": m,
            "meta": _view_meta(datasette, m.view),
            "rows": rows,
            "truncated": truncated,
            "columns": labels,
            "linked": {c for c in columns if c in targets},
            "spec_json": Markup(_json_for_script(spec)) if spec else None,
            "headline": m.headline(chart_rows) if m.headline else None,
            "link": link,
            "data_links": {
                "table": datasette.urls.table(DB, m.view),
                "csv": datasette.urls.table(DB, m.view, format="csv") + "?_stream=on&_size=max",
                "json": datasette.urls.table(DB, m.view, format="json") + "?_shape=array&_size=max",
            },
            "feeds": _feeds(datasette) if m.name == "you_said_we_did" else [],
            "measure_url": path(f"/measures/{m.name}"),
        },
    )


def _json_for_script(data) -> str:
    """JSON safe inside <script type="application/json">: no '</' or '<!--' can end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


async def glossary_page(datasette, request):
    """The glossary, and every codelist that gives a code its meaning."""
    codelists = await _codelists(datasette)
    link = await _linker(datasette)
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
    return await _page(
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


# Search: each register with its own FTS table (register/database/build.py), ranked by bm25.
SEARCH_MAIN = {
    "projects": {"kind": "Project", "project": "t.id", "anchor": "''", "title": "t.title"},
    "coproduction_log": {
        "kind": "Co-production activity",
        "project": "t.project_id",
        "anchor": "t.id",
        "title": "t.title",
    },
    "equality_impacts": {
        "kind": "Equality impact",
        "project": "t.project_id",
        "anchor": "'eia-' || t.characteristic",
        "title": "(select title from characteristics c where c.code = t.characteristic)",
    },
    "you_said_we_did": {
        "kind": "You said",
        "project": "t.project_id",
        "anchor": "t.id",
        "title": "t.id || ': ' || (select title from themes h where h.code = t.theme)",
    },
    "you_said_we_did_updates": {
        "kind": "We did (status update)",
        "project": "(select project_id from you_said_we_did y where y.id = t.you_said_id)",
        "anchor": "t.you_said_id",
        "title": "t.you_said_id || ': ' || (select title from statuses s where s.code = t.status)"
        " || ', ' || t.update_date",
    },
}
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


async def _search(datasette, q: str) -> list[dict]:
    db = datasette.get_database(DB)
    names = set(await db.table_names())
    codelists = await _codelists(datasette)
    parts = []
    for table in sorted(names):
        fts = f"{table}_fts"
        if fts not in names:
            continue
        pk = "t.code" if table in codelists else "t.id"
        conf = SEARCH_MAIN.get(table)
        if conf is None and table not in codelists:
            continue
        if conf:
            project, anchor, title, kind = conf["project"], conf["anchor"], conf["title"], conf["kind"]
        else:
            project, anchor, title, kind = "null", "''", "t.title", table
        parts.append(f"""
          select '{table}' as source, '{kind}' as kind, {pk} as key, {project} as project_id,
                 {anchor} as anchor, {title} as title,
                 snippet([{fts}], -1, char(2), char(3), '…', 24) as snippet,
                 bm25([{fts}]) as rank
          from [{fts}] join [{table}] t on t.rowid = [{fts}].rowid
          where [{fts}] match :q""")
    if not parts:
        return []
    sql = " union all ".join(parts) + f" order by rank, source, key limit {SEARCH_LIMIT}"
    return await _rows(datasette, sql, {"q": q})


def _snippet(text: str | None) -> Markup:
    """Escape the snippet, then turn the match markers into <mark>."""
    out = escape(text or "")
    return Markup(str(out).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


async def search_page(datasette, request):
    """Full-text search across every register at once, best matches first."""
    q = (request.args.get("q") or "").strip()
    results, error = [], None
    fts_q = escape_fts(q) if q else ""
    if q and fts_q:
        try:
            results = await _search(datasette, fts_q)
        except Exception:  # an FTS syntax the escaping did not catch: say so, do not crash
            error = "The register could not search for that. Try different or fewer words."
    link = await _linker(datasette)
    path = datasette.urls.path
    for r in results:
        r["snippet_html"] = _snippet(r["snippet"])
        if r["project_id"]:
            r["href"] = path(f"/projects/{tilde_encode(r['project_id'])}") + (f"#{r['anchor']}" if r["anchor"] else "")
            r["project_title"] = link.title("projects", r["project_id"])
        elif r["source"] == "glossary":
            r["href"] = path(f"/glossary#{r['key']}")
        else:
            r["href"] = datasette.urls.row(DB, r["source"], tilde_encode(str(r["key"])))
        if r["source"] not in SEARCH_MAIN:
            r["kind"] = link.codelist_title(r["source"])
        r["row_href"] = datasette.urls.row(DB, r["source"], tilde_encode(str(r["key"])))
    return await _page(
        datasette,
        request,
        "search.html",
        {"q": q, "results": results, "error": error, "limit": SEARCH_LIMIT, "link": link},
    )


async def accessibility_page(datasette, request):
    return await _page(datasette, request, "accessibility.html", {})


# ---------------------------------------------------------------------------------------
# Atom feeds, written here rather than with datasette-atom 0.9: the feeds need stable
# addresses (/feeds/...) rather than /register/<query>.atom, a per-project filter,
# entry ids that do not change when the site moves host, and plain-text content, so
# nothing depends on datasette-atom's bleach (deprecated) HTML sanitising. ElementTree
# escapes every text node.

ATOM_NS = "http://www.w3.org/2005/Atom"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text) -> str:
    return _CONTROL.sub("", "" if text is None else str(text))


def _stamp(date_text) -> str:
    return f"{str(date_text)[:10]}T00:00:00Z"


def _urn(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "coproduction-register:" + "/".join(parts)))


def _atom(feed_key: str, title: str, subtitle: str, self_url: str, alternate_url: str, entries: list[dict]) -> bytes:
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _clean(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "en-GB")
    sub(feed, "id", _urn("feed", feed_key))
    sub(feed, "title", title)
    sub(feed, "subtitle", subtitle)
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    updated = max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z")
    sub(feed, "updated", updated)
    author = sub(feed, "author")
    sub(author, "name", "Co-production Register")
    sub(feed, "rights", "Open Government Licence v3.0")
    for e in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", e["id"])
        sub(entry, "title", e["title"], type="text")
        sub(entry, "updated", e["updated"])
        sub(entry, "published", e.get("published", e["updated"]))
        sub(entry, "link", rel="alternate", type="text/html", href=e["link"])
        a = sub(entry, "author")
        sub(a, "name", e["author"])
        for term, label in e.get("categories", []):
            sub(entry, "category", term=term, label=label)
        sub(entry, "content", e["content"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _excerpt(text: str | None, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


async def _feed_project(datasette, request) -> str | None:
    project = request.args.get("project")
    if project:
        if not await _rows(datasette, "select id from projects where id = :id", {"id": project}):
            raise NotFound(f"There is no project with the ID {project!r} in the register.")
    return project


def _atom_response(body: bytes) -> Response:
    return Response(
        body, content_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "public, max-age=300"}
    )


async def feed_you_said(datasette, request):
    """New "You said" items, newest first, with their current status."""
    project = await _feed_project(datasette, request)
    rows = await _rows(
        datasette,
        f"""
        select c.*, p.title as project_title, p.organisation from you_said_we_did_current c
        join projects p on p.id = c.project_id
        where (:project is null or c.project_id = :project)
        order by c.said_date desc, c.id desc limit {FEED_LIMIT}""",
        {"project": project},
    )
    link = await _linker(datasette)
    absolute = lambda p: datasette.absolute_url(request, datasette.urls.path(p))  # noqa: E731
    entries = []
    for r in rows:
        status = link.title("statuses", r["status"])
        lines = [
            f"You said: {r['you_said']}",
            f"Theme: {link.title('themes', r['theme'])}",
            f"Project: {r['project_title']} ({r['project_id']})",
            f"Said on: {_date(r['said_date'])}",
            f"Current status: {status}" + (f" (since {_date(r['status_date'])})" if r["status_date"] else ""),
        ]
        if r["we_did"]:
            lines.append(f"We did: {r['we_did']}")
        if r["reason"]:
            lines.append(f"Reason: {r['reason']}")
        if r["target_date"]:
            lines.append(f"Response due: {_date(r['target_date'])}" + (" (overdue)" if r["overdue"] else ""))
        entries.append(
            {
                "id": _urn("you_said_we_did", r["id"]),
                "title": f"{r['id']} ({status}): {_excerpt(r['you_said'])}",
                "published": _stamp(r["said_date"]),
                # An item changes when its status does: feed readers then show it again.
                "updated": _stamp(max(r["said_date"], r["status_date"] or r["said_date"])),
                "link": absolute(f"/projects/{tilde_encode(r['project_id'])}#{r['id']}"),
                "author": link.title("organisation", r["organisation"]),
                "categories": [(r["theme"], link.title("themes", r["theme"])), (r["status"], status)],
                "content": "\n".join(lines),
            }
        )
    suffix = f" for {project}" if project else ""
    q = f"?project={project}" if project else ""
    body = _atom(
        "you-said" + (f"/{project}" if project else ""),
        f'Co-production Register: new "You said" items{suffix}',
        "What people said, newest first, with what was done about it.",
        absolute("/feeds/you-said.atom") + q,
        absolute(f"/projects/{project}" if project else "/"),
        entries,
    )
    return _atom_response(body)


async def feed_status_changes(datasette, request):
    """Every change of status of a "You said" item, newest first."""
    project = await _feed_project(datasette, request)
    rows = await _rows(
        datasette,
        f"""
        select u.*, y.you_said, y.project_id, p.title as project_title, p.organisation
        from you_said_we_did_updates u
        join you_said_we_did y on y.id = u.you_said_id
        join projects p on p.id = y.project_id
        where (:project is null or y.project_id = :project)
        order by u.update_date desc, u.id desc limit {FEED_LIMIT}""",
        {"project": project},
    )
    link = await _linker(datasette)
    absolute = lambda p: datasette.absolute_url(request, datasette.urls.path(p))  # noqa: E731
    entries = []
    for r in rows:
        status = link.title("statuses", r["status"])
        lines = [f"Status: {status}", f"Date: {_date(r['update_date'])}"]
        if r["we_did"]:
            lines.append(f"We did: {r['we_did']}")
        if r["reason"]:
            lines.append(f"Reason: {r['reason']}")
        lines += [f"You said: {r['you_said']}", f"Project: {r['project_title']} ({r['project_id']})"]
        entries.append(
            {
                "id": _urn("you_said_we_did_updates", r["id"]),
                "title": f"{r['you_said_id']} is now {status}: {_excerpt(r['you_said'])}",
                "updated": _stamp(r["update_date"]),
                "link": absolute(f"/projects/{tilde_encode(r['project_id'])}#{r['you_said_id']}"),
                "author": link.title("organisation", r["organisation"]),
                "categories": [(r["status"], status)],
                "content": "\n".join(lines),
            }
        )
    suffix = f" for {project}" if project else ""
    q = f"?project={project}" if project else ""
    body = _atom(
        "status-changes" + (f"/{project}" if project else ""),
        f'Co-production Register: "You said, we did" status changes{suffix}',
        'Every change of status of a "You said" item, newest first.',
        absolute("/feeds/status-changes.atom") + q,
        absolute(f"/projects/{project}" if project else "/"),
        entries,
    )
    return _atom_response(body)


# ---------------------------------------------------------------------------------------
# Hooks.


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


@hookimpl
def register_routes(datasette):
    return [
        (pattern, _bounded(handler))
        for pattern, handler in [
            (r"^/projects/?$", projects_index),
            (r"^/projects/(?P<id>[^/]+)$", project_page),
            (r"^/gate-assurance/?$", gate_assurance_page),
            (r"^/measures/?$", measures_index),
            (r"^/measures/(?P<name>[a-z_]+)$", measure_page),
            (r"^/glossary/?$", glossary_page),
            (r"^/search/?$", search_page),
            (r"^/accessibility/?$", accessibility_page),
            (r"^/feeds/you-said\.atom$", feed_you_said),
            (r"^/feeds/status-changes\.atom$", feed_status_changes),
        ]
    ]


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["reg_date"] = _date
    env.filters["reg_time"] = _time
    env.filters["reg_yes_no"] = _yes_no
    env.filters["reg_number"] = _number


@hookimpl
def extra_template_vars(template, datasette, request):
    """The home page's figures, read live from the measure views."""
    if template != "index.html":
        return {}

    async def inner():
        codelists = await _codelists(datasette)
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
            "feeds": _feeds(datasette),
            "measure_names": [m.name for m in await _measures(datasette) if m.name in heads],
        }

    return inner
