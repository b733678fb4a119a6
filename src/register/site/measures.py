"""The measures: one entry per view, with its chart and its one-line headline.

Every rule is a view in register/database/views.sql, and every headline figure is a row
of its `headlines` view; this module only puts them into words.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from datasette.database import QueryInterrupted

from register.site import charts
from register.site.links import DB, fetch_rows, view_meta
from register.util.clock import local_today
from register.util.words import agree, n_of


@dataclass
class Measure:
    name: str  # URL part: /measures/<name>
    view: str  # the view in register/database/views.sql
    order_by: str = ""  # for views without an ORDER BY of their own
    hide: tuple = ()  # ordering helpers not worth a column
    booleans: tuple = ()  # 0/1 columns shown as Yes/No
    percentages: tuple = ()  # columns that hold a percentage, shown with a % sign
    # What an empty cell means, by column; any other empty cell was not recorded.
    missing: dict = field(default_factory=dict)
    # A column counting a row's items: where it is 0, the row's empty cells say "no items"
    # (there is nothing to average), not what `missing` says of items still waiting.
    items: str = ""
    chart: Callable | None = None
    headline: Callable | None = None
    figure_note: Callable | None = None  # words after the home page's big figure, when needed
    summary: str = ""  # a stored summary_* table that the chart reads instead of the
    # view, when the view has a row per activity or project


# Each headline puts one row of the `headlines` view into words: the figures are worked
# out once, in SQL, and the impact report reads the same row.


NOTHING_LOGGED = "No co-production activity is logged yet"
NO_PROJECT = "No project is recorded yet."
ITEM, ITEMS = '"You said" item', '"You said" items'


def headline_strategic_group(h):
    if not h["of_total"]:
        return NO_PROJECT
    text = f"{n_of(h['figure'], h['of_total'], 'project', 'projects')} came through the Strategic Co-production Group"
    if h["not_recorded"]:
        text += f" (for {h['not_recorded']:,}, the documents do not say)"
    return text + "."


def headline_eia(h):
    if not h["of_total"]:
        return "No equality impact assessment is published yet."
    return (
        f"{n_of(h['figure'], h['of_total'], 'equality impact assessment', 'equality impact assessments')} "
        f"{agree(h['figure'], 'says', 'say')} the transformation was co-produced."
    )


def headline_you_said(h):
    if not h["of_total"]:
        return 'No "You said" items are recorded yet.'
    if not h["still_open"]:  # not "for the other 0 the loop is not closed yet, 0 of them overdue"
        n = h["of_total"]
        return (
            'The one "You said" item has closed the loop.'
            if n == 1
            else f'All {n:,} "You said" items have closed the loop.'
        )
    it_is = f"and it is {'' if h['overdue'] else 'not '}overdue"  # the one item still open
    if not h["figure"]:  # not "0 of 5 items have closed the loop; for the other 5 ..."
        if h["of_total"] == 1:
            return f'The one "You said" item has not closed the loop yet, {it_is}.'
        overdue = (
            f"{h['overdue']:,} of them {agree(h['overdue'], 'is', 'are')} overdue"
            if h["overdue"]
            else "none of them is overdue"
        )
        return f'None of the {h["of_total"]:,} "You said" items has closed the loop yet; {overdue}.'
    rest = (
        f"for the other one the loop is not closed yet, {it_is}"  # not "for the other 1 ..., 1 of them overdue"
        if h["still_open"] == 1
        else f"for the other {h['still_open']:,} the loop is not closed yet, {h['overdue']:,} of them overdue"
    )
    return f'{h["figure"]:,} of {h["of_total"]:,} "You said" items {agree(h["figure"], "has", "have")} closed the loop; {rest}.'


def headline_depth(h):
    if not h["of_total"]:
        return f"{NOTHING_LOGGED}."
    return (
        f"{n_of(h['figure'], h['of_total'], 'logged activity', 'logged activities')} reached co-production, "
        f"the deepest level of the participation flower."
    )


def headline_balance(h):
    if not h["total"]:
        return f"{NOTHING_LOGGED}, so the balance rule cannot be checked yet."
    if h["not_recorded"] >= h["total"]:
        return (
            f"For {h['not_recorded']:,} of {h['total']:,} activities the numbers of staff and of people with "
            f"lived experience were not both recorded, so the balance rule cannot be checked yet."
        )
    text = (
        f"Staff outnumbered people with lived experience at "
        f"{n_of(h['figure'], h['of_total'], 'activity', 'activities', the=True)} where both were counted"
    )
    if h["not_recorded"]:  # not "for 0 of 8 activities the numbers were not recorded"
        text += f"; for {n_of(h['not_recorded'], h['total'], 'activity', 'activities')} the numbers were not recorded"
    return text + "."


def unrecorded_figure_note(h):
    """When no activity can be judged, the big figure counts those not recorded (views.sql,
    `headlines`): say so, or "8 of 8" reads as eight where staff outnumbered people with
    lived experience, or eight where reimbursement was offered."""
    return "not recorded" if h["total"] and h["not_recorded"] >= h["total"] else ""


def headline_reimbursement(h):
    if not h["total"]:
        return f"{NOTHING_LOGGED}, so whether reimbursement was offered cannot be checked yet."
    if h["not_recorded"] and h["not_recorded"] >= h["total"]:
        return (
            f"For all {h['not_recorded']:,} co-production activities the records do not say whether "
            f"reimbursement was offered, so this cannot be checked yet."
        )
    text = f"Reimbursement was offered at {n_of(h['figure'], h['of_total'], 'co-production activity', 'co-production activities')}"
    if h["not_recorded"]:
        text += f"; for {h['not_recorded']:,} of them the records do not say whether it was"
    return text + "."


def headline_gates(h):
    if not h["figure"]:  # not "0 of 10 projects moved past a gate ... (0 gates in all)"
        n = h["of_total"]
        if not n:
            return NO_PROJECT
        which = "The one project did not move" if n == 1 else f"None of the {n:,} projects moved"
        return f"{which} past a gate without the evidence the strategy asks for."
    return (
        f"{n_of(h['figure'], h['of_total'], 'project', 'projects')} moved past a gate without the evidence the strategy "
        f"asks for ({h['gates']:,} {agree(h['gates'], 'gate', 'gates')} in all)."
    )


def headline_quarter(h):
    if not h["of_total"]:
        return f"{NOTHING_LOGGED} with a date."
    text = (
        f"Co-production activity was logged in {n_of(h['figure'], h['of_total'], 'quarter', 'quarters', the=True)} "
        f"from the first activity to the latest"
    )
    if h["latest_quarter"]:
        n = h["latest_activities"]
        activities = f"{n:,} {'activity' if n == 1 else 'activities'}"
        months = quarter_words(h["latest_quarter"])
        if h["latest_quarter"] == quarter_of(local_today()):  # not yet over: more may be logged
            text += f"; the latest, still under way, is {months}, with {activities} so far"
        else:
            text += f"; the latest was {months}, with {activities}"
    return text + "."


QUARTER_MONTHS = ("January to March", "April to June", "July to September", "October to December")


def quarter_words(quarter: str) -> str:
    """A calendar quarter as people say it: "2025 Q3" is "July to September 2025". In the
    NHS "Q3" first means the financial year's (October to December), so the code alone
    misleads."""
    year, n = quarter.split(" Q")
    return f"{QUARTER_MONTHS[int(n) - 1]} {year}"


def quarter_of(day) -> str:
    """A day's calendar quarter as measure_activity_by_quarter names it ("2026 Q4")."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def headline_place(h):
    if not h["figure"] and not h["total"]:
        return f"{NOTHING_LOGGED}."
    text = f"Co-production activity was logged in {h['figure']:,} {agree(h['figure'], 'place', 'places')}"
    if h["not_recorded"]:
        text += f"; for {n_of(h['not_recorded'], h['total'], 'activity', 'activities')} the place is not recorded"
    return text + "."


