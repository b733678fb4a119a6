"""The measures: one entry per view, with its chart and its one-line headline.

Every rule is a view in register/database/views.sql; a headline only adds up and words
what its view says.
"""

from collections.abc import Callable
from dataclasses import dataclass

from datasette.database import QueryInterrupted

from register.site import charts
from register.site.links import DB, fetch_rows, view_meta
from register.util.palette import NOT_RECORDED, STAFF_OUTNUMBERED


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


def headline_strategic_group(rows):
    total = sum(r["projects"] for r in rows)
    yes = sum(r["projects"] for r in rows if r["came_through_group"] == "yes")
    unknown = sum(r["projects"] for r in rows if r["came_through_group"] == NOT_RECORDED)
    text = f"{yes:,} of {total:,} projects came through the Strategic Co-production Group"
    if unknown:
        text += f" (for {unknown:,}, the documents do not say)"
    return {"figure": yes, "of": total, "text": text + "."}


def headline_eia(rows):
    total = sum(r["projects"] for r in rows)
    yes = sum(r["projects"] for r in rows if r["coproduced"] == "yes")
    return {
        "figure": yes,
        "of": total,
        "text": f"{yes:,} of {total:,} equality impact assessments say the transformation was co-produced.",
    }


def headline_you_said(rows):
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


def headline_depth(rows):
    total = sum(r["activities"] for r in rows)
    deepest = sum(r["activities"] for r in rows if r["level_order"] == max(x["level_order"] for x in rows))
    return {
        "figure": deepest,
        "of": total,
        "text": f"{deepest:,} of {total:,} logged activities reached co-production, "
        f"the deepest level of the participation flower.",
    }


def headline_balance(rows):
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


def headline_reimbursement(rows):
    total = sum(r["activities"] for r in rows)
    offered = sum(r["activities"] for r in rows if r["reimbursement"] == "offered")
    return {
        "figure": offered,
        "of": total,
        "text": f"Reimbursement was offered at {offered:,} of {total:,} co-production activities.",
    }


def headline_gates(rows):
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


def headline_quarter(rows):
    quarters = list(dict.fromkeys(r["quarter"] for r in rows))
    active = [q for q in quarters if any(r["activities"] for r in rows if r["quarter"] == q)]
    text = f"Co-production activity was logged in {len(active):,} of the {len(quarters):,} quarters since the first activity"
    if active:
        latest = active[-1]
        n = sum(r["activities"] for r in rows if r["quarter"] == latest)
        text += f"; the latest was {latest}, with {n:,} {'activity' if n == 1 else 'activities'}"
    return {"figure": len(active), "of": len(quarters), "text": text + "."}


def headline_place(rows):
    total = sum(r["activities"] for r in rows)
    places = len({r["place"] for r in rows if r["place"]})
    unknown = sum(r["activities"] for r in rows if not r["place"])
    text = f"Co-production activity was logged in {places:,} places"
    if unknown:
        text += f"; for {unknown:,} of {total:,} activities the place is not recorded"
    return {"figure": places, "of": None, "text": text + "."}


def headline_coverage(rows):
    total = sum(r["projects"] for r in rows)
    complete = sum(r["projects"] for r in rows if r["characteristics_missing"] == 0)
    characteristics = rows[0]["characteristics_total"] if rows else 0
    return {
        "figure": complete,
        "of": total,
        "text": f"{complete:,} of {total:,} projects have an equality impact entry for every one of "
        f"the {characteristics:,} characteristics.",
    }


MEASURES = [
    Measure(
        "strategic_group",
        "measure_strategic_group",
        chart=charts.chart_strategic_group,
        headline=headline_strategic_group,
    ),
    Measure(
        "eia_coproduced",
        "measure_eia_coproduced",
        chart=charts.chart_eia,
        headline=headline_eia,
        summary="summary_eia_coproduced",
    ),
    Measure(
        "you_said_we_did",
        "measure_you_said_we_did",
        hide=("sort_order", "status_title"),
        chart=charts.chart_you_said,
        headline=headline_you_said,
    ),
    Measure(
        "depth_by_gate",
        "measure_depth_by_gate",
        hide=("gate_order", "level_order"),
        chart=charts.chart_depth,
        headline=headline_depth,
    ),
    Measure(
        "balance",
        "measure_balance",
        order_by="activity_date, activity_id",
        hide=("title",),
        chart=charts.chart_balance,
        headline=headline_balance,
        summary="summary_balance",
    ),
    Measure(
        "reimbursement", "measure_reimbursement", chart=charts.chart_reimbursement, headline=headline_reimbursement
    ),
    Measure(
        "equality_coverage",
        "measure_equality_coverage",
        hide=("characteristic_order",),
        booleans=("negative_without_mitigation",),
        chart=charts.chart_coverage,
        headline=headline_coverage,
        summary="summary_equality_coverage",
    ),
    Measure(
        "activity_by_quarter",
        "measure_activity_by_quarter",
        hide=("level_order",),
        chart=charts.chart_quarter,
        headline=headline_quarter,
    ),
    Measure(
        "activity_by_place",
        "measure_activity_by_place",
        hide=("organisation_order", "place_order"),
        chart=charts.chart_place,
        headline=headline_place,
    ),
    Measure(
        "gate_assurance",
        "gate_assurance",
        order_by="project_id, gate_order",
        hide=("gate_order",),
        booleans=("reached", "passed", "evidence_published"),
        chart=charts.chart_gates,
        headline=headline_gates,
        summary="summary_gate_assurance",
    ),
]
MEASURE_ROW_LIMIT = 1000


async def measure_rows(datasette, m: Measure, limit: int | None = None) -> list[dict]:
    sql = f"select * from [{m.view}]"
    if m.order_by:
        sql += f" order by {m.order_by}"
    if limit:
        sql += f" limit {int(limit)}"
    return await fetch_rows(datasette, sql)


async def summary_rows(datasette, m: Measure) -> list[dict]:
    """What the chart and headline read: the stored summary, or the (short) view itself."""
    return (
        await fetch_rows(datasette, f"select * from [{m.summary}]") if m.summary else await measure_rows(datasette, m)
    )


async def all_measures(datasette) -> list[Measure]:
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
    for m in await all_measures(datasette):
        if m.headline is None:
            continue
        try:
            h = m.headline(await summary_rows(datasette, m))
        except QueryInterrupted:  # left out, rather than the whole page failing
            continue
        h["measure"] = m.name
        h["title"] = view_meta(datasette, m.view).get("title", m.view)
        out[m.name] = h
    return out
