"""The impact report's charts: how each measure is drawn, kept apart from the notebook
(notebooks/impact_report.py), which says what the figures are and what they mean.

Each function takes the measure's rows as the notebook has them, with codes already put
into words, and returns a captioned figure (reportkit.figure): a static SVG whose figures
are also in the table the notebook shows after it. Above MAX_GRID_ROWS projects or
MAX_POINTS activities a chart summarises instead of drawing one row per project or one dot
per activity, so a national-scale register still gives a readable report.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from register.publishing.reportkit import HTML, PALETTE, figure, level_colour, title, whole_numbers
from register.site.measures import MEASURES
from register.util import palette

MAX_GRID_ROWS = 40
MAX_POINTS = 1000
# Gate assurance: what a project shows at a gate, in the order of the legend.
GATE_STATES = [
    "Evidence published",
    "Current gate, evidence not yet published",
    "Passed without evidence",
    "Not reached yet",
]
# Equality impacts by meaning (green good, vermillion bad, greys for no judgement); a new
# code gets the next palette colour.
IMPACT_COLOURS = {
    "positive": palette.YES,
    "neutral": palette.CATEGORY[0],
    "negative": palette.NO,
    "not_known": palette.AMBER,
    "not_assessed": palette.UNKNOWN,
}
MISSING = "Missing"

# The report draws every row of a measure, however many (altair refuses over 5,000 by default).
alt.data_transformers.disable_max_rows()


def _project_label(rows: pd.DataFrame) -> pd.Series:
    """A project as a chart's row label: its identifier and the start of its title."""
    return rows["project_id"] + " " + rows["project_title"].str.slice(0, 60)


def page(view: str) -> str:
    """The site's page showing a view: its measure page (register/site/measures.py), or,
    for a view that is no measure, its table."""
    return next((f"/measures/{m.name}" for m in MEASURES if m.view == view), f"/register/{view}")


def _meaning(colours: dict[str, str]) -> alt.Scale:
    """The site's colour for each value the measure views write (yes, offered, balanced,
    not recorded, ...), so a colour means the same in the report as on the measure pages."""
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def _gate_state(row) -> str:
    if not row["reached"]:
        return GATE_STATES[3]
    if row["evidence_published"]:
        return GATE_STATES[0]
    return GATE_STATES[2] if row["passed"] else GATE_STATES[1]


def bars(rows: pd.DataFrame, heading: str, width: int, **encoding) -> alt.Chart:
    """Horizontal bars, the shape of most of the report's charts: `encoding` gives y, x,
    colour and any stacking order."""
    return alt.Chart(rows, title=heading).mark_bar().encode(**encoding).properties(width=width)


def depth_by_gate(depth: pd.DataFrame, gates: dict[str, str], gate_field: str, level_field: str, levels) -> HTML:
    chart = bars(
        depth[depth["activities"] > 0],
        "Activities by gate and participation level",
        480,
        y=alt.Y("gate_title:N", title=gate_field, sort=list(gates.values())),
        x=alt.X("activities:Q", title="Activities", axis=whole_numbers()),
        color=level_colour(levels, level_field),
        order=alt.Order("level_order:Q"),
    )
    return figure(
        chart,
        "Co-production activities at each gate, by participation level.",
        "Stacked bar chart of activities by gate and participation level; the figures are in the table below.",
        page("measure_depth_by_gate"),
    )


def activity_by_place(place: pd.DataFrame) -> HTML:
    chart = bars(
        place,
        "Activities by place",
        480,
        y=alt.Y("place_title:N", title=None, sort=None),
        x=alt.X("activities:Q", title="Activities", axis=whole_numbers()),
        color=alt.Color("organisation_title:N", title=title("projects", "organisation")),
    )
    return figure(
        chart,
        "Co-production activities by the place they covered, coloured by the organisation leading the project.",
        "Bar chart of activities by place and organisation; the figures are in the table below.",
        page("measure_activity_by_place"),
    )


