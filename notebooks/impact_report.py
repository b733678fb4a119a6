# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: title
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   title: Co-production impact report
# ---

# %% [markdown]
# # Co-production impact report
#
# The publisher of this register (named below, from its data package) promised, in its
# co-production strategy, to measure the impact of co-production "using data and
# dashboards", with regular reporting of where co-production happens, what changes it
# drives and the outcomes achieved. This report does that from the Co-production
# Register: the public record of co-production activities, equality impacts and
# "You said, we did" updates.
#
# Every figure here comes from the same definitions the register's website uses for its
# measure pages, so the two always agree.

# %% tags=["parameters"]
# Reporting period: dates written YYYY-MM-DD, both inclusive. None means no limit, so
# the default is every record in the register.
period_start = None
period_end = None
# The built register (None: build/register.db in this repository).
db_path = None
# Where to write the headline figures as JSON (None: do not write them).
output_dir = None

# %% tags=["remove-input"]
import datetime
import json
import os
from pathlib import Path

import pandas as pd

from register.publishing import report_charts as charts
from register.publishing import reportkit as rk
from register.publishing.reportkit import bullets, labels, percent, plural, say, table, title, uk_date
from register.util import palette

DB = Path(db_path) if db_path else rk.ROOT / "build" / "register.db"
# The period's records answer the activity, equality and "You said" measures; the whole
# register answers gate assurance and the project-level measures (the state today).
conn, period = rk.open_register(DB, period_start, period_end)
whole, _ = rk.open_register(DB)
say(f"Published by {rk.PACKAGE.descriptor['publisher']}.")

GATES = labels(whole, "gates")
LEVELS = labels(whole, "participation_levels")
CHARACTERISTICS = labels(whole, "characteristics")
IMPACTS = labels(whole, "impacts")
STATUSES = labels(whole, "statuses")
STATUS_COLOURS = rk.status_colours(whole)  # closing statuses in greens (the codelist says which)
PLACES = labels(whole, "places")
ORGANISATIONS = labels(whole, "organisations")
THEMES = labels(whole, "themes")
NOT_RECORDED = "Not recorded"
SCOPE = "in this period" if (period["start"] or period["end"]) else "in the register"

figures = {"period": {"start": period["start"], "end": period["end"]}}

# %% tags=["remove-input"]
dates = rk.query(conn, "SELECT MIN(activity_date) AS first, MAX(activity_date) AS last FROM coproduction_log").iloc[0]
build = dict(whole.execute("SELECT key, value FROM register_build").fetchall())
if period["start"] and period["end"]:
    text = f"Reporting period: {uk_date(period['start'])} to {uk_date(period['end'])}."
elif period["start"]:
    text = f"Reporting period: from {uk_date(period['start'])} onwards."
elif period["end"]:
    text = f"Reporting period: up to {uk_date(period['end'])}."
else:
    text = "Reporting period: every record in the register."
    if dates["first"]:
        text += f" Activities run from {uk_date(dates['first'])} to {uk_date(dates['last'])}."
# Only the register's own resources are named; link tables derived from them follow them.
left_out = {t: n for t, n in period["left_out"].items() if n and t in rk.PACKAGE.names}
if left_out:
    text += (
        "\n\nRecords dated outside the period are left out: "
        + "; ".join(f"{plural(n, 'row')} of {rk.resource_title(t)}" for t, n in left_out.items())
        + "."
    )
for t, n in period["undated_kept"].items():
    text += (
        f"\n\n{plural(n, 'row')} of {rk.resource_title(t)} have no date, so cannot be placed in a period;"
        " they are counted."
    )
text += (
    f"\n\nRegister version {build.get('version') or 'not stated'}, built from inputs with SHA-256 "
    f"{build.get('inputs_sha256', '')[:12]}. Report produced on {uk_date(datetime.date.today())}."
)
say(text)

# %% [markdown]
# ## At a glance

