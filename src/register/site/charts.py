"""Vega-Lite specs of the measure charts, one builder per measure.

Each builder takes the rows its measure's view (or stored summary) returns and a Linker
for titles; it decides nothing the view has not decided, only how to draw it.
"""

import json

from register.util import palette

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


def vega_spec(description: str, values: list[dict], **body) -> dict:
    """A Vega-Lite spec with the page's data inline (so the chart and the table show the
    same rows), and a description that is the chart image's text alternative. Its width
    and height are set when it is drawn, for each size (site/measure_chart.py)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "data": {"values": values},
        "config": CHART_CONFIG,
        **body,
    }


def colour_scale(mapping: dict, order: list[str] | None = None) -> dict:
    domain = order or list(mapping)
    return {"domain": domain, "range": [mapping[d] for d in domain]}


def count_axis(field: str, title: str, stack: bool = False) -> dict:
    """An axis of whole numbers (projects, activities), stacked where bars are split."""
    axis = {"field": field, "type": "quantitative", "title": title, "axis": {"tickMinStep": 1, "format": "d"}}
    return {**axis, "stack": True} if stack else axis


def level_colour(levels: list[str], colours: dict) -> dict:
    """Colour by level on the participation flower, in the order of the scale."""
    return {
        "field": "level",
        "type": "nominal",
        "title": "Participation level",
        "sort": levels,
        "scale": colour_scale(colours, levels),
    }


def chart_strategic_group(rows, link):
    values = [
        {
            "organisation": link.title("organisation", r["organisation"]),
            "came through the group": r["came_through_group"],
            "projects": r["projects"],
        }
        for r in rows
    ]
    return vega_spec(
        "Bar chart: projects by organisation and whether they came through the Strategic "
        "Co-production Group. The same figures are in the table below.",
        values,
        mark="bar",
        height={"step": 48},
        encoding={
            "y": {"field": "organisation", "type": "nominal", "title": None},
            "x": count_axis("projects", "Projects"),
            "color": {
                "field": "came through the group",
                "type": "nominal",
                "title": "Came through the group",
                "scale": colour_scale(palette.YES_NO),
            },
        },
    )


def chart_eia(rows, link):
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
    return vega_spec(
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
            "x": count_axis("projects", "Projects", stack=True),
            "color": {
                "field": "co-produced",
                "type": "nominal",
                "title": "Says it was co-produced",
                "scale": colour_scale(palette.YES_NO),
            },
        },
    )


def chart_you_said(rows, link):
    values = [{"status": r["status_title"], "code": r["status"], "items": r["items"]} for r in rows]
    order = [r["status_title"] for r in rows]
    statuses = link.codelists.get("statuses", {})
    by_code = palette.status_colours((code, bool(s.get("closes_loop"))) for code, s in statuses.items())
    colours = {r["status_title"]: by_code.get(r["status"], palette.UNKNOWN) for r in rows}
    return vega_spec(
        'Bar chart: "You said" items by current status.',
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "status", "type": "nominal", "title": None, "sort": order},
            "x": count_axis("items", "Items"),
            "color": {"field": "status", "type": "nominal", "legend": None, "scale": colour_scale(colours, order)},
        },
    )


def chart_depth(rows, link):
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
    colours = dict(zip(levels, palette.LEVELS * 2))
    return vega_spec(
        "Stacked bar chart: co-production activities at each gate of the commissioning cycle, "
        "by level on the participation flower.",
        values,
        mark="bar",
        height={"step": 48},
        transform=[{"calculate": f"indexof({json.dumps(levels)}, datum.level)", "as": "level_order"}],
        encoding={
            "y": {"field": "gate", "type": "nominal", "title": None, "sort": gates},
            "x": count_axis("activities", "Activities", stack=True),
            "color": level_colour(levels, colours),
            "order": {"field": "level_order", "type": "quantitative"},
        },
    )


def chart_balance(rows, link):
    """From summary_balance: activities by balance."""
    values = [{"balance": r["balance"], "activities": r["activities"]} for r in rows]
    order = list(palette.BALANCE)
    return vega_spec(
        "Bar chart: co-production activities by whether staff outnumbered people with lived experience.",
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "balance", "type": "nominal", "title": None, "sort": order},
            "x": count_axis("activities", "Activities"),
            "color": {
                "field": "balance",
                "type": "nominal",
                "legend": None,
                "scale": colour_scale(palette.BALANCE, order),
            },
        },
    )


def chart_reimbursement(rows, link):
    values = [{"reimbursement": r["reimbursement"], "activities": r["activities"]} for r in rows]
    return vega_spec(
        "Bar chart: co-production activities by whether reimbursement was offered.",
        values,
        mark="bar",
        height={"step": 44},
        encoding={
            "y": {"field": "reimbursement", "type": "nominal", "title": None},
            "x": count_axis("activities", "Activities"),
            "color": {
                "field": "reimbursement",
                "type": "nominal",
                "legend": None,
                "scale": colour_scale(palette.REIMBURSEMENT),
            },
        },
    )


def gate_state(r) -> str:
    """Presentation only: the view decides `reached` and `evidence_published`."""
    if not r["reached"]:
        return "not reached yet"
    return "evidence published" if r["evidence_published"] else "no evidence"


def chart_gates(rows, link):
    """From summary_gate_assurance: projects at each gate by evidence."""
    values = [{"gate": link.title("gate", r["gate"]), "state": gate_state(r), "projects": r["projects"]} for r in rows]
    gates = list(dict.fromkeys(v["gate"] for v in values))
    order = list(palette.GATE_STATES)
    return vega_spec(
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
                "scale": colour_scale(palette.GATE_STATES, order),
            },
            "order": {"field": "state_order", "type": "quantitative"},
        },
    )


def chart_quarter(rows, link):
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
    colours = dict(zip(levels, palette.LEVELS * 2))
    return vega_spec(
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
            "y": count_axis("activities", "Activities", stack=True),
            "color": level_colour(levels, colours),
            "order": {"field": "level_order", "type": "quantitative"},
        },
    )


ORGANISATION_COLOURS = palette.CATEGORY[:4]  # few enough to tell apart


def chart_place(rows, link):
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
            "scale": colour_scale(dict(zip(orgs, ORGANISATION_COLOURS)), orgs),
        }
    else:
        encoding["color"] = {"value": ORGANISATION_COLOURS[0]}
    return vega_spec(
        "Bar chart: co-production activities by the place they covered"
        + (" and the organisation that leads the project." if "field" in encoding["color"] else "."),
        values,
        mark="bar",
        height={"step": 40},
        encoding=encoding,
    )


def chart_coverage(rows, link):
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
    return vega_spec(
        f"Bar chart: projects by how many of the {len(link.codelists.get('characteristics', {})):,} "
        "characteristics their equality impact "
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
            "x": count_axis("projects", "Projects"),
            "color": {"field": "state", "type": "nominal", "legend": None, "scale": colour_scale(palette.COVERAGE)},
        },
    )