def activity_by_quarter(quarters: pd.DataFrame, order: list[str], levels, level_field: str) -> HTML:
    chart = (
        alt.Chart(quarters, title="Activities per quarter")
        .mark_bar()
        .encode(
            x=alt.X("quarter:O", title="Quarter", sort=order, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(activities):Q", title="Activities", axis=whole_numbers()),
            color=level_colour(levels, level_field),
            order=alt.Order("level_order:Q"),
        )
    )
    return figure(
        chart,
        "Co-production activities per calendar quarter, by participation level.",
        "Stacked bar chart of activities per quarter; the figures for quarters with activity are in the table below.",
        page("measure_activity_by_quarter"),
    )


def balance(judged: pd.DataFrame) -> HTML:
    """Staff against people with lived experience, for the activities where both were counted."""
    lived, staff = title("coproduction_log", "lived_experience_count"), title("coproduction_log", "staff_count")
    heading = "People with lived experience and staff at each activity"
    if len(judged) <= MAX_POINTS:
        chart = (
            alt.Chart(judged, title=heading)
            .mark_point(filled=True, size=80)
            .encode(
                x=alt.X("lived_experience_count:Q", title=lived),
                y=alt.Y("staff_count:Q", title=staff),
                color=alt.Color("balance:N", title="Balance", scale=_meaning(palette.BALANCE)),
                shape=alt.Shape("balance:N", title="Balance"),
            )
        )
        caption = "Each dot is an activity; above the dashed line, staff outnumbered people with lived experience."
    else:  # too many activities for one dot each: count them in squares instead
        chart = (
            alt.Chart(judged, title=heading)
            .mark_rect()
            .encode(
                x=alt.X("lived_experience_count:Q", bin=alt.Bin(maxbins=30), title=lived),
                y=alt.Y("staff_count:Q", bin=alt.Bin(maxbins=30), title=staff),
                color=alt.Color("count():Q", title="Activities", scale=alt.Scale(scheme="blues")),
            )
        )
        caption = (
            "Each square counts the activities with those numbers of people; above the dashed line, staff "
            "outnumbered people with lived experience."
        )
    top = max(judged["lived_experience_count"].max(), judged["staff_count"].max())
    line = alt.Chart(pd.DataFrame({"x": [0, top]})).mark_line(strokeDash=[4, 4], color="#555").encode(x="x:Q", y="x:Q")
    return figure(
        chart + line,
        caption,
        "Chart of staff against people with lived experience per activity; the activities where staff "
        "outnumbered them are listed below.",
        page("measure_balance"),
    )


def reimbursement(rows: pd.DataFrame, field: str) -> HTML:
    order = ["offered", "not offered", "not recorded"]
    chart = bars(
        rows,
        field,
        420,
        y=alt.Y("reimbursement:N", title=None, sort=order),
        x=alt.X("activities:Q", title="Activities", axis=whole_numbers()),
        color=alt.Color("reimbursement:N", legend=None, sort=order, scale=_meaning(palette.REIMBURSEMENT)),
    )
    return figure(
        chart,
        "Activities at which reimbursement was offered to people with lived experience.",
        "Bar chart of activities by whether reimbursement was offered; the figures are in the table below.",
        page("measure_reimbursement"),
    )


def strategic_group(strategic: pd.DataFrame) -> HTML:
    chart = bars(
        strategic,
        title("projects", "via_strategic_group") + ", by organisation",
        420,
        y=alt.Y("organisation_title:N", title=None),
        x=alt.X("projects:Q", title="Projects", axis=whole_numbers()),
        color=alt.Color(
            "came_through_group:N",
            title="Came through the group",
            sort=list(palette.YES_NO),
            scale=_meaning(palette.YES_NO),
        ),
    )
    return figure(
        chart,
        "Projects by organisation and whether they came through the Strategic Co-production Group.",
        "Stacked bar chart of projects by organisation; the figures are in the table below.",
        page("measure_strategic_group"),
    )


def equality_coverage(coverage: pd.DataFrame, characteristics: dict[str, str], impacts: dict[str, str]) -> HTML:
    """The impact recorded for each project and characteristic (MISSING where there is none)."""
    coverage = coverage.assign(project_label=_project_label(coverage))
    impact_order = list(impacts.values()) + [MISSING]
    spare = iter(PALETTE)
    colours = [IMPACT_COLOURS.get(code) or next(spare) for code in impacts] + [palette.NOT_REACHED]
    colour = alt.Color(
        "impact_title:N",
        title=title("equality_impacts", "impact"),
        sort=impact_order,
        scale=alt.Scale(domain=impact_order, range=colours),
    )
    if coverage["project_id"].nunique() <= MAX_GRID_ROWS:
        chart = (
            alt.Chart(coverage, title="Equality impacts: projects and characteristics")
            .mark_rect(stroke="white")
            .encode(
                x=alt.X(
                    "characteristic_title:N",
                    title=title("equality_impacts", "characteristic"),
                    sort=list(characteristics.values()),
                    axis=alt.Axis(labelAngle=-45),
                ),
                y=alt.Y("project_label:N", title=None, sort=None),
                color=colour,
            )
            .properties(width=alt.Step(30), height=alt.Step(22))
        )
        caption = "The impact recorded for each project (rows) and characteristic (columns); pale grey is missing."
    else:  # too many projects for a row each: count them per characteristic
        chart = (
            alt.Chart(coverage, title="Equality impacts by characteristic")
            .mark_bar()
            .encode(
                y=alt.Y("characteristic_title:N", title=None, sort=list(characteristics.values())),
                x=alt.X("count():Q", title="Projects"),
                color=colour,
                order=alt.Order("impact_order:Q"),
            )
            .transform_calculate(impact_order=f"indexof({json.dumps(impact_order)}, datum.impact_title)")
            .properties(width=480)
        )
        caption = "For each characteristic, how many projects recorded each impact; pale grey is missing."
    return figure(
        chart,
        caption,
        "Chart of the impact recorded by project and characteristic; the counts per project are in the table below.",
        page("measure_equality_coverage"),
    )


def loop_status(yswd: pd.DataFrame, statuses: dict[str, str], colours: dict[str, str]) -> HTML:
    chart = bars(
        yswd,
        "Items by current status",
        420,
        y=alt.Y("status_title:N", title=title("you_said_we_did_updates", "status"), sort=list(statuses.values())),
        x=alt.X("items:Q", title="Items", axis=whole_numbers()),
        color=alt.Color(
            "status_title:N",
            legend=None,
            sort=list(statuses.values()),
            scale=alt.Scale(domain=list(colours), range=list(colours.values())),
        ),
    )
    return figure(
        chart,
        '"You said" items by their current status.',
        "Bar chart of items by current status; the figures are in the table below.",
        page("measure_you_said_we_did"),
    )


def days_to_response(responded: pd.DataFrame) -> HTML:
    chart = (
        alt.Chart(responded, title="Days from being said to a first response")
        .mark_bar()
        .encode(
            x=alt.X("days_to_response:Q", bin=alt.Bin(maxbins=20), title="Days to a first response"),
            y=alt.Y("count():Q", title="Items", axis=whole_numbers()),
        )
        .properties(width=480)
    )
    return figure(
        chart,
        "How long items waited for a first response.",
        "Histogram of the number of days from an item being said to its first response.",
        page("you_said_we_did_current"),
    )


def gate_assurance(gates: pd.DataFrame, gate_titles: dict[str, str], gate_field: str) -> HTML:
    """Each project's state at each gate: whether it has reached, passed and published the evidence for it."""
    gates = gates.assign(state=[_gate_state(r) for r in gates.to_dict("records")], project_label=_project_label(gates))
    colour = alt.Color(
        "state:N",
        title="Evidence",
        sort=GATE_STATES,
        scale=alt.Scale(domain=GATE_STATES, range=[palette.YES, palette.AMBER, palette.NO, palette.NOT_REACHED]),
    )
    if gates["project_id"].nunique() <= MAX_GRID_ROWS:
        chart = (
            alt.Chart(gates, title="Gate assurance by project")
            .mark_rect(stroke="white")
            .encode(
                x=alt.X(
                    "gate_title:N", title=gate_field, sort=list(gate_titles.values()), axis=alt.Axis(labelAngle=-30)
                ),
                y=alt.Y("project_label:N", title=None, sort=None),
                color=colour,
            )
            .properties(width=alt.Step(70))
        )
        caption = "For each project (rows) and gate (columns), whether the evidence is published."
    else:  # too many projects for a row each: count them per gate
        chart = (
            alt.Chart(gates, title="Gate assurance by gate")
            .mark_bar()
            .encode(
                y=alt.Y("gate_title:N", title=None, sort=list(gate_titles.values())),
                x=alt.X("count():Q", title="Projects"),
                color=colour,
            )
            .properties(width=480)
        )
        caption = "For each gate, how many projects have published the evidence, and how many passed it without."
    return figure(
        chart,
        caption,
        "Chart of projects by gate, coloured by whether the evidence is published; the gaps are listed in the table below.",
        page("gate_assurance"),
    )