# %% tags=["remove-input"]
depth = rk.query(conn, "SELECT * FROM measure_depth_by_gate")
activities = int(depth["activities"].sum())
by_gate = depth.groupby("gate", sort=False)["activities"].sum()
by_level = depth.groupby("participation_level", sort=False)["activities"].sum()
balance = rk.query(conn, "SELECT * FROM measure_balance")
reimbursement = rk.query(conn, "SELECT * FROM measure_reimbursement")
strategic = rk.query(whole, "SELECT * FROM measure_strategic_group")
eia = rk.query(conn, "SELECT * FROM measure_eia_coproduced")
yswd = rk.query(conn, "SELECT * FROM measure_you_said_we_did")
current = rk.query(conn, "SELECT * FROM you_said_we_did_current")
gates = rk.query(
    whole,
    """
    SELECT g.*, p.title AS project_title
    FROM gate_assurance g JOIN projects p ON p.id = g.project_id
    ORDER BY g.project_id, g.gate_order""",
)
gates["gate_title"] = gates["gate"].map(GATES)
gaps = gates[(gates["passed"] == 1) & (gates["evidence_published"] == 0)]

# The headline figures are the rows of the `headlines` view, as on the site's home page.
_group, _yswd = rk.headline(whole, "strategic_group"), rk.headline(conn, "you_said_we_did")
_balance, _eia = rk.headline(conn, "balance"), rk.headline(conn, "eia_coproduced")
projects_total, projects_via_group = _group["of_total"], _group["figure"]
items, loop_closed, overdue = _yswd["of_total"], _yswd["figure"], _yswd["overdue"]
judged = _balance["of_total"] if _balance["total"] > _balance["not_recorded"] else 0
outnumbered_count = _balance["figure"] if judged else 0
outnumbered = balance[balance["balance"] == palette.STAFF_OUTNUMBERED]  # the activities, listed below
balance_counts = balance.groupby("balance")["activity_id"].count()
offered = rk.headline(conn, "reimbursement")["figure"]
eia_coproduced, eia_total = _eia["figure"], _eia["of_total"]

bullets(
    [
        (
            f"{plural(activities, 'co-production activity', 'co-production activities')} logged, "
            f"{by_level.get('co_production', 0):,} of them at the level of co-production itself."
        )
        if activities
        else f"No co-production activity is logged {SCOPE}.",
        f"{projects_via_group:,} of {plural(projects_total, 'project')} came through the Strategic Co-production Group.",
        f"{eia_coproduced:,} of {plural(eia_total, 'equality impact assessment')} say the transformation was co-produced."
        if eia_total
        else f"No equality impact assessment is recorded {SCOPE}.",
        (
            f"{loop_closed:,} of {plural(items, 'thing')} people said have had the loop closed ({percent(loop_closed, items)}); "
            f"{overdue:,} {'is' if overdue == 1 else 'are'} overdue."
        )
        if items
        else f"Nothing people said is recorded {SCOPE}.",
        (
            f"Staff outnumbered people with lived experience at {outnumbered_count:,} of the "
            f"{plural(judged, 'activity', 'activities')} where both were counted."
            if judged
            else "Whether staff outnumbered people with lived experience cannot be checked yet: the counts are not recorded."
        )
        if activities
        else "",
        f"Reimbursement was offered at {offered:,} of {plural(activities, 'activity', 'activities')}."
        if activities
        else "",
        f"{plural(len(gaps), 'gate')} passed without the evidence the strategy asks for.",
    ]
)

# %% [markdown]
# ## Where co-production happens
#
# The strategy's commissioning cycle has four gates: Assess, Plan, Procure, and Monitor
# and Evaluate. At each gate, people with lived experience should be involved before the
# project moves on. The participation flower describes how much power they had, from
# *inform* (being told) to *co-production* (an equal partnership). Only the last is
# co-production; the register records honestly what each activity was.

# %% [markdown]
# ### By gate and participation level