def headline_coverage(h):
    if not h["of_total"]:
        return NO_PROJECT
    return (
        f"{n_of(h['figure'], h['of_total'], 'project', 'projects')} {agree(h['figure'], 'has', 'have')} an equality impact "
        f"entry for every one of the {h['characteristics']:,} characteristics."
    )


def headline_loop_confirmed(h):
    if not h["figure"] and not h["of_total"]:
        return 'No "You said" item has closed the loop yet, so no partner has confirmed one.'
    return (
        f"{n_of(h['figure'], h['of_total'], ITEM, ITEMS)} that closed the loop "
        f"{agree(h['figure'], 'is', 'are')} confirmed by an "
        f"independent partner (a verdict of agrees or partly agrees)."
    )


def headline_disputed(h):
    if not h["of_total"]:
        return "No partner has given a verdict yet."
    return f"Partners disagree with {n_of(h['figure'], h['of_total'], 'claim', 'claims', the=True)} they have given a verdict on."


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
        missing={"average_days_to_response": "no response yet", "longest_days_to_response": "no response yet"},
        items="items",
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
        figure_note=unrecorded_figure_note,
        summary="summary_balance",
    ),
    Measure(
        "reimbursement",
        "measure_reimbursement",
        chart=charts.chart_reimbursement,
        headline=headline_reimbursement,
        figure_note=unrecorded_figure_note,
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
        missing={"missing": "nothing missing"},
        chart=charts.chart_gates,
        headline=headline_gates,
        summary="summary_gate_assurance",
    ),
    Measure(
        "loop_confirmed",
        "measure_loop_confirmed",
        headline=headline_loop_confirmed,
        percentages=("share_confirmed",),
    ),
    Measure(
        "disputed_claims",
        "disputed_claims",
        order_by="verdict_date desc, verdict_id desc",
        headline=headline_disputed,
        # A claim is an update or an activity: the other's columns are empty, not unrecorded.
        missing={"you_said_id": "not an update", "update_id": "not an update", "log_id": "not an activity"},
    ),
]
# Rows a measure page shows before pointing to the whole table, CSV and JSON: rendering
# each row costs about 0.1 ms of CPU, so 1,000 rows were over 100 ms of every fresh page.
MEASURE_ROW_LIMIT = 200


async def measure_rows(datasette, m: Measure, limit: int | None = None) -> list[dict]:
    sql = f"select * from [{m.view}]"
    if m.order_by:
        sql += f" order by {m.order_by}"
    if limit:
        sql += f" limit {int(limit)}"
    return await fetch_rows(datasette, sql)


async def summary_rows(datasette, m: Measure) -> list[dict]:
    """What the chart reads: the stored summary, or the (short) view itself."""
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


async def headline(datasette, m: Measure) -> dict | None:
    """A measure's row of the `headlines` view, with its words; None when it has none."""
    if m.headline is None:
        return None
    found = await fetch_rows(datasette, "select * from headlines where measure = :m", {"m": m.name})
    if not found:
        return None
    h = found[0]
    return {
        **h,
        "of": h["of_total"],
        "text": m.headline(h),
        "note": m.figure_note(h) if m.figure_note else "",
        "title": view_meta(datasette, m.view).get("title", m.view),
    }


async def headlines(datasette) -> dict[str, dict]:
    """Each measure's headline (home and /measures); one that passes the SQL time limit
    is left out, rather than the whole page failing."""
    out = {}
    for m in await all_measures(datasette):
        try:
            h = await headline(datasette, m)
        except QueryInterrupted:
            continue
        if h:
            out[m.name] = h
    return out
