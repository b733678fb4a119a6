"""The impact report's tables: which rows and columns each shows, under which headings.

Each function takes the report's numbers (report_data.ReportData) and returns a captioned
table (reportkit.table) holding the figures of the chart before it, or the records a
sentence counts. Headings are the fields' titles from their Table Schemas, so a column
reads the same here as on the site.
"""

from __future__ import annotations

from register.publishing.report_data import ReportData
from register.publishing.reportkit import HTML, table, title

GATE = title("coproduction_log", "gate")
LIVED = title("coproduction_log", "lived_experience_count")
STAFF = title("coproduction_log", "staff_count")
PROJECT_ID, PROJECT_TITLE = title("projects", "id"), title("projects", "title")
STATUS = title("you_said_we_did_updates", "status")


def depth_by_gate(d: ReportData) -> HTML:
    pivot = d.depth.pivot_table(
        index="gate_title", columns="level_title", values="activities", aggfunc="sum", sort=False
    )
    pivot = pivot.reindex(index=list(d.gates.values()), columns=list(d.levels.values())).fillna(0).astype(int)
    pivot["Total"] = pivot.sum(axis=1)
    pivot = pivot.reset_index().rename(columns={"gate_title": GATE})
    return table(
        pivot,
        "Activities by gate (rows) and participation level (columns)",
        numeric=tuple(c for c in pivot.columns if c != GATE),
    )


def activity_by_place(d: ReportData) -> HTML:
    return table(
        d.place,
        "Activities by organisation and place",
        {
            "organisation_title": title("projects", "organisation"),
            "place_title": title("coproduction_log", "place"),
            "activities": "Activities",
            "coproduction_activities": f"At the level of {d.levels['co_production']}",
            "lived_experience_people": LIVED,
            "staff_people": STAFF,
        },
        numeric=("activities", "coproduction_activities", "lived_experience_people", "staff_people"),
    )


def activity_by_quarter(d: ReportData) -> HTML:
    return table(
        d.active_quarters,
        "Quarters with co-production activity",
        {
            "quarter": "Quarter",
            "financial_quarter": "Financial-year quarter",
            "activities": "Activities",
            "lived_experience_people": LIVED,
            "staff_people": STAFF,
        },
        numeric=("activities", "lived_experience_people", "staff_people"),
    )


def balance(d: ReportData) -> HTML:
    return table(
        d.balance_counts.reset_index().rename(columns={"activity_id": "activities"}),
        "Activities by balance",
        {"balance": "Balance", "activities": "Activities"},
        numeric=("activities",),
    )


def outnumbered(d: ReportData) -> HTML:
    return table(
        d.outnumbered,
        "Activities where staff outnumbered people with lived experience",
        {
            "activity_id": title("coproduction_log", "id"),
            "activity_date": title("coproduction_log", "activity_date"),
            "title": title("coproduction_log", "title"),
            "gate_title": GATE,
            "lived_experience_count": LIVED,
            "staff_count": STAFF,
        },
        numeric=("lived_experience_count", "staff_count"),
        more="the register's measure_balance table lists them all",
        dates=("activity_date",),
    )


def reimbursement(d: ReportData) -> HTML:
    field = title("coproduction_log", "reimbursement_offered")
    return table(d.reimbursement, field, {"reimbursement": field, "activities": "Activities"}, numeric=("activities",))


def strategic_group(d: ReportData) -> HTML:
    return table(
        d.strategic,
        "Projects through the Strategic Co-production Group",
        {
            "organisation_title": title("projects", "organisation"),
            "came_through_group": "Came through the group",
            "projects": "Projects",
        },
        numeric=("projects",),
    )


def equality_assessments(d: ReportData) -> HTML:
    return table(
        d.eia,
        "Equality impact assessments by project",
        {
            "project_id": PROJECT_ID,
            "project_title": PROJECT_TITLE,
            "coproduced": title("equality_impacts", "coproduced"),
            "characteristics_assessed": "Characteristics assessed",
            "negative_impacts": "Negative impacts",
            "negative_with_mitigation": "Negative impacts with a mitigation",
            "not_assessed": "Not assessed",
        },
        numeric=("characteristics_assessed", "negative_impacts", "negative_with_mitigation", "not_assessed"),
        more="the register's measure_eia_coproduced table lists them all",
    )


def unmitigated(d: ReportData) -> HTML:
    return table(
        d.unmitigated,
        "Negative impacts without a mitigation",
        {
            "project_id": PROJECT_ID,
            "project_title": PROJECT_TITLE,
            "characteristic_title": title("equality_impacts", "characteristic"),
        },
    )


def loop_status(d: ReportData) -> HTML:
    return table(
        d.by_status,
        '"You said, we did" by status',
        {
            "status_title": STATUS,
            "items": "Items",
            "loop_closed": "Loop closed",
            "overdue": "Overdue",
            "average_days_to_response": "Average days to a first response",
            "longest_days_to_response": "Longest days to a first response",
        },
        numeric=("items", "loop_closed", "overdue", "average_days_to_response", "longest_days_to_response"),
        missing="none",
    )


def overdue(d: ReportData) -> HTML:
    return table(
        d.late,
        "Overdue items",
        {
            "id": title("you_said_we_did", "id"),
            "said_date": title("you_said_we_did", "said_date"),
            "theme_title": title("you_said_we_did", "theme"),
            "you_said": title("you_said_we_did", "you_said"),
            "due_date": title("you_said_we_did_current", "due_date"),
            "due_date_basis": title("you_said_we_did_current", "due_date_basis"),
            "status_title": STATUS,
        },
        more="the register's you_said_we_did_current table, filtered on overdue, lists them all",
        dates=("said_date", "due_date"),
    )


def disputed(d: ReportData) -> HTML:
    return table(
        d.disputed,
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
        dates=("verdict_date",),
    )


def gate_gaps(d: ReportData) -> HTML:
    return table(
        d.gaps,
        "Gates passed without the evidence the strategy asks for",
        {
            "project_id": PROJECT_ID,
            "project_title": PROJECT_TITLE,
            "gate_title": GATE,
            "evidence": "Evidence in the register",
            "missing": "What is missing",
        },
        more="the register's gate_assurance table lists them all",
    )