# %% tags=["remove-input"]
depth_view = depth.assign(
    gate_title=depth["gate"].map(GATES),
    level_title=depth["participation_level"].map(LEVELS),
)
gate_field, level_field = title("coproduction_log", "gate"), title("coproduction_log", "participation_level")
busiest = by_gate.idxmax() if activities else None
say(
    (
        f"{plural(activities, 'activity', 'activities')} {SCOPE}. "
        + (f"Most were at the {GATES[busiest]} gate ({by_gate[busiest]:,}). " if busiest else "")
        + "; ".join(f"{LEVELS[c]}: {n:,}" for c, n in by_level.items())
        + "."
    )
    if activities
    else f"No co-production activity is logged {SCOPE}."
)

# %% tags=["remove-input"]
if activities:
    display(charts.depth_by_gate(depth_view, GATES, gate_field, level_field, LEVELS))
    pivot = depth_view.pivot_table(
        index="gate_title", columns="level_title", values="activities", aggfunc="sum", sort=False
    )
    pivot = pivot.reindex(index=list(GATES.values()), columns=list(LEVELS.values())).fillna(0).astype(int)
    pivot["Total"] = pivot.sum(axis=1)
    pivot = pivot.reset_index().rename(columns={"gate_title": gate_field})
    display(
        table(
            pivot,
            "Activities by gate (rows) and participation level (columns)",
            numeric=tuple(c for c in pivot.columns if c != gate_field),
        )
    )

# %% [markdown]
# ### By organisation and place

# %% tags=["remove-input"]
place = rk.query(conn, "SELECT * FROM measure_activity_by_place")
place["organisation_title"] = place["organisation"].map(ORGANISATIONS)
place["place_title"] = place["place"].map(PLACES).fillna(NOT_RECORDED)
by_org = place.groupby("organisation_title", sort=False)["activities"].sum()
unplaced = int(place.loc[place["place"].isna(), "activities"].sum())
say(
    "; ".join(f"{o}: {plural(n, 'activity', 'activities')}" for o, n in by_org.items())
    + "."
    + (
        f" {plural(unplaced, 'activity', 'activities')} {'has' if unplaced == 1 else 'have'} no place recorded."
        if unplaced
        else ""
    )
    if len(place)
    else f"No co-production activity is logged {SCOPE}."
)
if len(place):
    display(charts.activity_by_place(place))
    display(
        table(
            place,
            "Activities by organisation and place",
            {
                "organisation_title": title("projects", "organisation"),
                "place_title": title("coproduction_log", "place"),
                "activities": "Activities",
                "coproduction_activities": f"At the level of {LEVELS['co_production']}",
                "lived_experience_people": title("coproduction_log", "lived_experience_count"),
                "staff_people": title("coproduction_log", "staff_count"),
            },
            numeric=("activities", "coproduction_activities", "lived_experience_people", "staff_people"),
        )
    )

# %% [markdown]
# ### Over time, by quarter
#
# Quarters are calendar quarters; the table also gives the NHS financial-year quarter
# (April to March). Every quarter between the first and the last activity is shown, so
# quiet quarters appear as gaps rather than disappearing.

