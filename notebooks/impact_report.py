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

# %% tags=["parameters"]
# Reporting period: dates written YYYY-MM-DD, both inclusive. None means no limit, so
# the default is every record in the register.
period_start = None
period_end = None
# The built register (None: build/register.db of the package).
db_path = None
# Where to write the headline figures as JSON (None: do not write them).
output_dir = None
# The publisher's package the register was built from (None: this repository).
package_root = None

# %% tags=["remove-input"]
import datetime
import json
import os
from pathlib import Path

from register.publishing import report_charts as charts
from register.publishing import report_tables as tables
from register.publishing import reportkit as rk
from register.publishing.report_data import ReportData
from register.publishing.reportkit import bullets, percent, plural, say, title, uk_date
from register.util.words import agree

if package_root:
    rk.use_package(package_root)
DB = Path(db_path) if db_path else rk.ROOT / "build" / "register.db"
# The period's records answer the activity, equality and "You said" measures; the whole
# register answers gate assurance and the project-level measures (the state today).
conn, period = rk.open_register(DB, period_start, period_end)
whole, _ = rk.open_register(DB)
d = ReportData(conn, whole, period)
say(d.introduction())
say(f"Published by {rk.PACKAGE.descriptor['publisher']}.")
SCOPE = d.scope
GATES, LEVELS = d.gates, d.levels
NO_PROJECT = "No project is recorded in the register."

# %% tags=["remove-input"]
made = datetime.date.today()  # in England: rk.open_register set TZ=Europe/London unless TZ names a zone
text = d.period_sentence(made)
if d.left_out:
    text += (
        "\n\nRecords dated outside the period are left out: "
        + "; ".join(f"{plural(n, 'row')} of {rk.resource_title(t)}" for t, n in d.left_out.items())
        + "."
    )
for t, n in period["undated_kept"].items():
    text += (
        f"\n\n{plural(n, 'row')} of {rk.resource_title(t)} {agree(n, 'has', 'have')} no date, so cannot be placed in a period;"
        " they are counted."
    )
text += (
    f"\n\nRegister version {d.build.get('version') or 'not stated'}, built from inputs with SHA-256 "
    f"{d.build.get('inputs_sha256', '')[:12]}. Report produced on {uk_date(made)}."
)
say(text)

# %% [markdown]
# ## At a glance

