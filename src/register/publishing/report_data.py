"""The impact report's numbers: every measure it shows, read from the register once and
shaped for its sentences, charts and tables, and the headline figures it writes as JSON.

Kept apart from the notebook (notebooks/impact_report.py), which says what the numbers
mean, and from the charts and tables that draw them (report_charts.py, report_tables.py).
Nothing here defines a measure: each is an SQL view in src/register/database/views.sql,
the same the site's measure pages show. This only joins in titles and adds up.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from register.publishing import reportkit as rk
from register.publishing.report_charts import MISSING
from register.util import palette
from register.util.words import due_date_basis, uk_date

NOT_RECORDED = "Not recorded"
# The measure views' word for a value not recorded, and the figures' key for it.
UNRECORDED = "not recorded"


class ReportData:
    """`conn`: the period's records, which answer the activity, equality and "You said"
    measures. `whole`: the register as it stands, which answers gate assurance and the
    project-level measures. `period`: what rk.open_register said of the period."""

    def __init__(self, conn: sqlite3.Connection, whole: sqlite3.Connection, period: dict):
        self.period, self.whole = period, whole
        self.scope = "in this period" if (period["start"] or period["end"]) else "in the register"
        self.gates = rk.labels(whole, "gates")
        self.levels = rk.labels(whole, "participation_levels")
        self.characteristics = rk.labels(whole, "characteristics")
        self.impacts = rk.labels(whole, "impacts")
        self.statuses = rk.labels(whole, "statuses")
        # Which statuses are a response (the statuses codelist's responds, standard 1.3.0):
        # an item's first response is its first update with one of them.
        responding = [
            t.lower() for (t,) in whole.execute("SELECT title FROM statuses WHERE responds ORDER BY sort_order, code")
        ]
        self.responding = " or ".join([", ".join(responding[:-1]), *responding[-1:]] if responding[:-1] else responding)
        self.status_colours = rk.status_colours(whole)  # closing statuses in greens (the codelist says which)
        self.places = rk.labels(whole, "places")
        self.organisations = rk.labels(whole, "organisations")
        self.themes = rk.labels(whole, "themes")
        self._about(conn, whole)
        self._activities(conn)
        self._projects(conn, whole)
        self._loop(conn)

    def period_sentence(self, made) -> str:
        """The report's "Reporting period: ..." sentence, with how far a period not yet
        over is shown, as of `made`, the day the report is produced."""
        if self.period["start"] and self.period["end"]:
            text = f"Reporting period: {rk.uk_dates(self.period['start'], self.period['end'])}."
        elif self.period["start"]:
            text = f"Reporting period: from {uk_date(self.period['start'])} onwards."
        elif self.period["end"]:
            text = f"Reporting period: up to {uk_date(self.period['end'])}."
        else:
            text = "Reporting period: every record in the register."
            if self.first_date:
                if uk_date(self.first_date) == uk_date(self.last_date):
                    text += f" Every activity is dated {uk_date(self.first_date)}."
                else:
                    text += f" Activities run from {uk_date(self.first_date)} to {uk_date(self.last_date)}."
        # A period still running (this financial year, say) is reported as far as it has gone.
        if self.period["start"] and self.period["start"] > made.isoformat():
            text += " The period has not begun yet, so nothing in it can be recorded."
        elif self.period["end"] and self.period["end"] > made.isoformat():
            text += (
                f" The period has not ended yet: this report shows it up to {uk_date(made)}, the day it was produced."
            )
        return text

    def _about(self, conn, whole) -> None:
        dates = rk.query(conn, "SELECT MIN(activity_date) AS first, MAX(activity_date) AS last FROM coproduction_log")
        self.first_date, self.last_date = dates.iloc[0]["first"], dates.iloc[0]["last"]
        self.build = dict(whole.execute("SELECT key, value FROM register_build").fetchall())
        # Only the register's own resources are named; link tables derived from them follow them.
        self.left_out = {t: n for t, n in self.period["left_out"].items() if n and t in rk.PACKAGE.names}

    def _activities(self, conn) -> None:
        """The co-production log's measures: depth, place, quarter, balance, reimbursement."""
        depth = rk.query(conn, "SELECT * FROM measure_depth_by_gate")
        self.activities = int(depth["activities"].sum())
        self.by_gate = depth.groupby("gate", sort=False)["activities"].sum()
        self.by_level = depth.groupby("participation_level", sort=False)["activities"].sum()
        self.depth = depth.assign(
            gate_title=depth["gate"].map(self.gates),
            level_title=depth["participation_level"].map(self.levels),
        )
        self.busiest = self.by_gate.idxmax() if self.activities else None

        place = rk.query(conn, "SELECT * FROM measure_activity_by_place")
        place["organisation_title"] = place["organisation"].map(self.organisations)
        place["place_title"] = place["place"].map(self.places).fillna(NOT_RECORDED)
        self.place = place
        self.by_organisation = place.groupby("organisation_title", sort=False)["activities"].sum()
        self.unplaced = int(place.loc[place["place"].isna(), "activities"].sum())

        quarters = rk.query(conn, "SELECT * FROM measure_activity_by_quarter")
        if len(quarters):
            quarters["level_title"] = quarters["participation_level"].map(self.levels)
            self.per_quarter = (
                quarters.groupby(["quarter_start", "quarter", "financial_quarter"], sort=True)
                .agg(
                    activities=("activities", "sum"),
                    lived_experience_people=("lived_experience_people", lambda s: s.sum(min_count=1)),
                    staff_people=("staff_people", lambda s: s.sum(min_count=1)),
                )
                .reset_index()
            )
        else:
            self.per_quarter = pd.DataFrame(columns=["quarter", "activities"])
        self.quarters = quarters
        self.active_quarters = self.per_quarter[self.per_quarter["activities"] > 0]

        balance = rk.query(conn, "SELECT * FROM measure_balance")
        measured = rk.headline(conn, "balance")
        self.balance = balance
        self.judged = measured["of_total"] if measured["total"] > measured["not_recorded"] else 0
        self.outnumbered_count = measured["figure"] if self.judged else 0
        outnumbered = balance[balance["balance"] == palette.STAFF_OUTNUMBERED]  # the activities, listed
        self.outnumbered = outnumbered.assign(gate_title=outnumbered["gate"].map(self.gates))
        self.balance_counts = balance.groupby("balance")["activity_id"].count()
        self.both_counted = balance.dropna(subset=["lived_experience_count", "staff_count"]).copy()

        self.reimbursement = rk.query(conn, "SELECT * FROM measure_reimbursement")
        paid = rk.headline(conn, "reimbursement")  # its figure is the unrecorded when none is recorded
        self.offered = paid["figure"] if paid["total"] > paid["not_recorded"] else 0
        self.reimbursement_unknown = int(
            self.reimbursement.loc[self.reimbursement["reimbursement"] == "not recorded", "activities"].sum()
        )

    def _projects(self, conn, whole) -> None:
        """The Strategic Co-production Group, equality impacts and gate assurance."""
        strategic = rk.query(whole, "SELECT * FROM measure_strategic_group")
        strategic["organisation_title"] = strategic["organisation"].map(self.organisations)
        self.strategic = strategic
        group = rk.headline(whole, "strategic_group")
        self.projects_total, self.projects_via_group = group["of_total"], group["figure"]
        self.group_unknown = int(strategic.loc[strategic["came_through_group"] == "not recorded", "projects"].sum())

        project_titles = rk.query(whole, "SELECT id AS project_id, title AS project_title FROM projects")
        eia = rk.query(conn, "SELECT * FROM measure_eia_coproduced")
        coproduced = rk.headline(conn, "eia_coproduced")
        self.eia_coproduced, self.eia_total = coproduced["figure"], coproduced["of_total"]
        self.eia = eia.merge(project_titles, on="project_id")
        coverage = rk.query(conn, "SELECT * FROM measure_equality_coverage").merge(project_titles, on="project_id")
        coverage["characteristic_title"] = coverage["characteristic"].map(self.characteristics)
        coverage["impact_title"] = coverage["impact"].map(self.impacts).fillna(MISSING)
        self.coverage = coverage
        self.coverage_counts = coverage.groupby("coverage")["project_id"].count()
        self.assessed_projects = coverage[coverage["coverage"] != "missing"]["project_id"].nunique()
        self.negative = int(eia["negative_impacts"].fillna(0).sum())
        self.mitigated = int(eia["negative_with_mitigation"].fillna(0).sum())
        self.unmitigated = coverage[coverage["negative_without_mitigation"] == 1]

        gates = rk.query(
            whole,
            """
            SELECT g.*, p.title AS project_title
            FROM gate_assurance g JOIN projects p ON p.id = g.project_id
            ORDER BY g.project_id, g.gate_order""",
        )
        gates["gate_title"] = gates["gate"].map(self.gates)
        self.gate_rows = gates
        self.passed = gates[gates["passed"] == 1]
        self.gaps = gates[(gates["passed"] == 1) & (gates["evidence_published"] == 0)]

    def _loop(self, conn) -> None:
        """ "You said, we did" and what independent partners say of it."""
        yswd = rk.query(conn, "SELECT * FROM measure_you_said_we_did")
        yswd["status_title"] = yswd["status"].map(self.statuses)
        yswd[["loop_closed", "overdue"]] = yswd[["loop_closed", "overdue"]].fillna(0)
        self.by_status = yswd
        said = rk.headline(conn, "you_said_we_did")
        self.items, self.loop_closed, self.overdue = said["of_total"], said["figure"], said["overdue"]
        current = rk.query(conn, "SELECT * FROM you_said_we_did_current")
        self.current = current
        self.average = current["days_to_response"].mean() if len(current) else None
        self.responded = int(current["days_to_response"].notna().sum())
        late = current[current["overdue"] == 1].copy()
        if len(late):
            late["status_title"] = late["status"].map(self.statuses)
            late["theme_title"] = late["theme"].map(self.themes)
            late["due_date_basis"] = late["due_date_basis"].map(due_date_basis)
        self.late = late

        confirmed = rk.headline(conn, "loop_confirmed")
        self.confirmed, self.closed_items = confirmed["figure"], confirmed["of_total"]
        self.disputed = rk.query(
            conn,
            """
            SELECT * FROM disputed_claims
            WHERE update_id IS NULL OR update_id IN (SELECT id FROM you_said_we_did_updates)""",
        )
        self.verdicts_given = int(rk.query(conn, "SELECT COUNT(*) AS n FROM partner_verdicts")["n"].iloc[0])

    def reimbursement_sentence(self) -> str:
        """The summary's line on reimbursement: "0 of 8" only when the 8 say, one way or the other."""
        activities = rk.plural(self.activities, "activity", "activities")
        if self.reimbursement_unknown >= self.activities:
            which = "the 1 activity" if self.activities == 1 else f"any of the {activities}"
            return f"Whether reimbursement was offered is not recorded for {which}."
        unknown = self.reimbursement_unknown
        return f"Reimbursement was offered at {self.offered:,} of {activities}" + (
            f"; for {unknown:,} the records do not say." if unknown else "."
        )

    def introduction(self) -> str:
        """What the report is for. The national register (`make national`) made no promise
        of its own: it brings together the registers of the publishers it shows, and its
        package has their table."""
        if "publishers" in rk.PACKAGE.names:
            shown = self.whole.execute("SELECT count(*) FROM publishers WHERE status <> 'nothing'").fetchone()[0]
            intro = (
                f"This national register brings together the registers of {rk.plural(shown, 'publisher')} that "
                "publish to the Co-production Register standard: their co-production activities, equality impacts "
                'and "You said, we did" updates. This report gives the figures over all of them together, each '
                "record as its own publisher published it. How each publisher's data compares, its score and its "
                "own figures, is on its publishers page."
            )
        else:
            intro = (
                "The publisher of this register (named below, from its data package) promised, in its co-production "
                'strategy, to measure the impact of co-production "using data and dashboards", with regular reporting '
                "of where co-production happens, what changes it drives and the outcomes achieved. This report does "
                "that from the Co-production Register: the public record of co-production activities, equality "
                'impacts and "You said, we did" updates.'
            )
        return f"{intro}\n\nEvery figure here comes from the definitions the register's measure pages use, so the two always agree."

    def strategic_group_sentence(self) -> str:
        """The Strategic Co-production Group measure in words, for the summary and its
        section alike: the projects whose documents do not say are named, as the site's
        measure page names them, so "0 of 3" is never said of three that nobody recorded."""
        total, unknown = self.projects_total, self.group_unknown
        if not total:
            return "No project is recorded in the register."
        projects = rk.plural(total, "project")
        if unknown >= total:
            if total == 1:
                return "For the 1 project the documents do not say whether it came through the Strategic Co-production Group."
            return f"For all {projects} the documents do not say whether they came through the Strategic Co-production Group."
        return f"{self.projects_via_group:,} of {projects} came through the Strategic Co-production Group" + (
            f"; for {unknown:,} the documents do not say." if unknown else "."
        )

    def figures(self) -> dict:
        """The headline figures as data (impact_report_figures.json)."""
        place = self.place
        return {
            "period": {"start": self.period["start"], "end": self.period["end"]},
            "activities": self.activities,
            "activities_by_gate": {k: int(v) for k, v in self.by_gate.items()},
            "activities_by_level": {k: int(v) for k, v in self.by_level.items()},
            "activities_by_quarter": {r["quarter"]: int(r["activities"]) for _, r in self.per_quarter.iterrows()},
            "activities_by_organisation": {
                k: int(v) for k, v in place.groupby("organisation")["activities"].sum().items()
            },
            # A missing place is "not recorded", the word the measure views use for it.
            "activities_by_place": {
                k: int(v) for k, v in place.groupby(place["place"].fillna(UNRECORDED))["activities"].sum().items()
            },
            "balance": {k: int(v) for k, v in self.balance_counts.items()},
            "staff_outnumbered_activities": sorted(self.outnumbered["activity_id"]),
            "reimbursement": {r["reimbursement"]: int(r["activities"]) for _, r in self.reimbursement.iterrows()},
            "projects": self.projects_total,
            "projects_via_strategic_group": self.projects_via_group,
            "eia_projects": self.eia_total,
            "eia_coproduced_projects": self.eia_coproduced,
            "equality_coverage": {k: int(v) for k, v in self.coverage_counts.items()},
            "negative_impacts": self.negative,
            "negative_with_mitigation": self.mitigated,
            "negative_without_mitigation": int(len(self.unmitigated)),
            "you_said_items": self.items,
            "you_said_by_status": {r["status"]: int(r["items"]) for _, r in self.by_status.iterrows()},
            "loop_closed": self.loop_closed,
            "loop_closure_rate": round(self.loop_closed / self.items, 4) if self.items else None,
            "overdue": self.overdue,
            "overdue_items": sorted(self.late["id"]) if len(self.late) else [],
            "average_days_to_response": round(float(self.average), 1) if self.responded else None,
            "partner_verdicts": self.verdicts_given,
            "loop_confirmed": self.confirmed,
            "loop_confirmed_share": round(self.confirmed / self.closed_items, 4) if self.closed_items else None,
            "disputed_claims": sorted(self.disputed["verdict_id"]) if len(self.disputed) else [],
            "gate_gaps": [[r["project_id"], r["gate"]] for _, r in self.gaps.iterrows()],
        }