# %% tags=["remove-input"]
quarters = rk.query(conn, "SELECT * FROM measure_activity_by_quarter")
if len(quarters):
    quarters["level_title"] = quarters["participation_level"].map(LEVELS)
    per_quarter = (
        quarters.groupby(["quarter_start", "quarter", "financial_quarter"], sort=True)
        .agg(
            activities=("activities", "sum"),
            lived_experience_people=("lived_experience_people", lambda s: s.sum(min_count=1)),
            staff_people=("staff_people", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    active = per_quarter[per_quarter["activities"] > 0]
    say(
        f"Activity was logged in {plural(len(active), 'quarter')} of the {len(per_quarter):,} from "
        f"{per_quarter['quarter'].iloc[0]} to {per_quarter['quarter'].iloc[-1]}. The busiest was "
        f"{per_quarter.loc[per_quarter['activities'].idxmax(), 'quarter']}."
    )
    display(charts.activity_by_quarter(quarters, list(per_quarter["quarter"]), LEVELS, level_field))
    display(
        table(
            active,
            "Quarters with co-production activity",
            {
                "quarter": "Quarter",
                "financial_quarter": "Financial-year quarter",
                "activities": "Activities",
                "lived_experience_people": title("coproduction_log", "lived_experience_count"),
                "staff_people": title("coproduction_log", "staff_count"),
            },
            numeric=("activities", "lived_experience_people", "staff_people"),
        )
    )
else:
    per_quarter = pd.DataFrame(columns=["quarter", "activities"])
    say(f"No co-production activity is logged {SCOPE}.")

# %% [markdown]
# ## Balance: people with lived experience and staff
#
# The case study's balance rule is that professionals must not outnumber people with lived
# experience. An activity can only be judged when both counts were recorded.

# %% tags=["remove-input"]
say(
    (
        f"Both counts were recorded for {judged:,} of {plural(len(balance), 'activity', 'activities')}. "
        + (
            f"Staff outnumbered people with lived experience at {plural(outnumbered_count, 'of them', 'of them')}."
            if judged
            else "So the balance rule cannot yet be checked: the log needs the number of people with "
            "lived experience and of staff at each activity."
        )
    )
    if len(balance)
    else f"No co-production activity is logged {SCOPE}."
)
if judged:
    b = balance.dropna(subset=["lived_experience_count", "staff_count"]).copy()
    display(charts.balance(b))
if len(balance):
    display(
        table(
            balance_counts.reset_index().rename(columns={"activity_id": "activities"}),
            "Activities by balance",
            {"balance": "Balance", "activities": "Activities"},
            numeric=("activities",),
        )
    )
if len(outnumbered):
    display(
        table(
            outnumbered.assign(gate_title=outnumbered["gate"].map(GATES)),
            "Activities where staff outnumbered people with lived experience",
            {
                "activity_id": title("coproduction_log", "id"),
                "activity_date": title("coproduction_log", "activity_date"),
                "title": title("coproduction_log", "title"),
                "gate_title": gate_field,
                "lived_experience_count": title("coproduction_log", "lived_experience_count"),
                "staff_count": title("coproduction_log", "staff_count"),
            },
            numeric=("lived_experience_count", "staff_count"),
            more="the register's measure_balance table lists them all",
        )
    )

# %% [markdown]
# ## Reimbursement offered
#
# The strategy commits to consistent, fair reimbursement for people with lived experience,
# so that taking part does not cost them.

# %% tags=["remove-input"]
field = title("coproduction_log", "reimbursement_offered")
not_recorded = int(reimbursement.loc[reimbursement["reimbursement"] == "not recorded", "activities"].sum())
say(
    f"{field}: {offered:,} of {plural(activities, 'activity', 'activities')}."
    + (f" For {not_recorded:,} the records do not say." if not_recorded else "")
    if activities
    else f"No co-production activity is logged {SCOPE}."
)
if activities:
    display(charts.reimbursement(reimbursement, field))
    display(table(reimbursement, field, {"reimbursement": field, "activities": "Activities"}, numeric=("activities",)))

# %% [markdown]
# ## Service developments through the Strategic Co-production Group
#
# An outcome measure named in the case study: how many service developments came through
# the Strategic Co-production Group. This describes the projects as they stand today,
# whatever the reporting period.

# %% tags=["remove-input"]
strategic["organisation_title"] = strategic["organisation"].map(ORGANISATIONS)
unknown = int(strategic.loc[strategic["came_through_group"] == "not recorded", "projects"].sum())
say(
    f"{projects_via_group:,} of {plural(projects_total, 'project')} came through the group."
    + (f" For {unknown:,} the documents do not say." if unknown else "")
)
display(charts.strategic_group(strategic))
display(
    table(
        strategic,
        "Projects through the Strategic Co-production Group",
        {
            "organisation_title": title("projects", "organisation"),
            "came_through_group": "Came through the group",
            "projects": "Projects",
        },
        numeric=("projects",),
    )
)

# %% [markdown]
# ## Equality impacts
#
# At the Plan gate the strategy asks for published equality impacts. Each project should
# assess its impact on people with each of the nine protected characteristics of the
# Equality Act 2010, and on carers, people living with socio-economic deprivation and
# inclusion-health groups. A negative impact needs a mitigation.

# %% tags=["remove-input"]
project_titles = rk.query(whole, "SELECT id AS project_id, title AS project_title FROM projects")
coverage = rk.query(conn, "SELECT * FROM measure_equality_coverage").merge(project_titles, on="project_id")
coverage["characteristic_title"] = coverage["characteristic"].map(CHARACTERISTICS)
coverage["impact_title"] = coverage["impact"].map(IMPACTS).fillna(charts.MISSING)
coverage_counts = coverage.groupby("coverage")["project_id"].count()
assessed_projects = coverage[coverage["coverage"] != "missing"]["project_id"].nunique()
negative = int(eia["negative_impacts"].fillna(0).sum())
mitigated = int(eia["negative_with_mitigation"].fillna(0).sum())
say(
    f"{assessed_projects:,} of {plural(coverage['project_id'].nunique(), 'project')} have an equality impact assessment "
    f"in the register. Of the {plural(len(coverage), 'pair')} of project and characteristic, "
    f"{coverage_counts.get('assessed', 0):,} are assessed, {coverage_counts.get('not assessed', 0):,} are recorded "
    f"as not assessed (with a reason) and {coverage_counts.get('missing', 0):,} are missing.\n\n"
    f"{plural(negative, 'negative impact')} {'was' if negative == 1 else 'were'} found; "
    f"{mitigated:,} {'has' if mitigated == 1 else 'have'} a mitigation and {negative - mitigated:,} "
    f"{'does' if negative - mitigated == 1 else 'do'} not.\n\n"
    f"{eia_coproduced:,} of {plural(eia_total, 'assessment')} say the transformation was co-produced "
    "(an outcome measure named in the case study)."
)
display(charts.equality_coverage(coverage, CHARACTERISTICS, IMPACTS))
eia_table = eia.merge(project_titles, on="project_id")
display(
    table(
        eia_table,
        "Equality impact assessments by project",
        {
            "project_id": title("projects", "id"),
            "project_title": title("projects", "title"),
            "coproduced": title("equality_impacts", "coproduced"),
            "characteristics_assessed": "Characteristics covered",
            "negative_impacts": "Negative impacts",
            "negative_with_mitigation": "Negative impacts with a mitigation",
            "not_assessed": "Not assessed",
        },
        numeric=("characteristics_assessed", "negative_impacts", "negative_with_mitigation", "not_assessed"),
        more="the register's measure_eia_coproduced table lists them all",
    )
)
unmitigated = coverage[coverage["negative_without_mitigation"] == 1]
if len(unmitigated):
    display(
        table(
            unmitigated,
            "Negative impacts without a mitigation",
            {
                "project_id": title("projects", "id"),
                "project_title": title("projects", "title"),
                "characteristic_title": title("equality_impacts", "characteristic"),
            },
        )
    )

# %% [markdown]
# ## "You said, we did": closing the loop
#
# People at the 2024 listening events said the thing that goes wrong most is closing the
# loop: nobody hears what happened to what they said. An item's loop is closed when its
# status is one the register's list of statuses marks as closing the loop (what was done
# is published, or why nothing will be). Items are counted
# here when they were said in the period; their status is as it stands today.

# %% tags=["remove-input"]
yswd["status_title"] = yswd["status"].map(STATUSES)
yswd[["loop_closed", "overdue"]] = yswd[["loop_closed", "overdue"]].fillna(0)
average = current["days_to_response"].mean() if len(current) else None
responded = int(current["days_to_response"].notna().sum())
say(
    (
        f"{plural(items, 'thing')} people said {'is' if items == 1 else 'are'} recorded. "
        f"{loop_closed:,} {'has' if loop_closed == 1 else 'have'} had the loop closed: a loop-closure rate of "
        f"{percent(loop_closed, items)}. {overdue:,} {'is' if overdue == 1 else 'are'} overdue (still open or "
        "under way after the date a response was due, worked out on the day this report was produced; a due "
        "date is the one staff set, or else the register's response rule gives it).\n\n"
        + (
            f"{responded:,} have had a response (any status after open); on average the first response came "
            f"{average:.0f} days after it was said, the longest {int(current['days_to_response'].max()):,} days."
            if responded
            else "None has had a response yet."
        )
    )
    if items
    else f"Nothing people said is recorded {SCOPE}."
)
if items:
    display(charts.loop_status(yswd, STATUSES, STATUS_COLOURS))
    display(
        table(
            yswd,
            '"You said, we did" by status',
            {
                "status_title": title("you_said_we_did_updates", "status"),
                "items": "Items",
                "loop_closed": "Loop closed",
                "overdue": "Overdue",
                "average_days_to_response": "Average days to a first response",
                "longest_days_to_response": "Longest days to a first response",
            },
            numeric=("items", "loop_closed", "overdue", "average_days_to_response", "longest_days_to_response"),
            missing="none",
        )
    )
if responded:
    display(charts.days_to_response(current.dropna(subset=["days_to_response"])))
late = current[current["overdue"] == 1].copy()
if len(late):
    late["status_title"] = late["status"].map(STATUSES)
    late["theme_title"] = late["theme"].map(THEMES)
    display(
        table(
            late,
            "Overdue items",
            {
                "id": title("you_said_we_did", "id"),
                "said_date": title("you_said_we_did", "said_date"),
                "theme_title": title("you_said_we_did", "theme"),
                "you_said": title("you_said_we_did", "you_said"),
                "due_date": "Response due",
                "due_date_basis": "Due date is",
                "status_title": title("you_said_we_did_updates", "status"),
            },
            more="the register's you_said_we_did_current table, filtered on overdue, lists them all",
        )
    )

# %% [markdown]
# ## What independent partners say
#
# The ICB does not mark its own homework: Healthwatch, voluntary-sector organisations and
# lived-experience groups can record their verdict on what the register says was done
# (agrees, partly agrees, disagrees, cannot tell), in their own words. A closed item is
# confirmed when a partner agrees, or partly agrees, with the update that closed it.

# %% tags=["remove-input"]
_confirmed = rk.headline(conn, "loop_confirmed")
confirmed, closed_items = _confirmed["figure"], _confirmed["of_total"]
disputed = rk.query(
    conn,
    """
    SELECT * FROM disputed_claims
    WHERE update_id IS NULL OR update_id IN (SELECT id FROM you_said_we_did_updates)""",
)
verdicts_given = int(rk.query(conn, "SELECT COUNT(*) AS n FROM partner_verdicts")["n"].iloc[0])
if not verdicts_given:
    say(f"No partner has given a verdict yet {SCOPE}.")
else:
    say(
        f"{plural(verdicts_given, 'verdict')} given by independent partners. "
        + (
            f"{confirmed:,} of the {plural(closed_items, 'item')} whose loop is closed "
            f"{'is' if confirmed == 1 else 'are'} confirmed by a partner ({percent(confirmed, closed_items)})."
            if closed_items
            else "No item has closed the loop yet, so none can be confirmed."
        )
        + (
            f" Partners disagree with {plural(len(disputed), 'claim')}: listed below."
            if len(disputed)
            else " No partner disagrees with any claim."
        )
    )
if len(disputed):
    display(
        table(
            disputed,
            "Disputed claims",
            {
                "verdict_date": title("partner_verdicts", "verdict_date"),
                "partner_title": title("partner_verdicts", "partner"),
                "you_said_id": title("you_said_we_did", "id"),
                "log_id": title("partner_verdicts", "log_id"),
                "claim": "What the register says was done",
                "in_their_words": title("partner_verdicts", "in_their_words"),
            },
            more="the register's disputed_claims measure lists them all",
        )
    )

# %% [markdown]
# ## Gate assurance
#
# At every gate the strategy asks for evidence of co-production before a project moves on:
# activity at Assess; a published co-production log and equality impacts at Plan; people
# with lived experience on procurement, with reimbursement, at Procure; and published
# "You said, we did" updates at Monitor and Evaluate. This section lists projects that
# have passed a gate without that evidence in the register. It describes the projects as
# they stand today, whatever the reporting period.

# %% tags=["remove-input"]
passed = gates[gates["passed"] == 1]
say(
    f"{plural(passed['project_id'].nunique(), 'project')} {'has' if passed['project_id'].nunique() == 1 else 'have'} "
    f"passed at least one gate. Of the {plural(len(passed), 'gate')} passed, {plural(len(gaps), 'gate')} "
    f"{'lacks' if len(gaps) == 1 else 'lack'} the evidence the strategy asks for."
)
display(charts.gate_assurance(gates, GATES, gate_field))
display(
    table(
        gaps,
        "Gates passed without the evidence the strategy asks for",
        {
            "project_id": title("projects", "id"),
            "project_title": title("projects", "title"),
            "gate_title": gate_field,
            "evidence": "Evidence in the register",
            "missing": "What is missing",
        },
        more="the register's gate_assurance table lists them all",
    )
)

# %% [markdown]
# ## About this report
#
# - **Source**: the Co-production Register (`build/register.db`), built from the CSV files
#   in `datasets/` after they passed validation. Data: Open Government Licence v3.0.
# - **Measures**: every measure is an SQL view in `src/register/database/views.sql`, the same
#   definitions the register's website shows on its measure pages.
# - **Reporting period**: activities count by their date, equality impacts by the date
#   they were assessed (rows with no date are counted), and "You said" items by the date
#   they were said, with their status as it stands today. Projects, the Strategic
#   Co-production Group measure and gate assurance describe the register today.
# - **Reproduce it**: `make report` (all records) or
#   `make report PERIOD_START=2025-04-01 PERIOD_END=2025-06-30` (one quarter).

# %% tags=["remove-input"]
figures.update(
    {
        "activities": activities,
        "activities_by_gate": {k: int(v) for k, v in by_gate.items()},
        "activities_by_level": {k: int(v) for k, v in by_level.items()},
        "activities_by_quarter": {r["quarter"]: int(r["activities"]) for _, r in per_quarter.iterrows()},
        "activities_by_organisation": {k: int(v) for k, v in place.groupby("organisation")["activities"].sum().items()},
        "activities_by_place": {
            (k if isinstance(k, str) else None) or "not_recorded": int(v)
            for k, v in place.groupby(place["place"].fillna("not_recorded"))["activities"].sum().items()
        },
        "balance": {k: int(v) for k, v in balance_counts.items()},
        "staff_outnumbered_activities": sorted(outnumbered["activity_id"]),
        "reimbursement": {r["reimbursement"]: int(r["activities"]) for _, r in reimbursement.iterrows()},
        "projects": projects_total,
        "projects_via_strategic_group": projects_via_group,
        "eia_projects": eia_total,
        "eia_coproduced_projects": eia_coproduced,
        "equality_coverage": {k: int(v) for k, v in coverage_counts.items()},
        "negative_impacts": negative,
        "negative_with_mitigation": mitigated,
        "negative_without_mitigation": int(len(unmitigated)),
        "you_said_items": items,
        "you_said_by_status": {r["status"]: int(r["items"]) for _, r in yswd.iterrows()},
        "loop_closed": loop_closed,
        "loop_closure_rate": round(loop_closed / items, 4) if items else None,
        "overdue": overdue,
        "overdue_items": sorted(late["id"]) if len(late) else [],
        "average_days_to_response": round(float(average), 1) if responded else None,
        "partner_verdicts": verdicts_given,
        "loop_confirmed": confirmed,
        "loop_confirmed_share": round(confirmed / closed_items, 4) if closed_items else None,
        "disputed_claims": sorted(disputed["verdict_id"]) if len(disputed) else [],
        "gate_gaps": [[r["project_id"], r["gate"]] for _, r in gaps.iterrows()],
    }
)
if output_dir:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".impact_report_figures.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / "impact_report_figures.json")