# %% tags=["remove-input"]
bullets(
    [
        (
            f"{plural(d.activities, 'co-production activity', 'co-production activities')} logged, "
            f"{d.by_level.get('co_production', 0):,} of them at the level of co-production itself."
        )
        if d.activities
        else f"No co-production activity is logged {SCOPE}.",
        d.strategic_group_sentence(),
        f"{d.eia_coproduced:,} of {plural(d.eia_total, 'equality impact assessment')} {agree(d.eia_coproduced, 'says', 'say')} "
        "the transformation was co-produced."
        if d.eia_total
        else f"No equality impact assessment is recorded {SCOPE}.",
        (
            f"{d.loop_closed:,} of {plural(d.items, 'thing')} people said {agree(d.loop_closed, 'has', 'have')} had the loop closed "
            f"({percent(d.loop_closed, d.items)}); {d.overdue:,} {agree(d.overdue, 'is', 'are')} overdue."
        )
        if d.items
        else f"Nothing people said is recorded {SCOPE}.",
        (
            f"Staff outnumbered people with lived experience at {d.outnumbered_count:,} of the "
            f"{plural(d.judged, 'activity', 'activities')} where both were counted."
            if d.judged
            else "Whether staff outnumbered people with lived experience cannot be checked yet: the counts are not recorded."
        )
        if d.activities
        else "",
        d.reimbursement_sentence() if d.activities else "",
        f"{plural(len(d.gaps), 'gate')} passed without the evidence the strategy asks for." if d.projects_total else "",
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
gate_field, level_field = title("coproduction_log", "gate"), title("coproduction_log", "participation_level")
say(
    (
        f"{plural(d.activities, 'activity', 'activities')} {SCOPE}. "
        + (
            f"It was at the {GATES[d.busiest]} gate. "
            if d.busiest and d.activities == 1
            else f"{rk.most_or_all(d.by_gate[d.busiest], d.activities)} were at the {GATES[d.busiest]} gate "
            f"({d.by_gate[d.busiest]:,}). "
            if d.busiest
            else ""
        )
        + "; ".join(f"{LEVELS[c]}: {n:,}" for c, n in d.by_level.items())
        + "."
    )
    if d.activities
    else f"No co-production activity is logged {SCOPE}."
)

# %% tags=["remove-input"]
if d.activities:
    display(charts.depth_by_gate(d.depth, GATES, gate_field, level_field, LEVELS))
    display(tables.depth_by_gate(d))

# %% [markdown]
# ### By organisation and place

# %% tags=["remove-input"]
say(
    "; ".join(f"{o}: {plural(n, 'activity', 'activities')}" for o, n in d.by_organisation.items())
    + "."
    + (
        f" {plural(d.unplaced, 'activity', 'activities')} {agree(d.unplaced, 'has', 'have')} no place recorded."
        if d.unplaced
        else ""
    )
    if len(d.place)
    else f"No co-production activity is logged {SCOPE}."
)
if len(d.place):
    display(charts.activity_by_place(d.place))
    display(tables.activity_by_place(d))

# %% [markdown]
# ### Over time, by quarter
#
# Quarters are calendar quarters; the table also gives the NHS financial-year quarter
# (April to March). Every quarter between the first and the last activity is shown, so
# quiet quarters appear as gaps rather than disappearing.

# %% tags=["remove-input"]
if len(d.quarters):
    per_quarter = d.per_quarter
    say(
        f"Activity was logged in one quarter, {per_quarter['quarter'].iloc[0]}: every activity {d.scope} is in it."
        if len(per_quarter) == 1
        else f"Activity was logged in {plural(len(d.active_quarters), 'quarter')} of the {len(per_quarter):,} from "
        f"{per_quarter['quarter'].iloc[0]} to {per_quarter['quarter'].iloc[-1]} (the quarters of the first and the "
        f"last activity {d.scope}). The busiest was "
        f"{per_quarter.loc[per_quarter['activities'].idxmax(), 'quarter']}."
    )
    display(charts.activity_by_quarter(d.quarters, list(per_quarter["quarter"]), LEVELS, level_field))
    display(tables.activity_by_quarter(d))
else:
    say(f"No co-production activity is logged {SCOPE}.")

# %% [markdown]
# ## Balance: people with lived experience and staff
#
# The case study's balance rule is that professionals must not outnumber people with lived
# experience. An activity can only be judged when both counts were recorded.

# %% tags=["remove-input"]
say(
    (
        f"Both counts were recorded for {d.judged:,} of {plural(len(d.balance), 'activity', 'activities')}. "
        + (
            f"Staff outnumbered people with lived experience at {plural(d.outnumbered_count, 'of them', 'of them')}."
            if d.judged
            else "So the balance rule cannot yet be checked: the log needs the number of people with "
            "lived experience and of staff at each activity."
        )
    )
    if len(d.balance)
    else f"No co-production activity is logged {SCOPE}."
)
if d.judged:
    display(charts.balance(d.both_counted))
if len(d.balance):
    display(tables.balance(d))
if len(d.outnumbered):
    display(tables.outnumbered(d))

# %% [markdown]
# ## Reimbursement offered
#
# The strategy commits to consistent, fair reimbursement for people with lived experience,
# so that taking part does not cost them.

# %% tags=["remove-input"]
field = title("coproduction_log", "reimbursement_offered")
say(d.reimbursement_sentence() if d.activities else f"No co-production activity is logged {SCOPE}.")
if d.activities:
    display(charts.reimbursement(d.reimbursement, field))
    display(tables.reimbursement(d))

# %% [markdown]
# ## Service developments through the Strategic Co-production Group
#
# An outcome measure named in the case study: how many service developments came through
# the Strategic Co-production Group. This describes the projects as they stand today,
# whatever the reporting period.

# %% tags=["remove-input"]
say(d.strategic_group_sentence())
if d.projects_total:  # no project, no chart or table of none
    display(charts.strategic_group(d.strategic))
    display(tables.strategic_group(d))

# %% [markdown]
# ## Equality impacts
#
# At the Plan gate the strategy asks for published equality impacts. Each project should
# assess its impact on people with each of the nine protected characteristics of the
# Equality Act 2010, and on carers, people living with socio-economic deprivation and
# inclusion-health groups. A negative impact needs a mitigation.

# %% tags=["remove-input"]
counts = d.coverage_counts
say(
    NO_PROJECT
    if not len(d.coverage)
    else f"{d.assessed_projects:,} of {plural(d.coverage['project_id'].nunique(), 'project')} {agree(d.assessed_projects, 'has', 'have')} an equality impact "
    f"assessment in the register. Of the {plural(len(d.coverage), 'pair')} of project and characteristic, "
    f"{counts.get('assessed', 0):,} {agree(counts.get('assessed', 0), 'is', 'are')} assessed, {counts.get('not assessed', 0):,} {agree(counts.get('not assessed', 0), 'is', 'are')} recorded "
    f"as not assessed (with a reason) and {counts.get('missing', 0):,} {agree(counts.get('missing', 0), 'is', 'are')} missing.\n\n"
    f"{plural(d.negative, 'negative impact')} {agree(d.negative, 'was', 'were')} found; "
    f"{d.mitigated:,} {agree(d.mitigated, 'has', 'have')} a mitigation and {d.negative - d.mitigated:,} "
    f"{agree(d.negative - d.mitigated, 'does', 'do')} not.\n\n"
    f"{d.eia_coproduced:,} of {plural(d.eia_total, 'assessment')} {agree(d.eia_coproduced, 'says', 'say')} the transformation was co-produced "
    "(an outcome measure named in the case study)."
)
if len(d.coverage):
    display(charts.equality_coverage(d.coverage, d.characteristics, d.impacts))
    display(tables.equality_assessments(d))
if len(d.unmitigated):
    display(tables.unmitigated(d))

# %% [markdown]
# ## "You said, we did": closing the loop
#
# People at the 2024 listening events said the thing that goes wrong most is closing the
# loop: nobody hears what happened to what they said. An item's loop is closed when its
# status is one the register's list of statuses marks as closing the loop (what was done
# is published, or why nothing will be). Items are counted
# here when they were said in the period; their status is as it stands today.

# %% tags=["remove-input"]
items, loop_closed, overdue = d.items, d.loop_closed, d.overdue
say(
    (
        f"{plural(items, 'thing')} people said {agree(items, 'is', 'are')} recorded. "
        f"{loop_closed:,} {agree(loop_closed, 'has', 'have')} had the loop closed: a loop-closure rate of "
        f"{percent(loop_closed, items)}. {overdue:,} {agree(overdue, 'is', 'are')} overdue (the loop not "
        "closed by the date a response was due, worked out on the day this report was produced; a due "
        "date is the one staff set, or else the register's response rule gives it).\n\n"
        + (
            f"{d.responded:,} {agree(d.responded, 'has', 'have')} had a response (an update that is {d.responding}); on average the first response came "
            f"{d.average:.0f} days after it was said, the longest {int(d.current['days_to_response'].max()):,} days."
            if d.responded
            else "None has had a response yet."
        )
    )
    if items
    else f"Nothing people said is recorded {SCOPE}."
)
if items:
    display(charts.loop_status(d.by_status, d.statuses, d.status_colours))
    display(tables.loop_status(d))
if d.responded:
    display(charts.days_to_response(d.current.dropna(subset=["days_to_response"])))
if len(d.late):
    display(tables.overdue(d))

# %% [markdown]
# ## What independent partners say
#
# No publisher marks its own homework: Healthwatch, voluntary-sector organisations and
# lived-experience groups can record their verdict on what the register says was done
# (agrees, partly agrees, disagrees, cannot tell), in their own words. A closed item is
# confirmed when a partner agrees, or partly agrees, with the update that closed it.

# %% tags=["remove-input"]
if not d.verdicts_given:
    say(f"No partner has given a verdict yet {SCOPE}.")
else:
    say(
        f"{plural(d.verdicts_given, 'verdict')} given by independent partners. "
        + (
            f"{d.confirmed:,} of the {plural(d.closed_items, 'item')} whose loop is closed "
            f"{agree(d.confirmed, 'is', 'are')} confirmed by a partner ({percent(d.confirmed, d.closed_items)})."
            if d.closed_items
            else "No item has closed the loop yet, so none can be confirmed."
        )
        + (
            f" Partners disagree with {plural(len(d.disputed), 'claim')}: listed below."
            if len(d.disputed)
            else " No partner disagrees with any claim."
        )
    )
if len(d.disputed):
    display(tables.disputed(d))

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
projects_passed = d.passed["project_id"].nunique()
say(
    NO_PROJECT
    if not d.projects_total
    else f"{plural(projects_passed, 'project')} {agree(projects_passed, 'has', 'have')} "
    f"passed at least one gate. Of the {plural(len(d.passed), 'gate')} passed, {plural(len(d.gaps), 'gate')} "
    f"{agree(len(d.gaps), 'lacks', 'lack')} the evidence the strategy asks for."
)
if d.projects_total:
    display(charts.gate_assurance(d.gate_rows, GATES, gate_field))
    display(tables.gate_gaps(d))

# %% [markdown]
# ## About this report
#
# - **Source**: the Co-production Register (`build/register.db` beside its data package),
#   built from the CSV files in `datasets/` after they passed validation, under the licence
#   its data package names;
#   the national register (`build/national/register.db`) from each publisher's data package
#   that passed them, each publisher's records under the licence its own package names.
# - **Measures**: every measure is an SQL view in `src/register/database/views.sql`, the same
#   definitions the register's website shows on its measure pages. Each figure's caption
#   names the page of the site that shows its measure, for the whole register.
# - **Reporting period**: activities count by their date, equality impacts by the date
#   they were assessed (rows with no date are counted), and "You said" items by the date
#   they were said, with their status as it stands today. Projects, the Strategic
#   Co-production Group measure and gate assurance describe the register today.
# - **Reproduce it**: `make report` (all records) or
#   `make report PERIOD_START=2025-04-01 PERIOD_END=2025-06-30` (one quarter), with
#   `ROOT=<the folder of its data package>` for another publisher's register; the national
#   register's is written by `make national`, or for one quarter by
#   `python -m register.publishing.report --root build/national/package --db build/national/register.db --out build/national/reports --start 2025-04-01 --end 2025-06-30`.

# %% tags=["remove-input"]
if output_dir:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".impact_report_figures.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(d.figures(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / "impact_report_figures.json")
