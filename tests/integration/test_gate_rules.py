"""Gate assurance's rule at the Plan gate (src/register/database/views.sql, gate_assurance):
the evidence is a co-production log at the gate and equality impacts assessed for every
characteristic; the log alone is not enough, and nor is an entry recorded as not assessed. The sample register has no project with the
one and not the other, so a scratch copy is given one: PRJ-0001, past the Plan gate, with
impacts recorded for one characteristic, gets an activity at the Plan gate."""

from __future__ import annotations

import csv
import sqlite3

import pandas as pd

from register.database.build import build
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import Client, copy_repo, rewrite_dataset


def test_a_log_at_the_plan_gate_without_every_characteristic_is_not_the_evidence(tmp_path):
    root = copy_repo(tmp_path)
    path = root / "datasets" / "coproduction_log.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    rows.append({**rows[0], "id": "LOG-9001", "project_id": "PRJ-0001", "gate": "plan"})
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    build(Package(root), root / "build")
    with sqlite3.connect(root / "build" / "register.db") as conn:
        characteristics = conn.execute("SELECT COUNT(*) FROM characteristics").fetchone()[0]
        recorded = conn.execute(
            "SELECT COUNT(DISTINCT characteristic) FROM equality_impacts WHERE project_id = 'PRJ-0001'"
        ).fetchone()[0]
        plan = conn.execute(
            "SELECT passed, evidence_published, evidence, missing FROM gate_assurance "
            "WHERE project_id = 'PRJ-0001' AND gate = 'plan'"
        ).fetchone()
    assert 0 < recorded < characteristics
    assert plan == (
        1,
        0,
        f"1 co-production activity at this gate; equality impacts assessed for {recorded} of {characteristics} characteristics",
        "Equality impacts are not assessed for every characteristic.",
    )


def _independent_gate_gaps(root) -> list[tuple[str, str]]:
    """Gates passed without their evidence, worked out with pandas from the CSV files and
    the strategy's list of evidence (003 s7.0), not from the views."""
    data = root / "datasets"
    read = lambda name: pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    projects, log, eia = read("projects"), read("coproduction_log"), read("equality_impacts")
    items, updates = read("you_said_we_did"), read("you_said_we_did_updates")
    gates = read("codelists/gates").assign(order=lambda g: g["sort_order"].astype(int)).set_index("code")["order"]
    impacts = read("codelists/impacts")
    is_assessment = set(impacts.loc[impacts["assessed"] == "true", "code"])
    characteristics = len(read("codelists/characteristics"))
    gaps = []
    for p in projects.itertuples():
        # The project has moved past every gate before its current gate, and before the
        # furthest gate at which it has co-production activity logged.
        furthest = max([gates[p.current_gate], *(gates[g] for g in log.loc[log["project_id"] == p.id, "gate"])])
        for gate, order in gates.items():
            if order >= furthest:
                continue
            at = log[(log["project_id"] == p.id) & (log["gate"] == gate)]
            mine = eia[(eia["project_id"] == p.id) & eia["impact"].isin(is_assessment)]
            evidence = {
                "assess": len(at) > 0,
                "plan": len(at) > 0 and mine["characteristic"].nunique() == characteristics,
                "procure": bool(
                    ((pd.to_numeric(at["lived_experience_count"]) > 0) & (at["reimbursement_offered"] == "true")).any()
                ),
                "monitor_evaluate": updates["you_said_id"].isin(items.loc[items["project_id"] == p.id, "id"]).any(),
            }[gate]
            if not evidence:
                gaps.append((p.id, gate))
    return sorted(gaps)


def test_equality_entries_recorded_as_not_assessed_are_not_the_evidence_at_the_plan_gate(tmp_path):
    """The strategy asks for equality impacts at the Plan gate, and the impacts codelist
    says an entry recorded as not assessed is no evidence of them: a project past the Plan
    gate with a log there and an entry for every characteristic, all but one of them "not
    assessed", moved on without the evidence."""
    root = copy_repo(tmp_path)
    rewrite_dataset(
        root,
        "coproduction_log",
        lambda rows: [*rows, {**rows[0], "id": "LOG-9001", "project_id": "PRJ-0001", "gate": "plan"}],
    )

    def every_characteristic(rows):
        have = {r["characteristic"] for r in rows if r["project_id"] == "PRJ-0001"}
        with (root / "datasets" / "codelists" / "characteristics.csv").open(newline="", encoding="utf-8") as f:
            codes = [r["code"] for r in csv.DictReader(f)]
        blank = dict.fromkeys(rows[0], "")
        new = [
            {
                **blank,
                "id": f"EIA-{9000 + n}",
                "project_id": "PRJ-0001",
                "characteristic": c,
                "impact": "not_assessed",
                "not_assessed_reason": "No assessment is published.",
                "source": "case_study_default",
                "source_section": "Possible outcome measures",
            }
            for n, c in enumerate(c for c in codes if c not in have)
        ]
        return rows + new

    rewrite_dataset(root, "equality_impacts", every_characteristic)
    build(Package(root), root / "build")
    expected = _independent_gate_gaps(root)
    assert ("PRJ-0001", "plan") in expected
    with sqlite3.connect(root / "build" / "register.db") as conn:
        gaps = sorted(
            conn.execute("SELECT project_id, gate FROM gate_assurance WHERE passed AND NOT evidence_published")
        )
        plan = conn.execute(
            "SELECT evidence, missing FROM gate_assurance WHERE project_id = 'PRJ-0001' AND gate = 'plan'"
        ).fetchone()
        recorded, total = conn.execute(
            "SELECT characteristics_recorded, characteristics_total FROM project_figures WHERE project_id = 'PRJ-0001'"
        ).fetchone()
        headline = conn.execute("SELECT figure, gates FROM headlines WHERE measure = 'gate_assurance'").fetchone()
    assert recorded == total, "every characteristic has an entry"
    assert gaps == expected
    assert headline == (len({p for p, _ in expected}), len(expected))
    assert plan == (
        f"1 co-production activity at this gate; equality impacts assessed for 1 of {total} characteristics",
        "Equality impacts are not assessed for every characteristic.",
    )


def _procure_gate(root, *answers: tuple[str, str]) -> tuple:
    """PRJ-0001 (past the Procure gate, with no activity there in the sample) given one
    procurement activity for each (lived_experience_count, reimbursement_offered); built."""
    rewrite_dataset(
        root,
        "coproduction_log",
        lambda rows: [
            *rows,
            *(
                {
                    **rows[0],
                    "id": f"LOG-{9001 + n}",
                    "project_id": "PRJ-0001",
                    "gate": "procure",
                    "lived_experience_count": lived,
                    "staff_count": "1",
                    "reimbursement_offered": offered,
                }
                for n, (lived, offered) in enumerate(answers)
            ),
        ],
    )
    build(Package(root), root / "build")
    with sqlite3.connect(root / "build" / "register.db") as conn:
        return conn.execute(
            "SELECT passed, evidence_published, evidence, missing FROM gate_assurance "
            "WHERE project_id = 'PRJ-0001' AND gate = 'procure'"
        ).fetchone()


def test_the_procure_gate_needs_people_with_lived_experience_and_reimbursement_offered_together(tmp_path):
    """The sample has no procurement activity, and no activity with people counted or
    reimbursement recorded: an activity with people with lived experience but no
    reimbursement, and one with reimbursement but none of them, are not the evidence; one
    with both is."""
    (tmp_path / "without").mkdir()
    root = copy_repo(tmp_path / "without")
    procure = _procure_gate(root, ("4", "false"), ("0", "true"))
    assert ("PRJ-0001", "procure") in _independent_gate_gaps(root)
    assert procure == (
        1,
        0,
        "0 activities with people with lived experience and reimbursement offered",
        "No procurement activity with people with lived experience and reimbursement is logged.",
    )
    (tmp_path / "with").mkdir()
    root = copy_repo(tmp_path / "with")
    procure = _procure_gate(root, ("4", "false"), ("3", "true"))
    assert ("PRJ-0001", "procure") not in _independent_gate_gaps(root)
    assert procure == (1, 1, "1 activity with people with lived experience and reimbursement offered", None)


def test_a_project_with_activity_at_a_later_gate_than_its_current_one_has_moved_past_the_gates_before(tmp_path):
    """PRJ-0003 is at the Assess gate with nothing logged; a procurement panel is logged for
    it (people with lived experience, reimbursement offered) and its current gate is left as
    it was, as happens when staff log an activity and forget to move the project on. The
    project has reached Procure: Assess and Plan were passed without their evidence, and the
    gate assurance page says so, instead of showing them as the current gate and "not
    reached yet" and leaving the project out of the list of those that moved on without
    evidence."""
    root = copy_repo(tmp_path)
    rewrite_dataset(
        root,
        "coproduction_log",
        lambda rows: [
            *rows,
            {
                **rows[0],
                "id": "LOG-9001",
                "project_id": "PRJ-0003",
                "gate": "procure",
                "lived_experience_count": "3",
                "staff_count": "2",
                "reimbursement_offered": "true",
            },
        ],
    )
    build(Package(root), root / "build")
    expected = _independent_gate_gaps(root)
    assert {("PRJ-0003", "assess"), ("PRJ-0003", "plan")} <= set(expected)
    with sqlite3.connect(root / "build" / "register.db") as conn:
        rows = conn.execute(
            "SELECT gate, reached, passed, evidence_published FROM gate_assurance "
            "WHERE project_id = 'PRJ-0003' ORDER BY gate_order"
        ).fetchall()
        gaps = sorted(
            conn.execute("SELECT project_id, gate FROM gate_assurance WHERE passed AND NOT evidence_published")
        )
        headline = conn.execute("SELECT figure, gates FROM headlines WHERE measure = 'gate_assurance'").fetchone()
    assert rows == [
        ("assess", 1, 1, 0),
        ("plan", 1, 1, 0),
        ("procure", 1, 0, 1),
        ("monitor_evaluate", 0, 0, 0),
    ]
    assert gaps == expected
    assert headline == (len({p for p, _ in expected}), len(expected))
    client = Client(datasette_instance(root / "build"))
    page = client.get("/gate-assurance")
    assert page.status_code == 200
    gaps_table = page.text.split('id="gaps-caption"')[1].split("</table>")[0]
    assert "PRJ-0003" in gaps_table
    project = client.get("/projects/PRJ-0003").text
    assert "Recorded as the current gate, but passed" in project
    assert "co-production activity is logged at a later gate" in project


def test_the_gate_assurance_page_says_it_cannot_tell_evidence_from_before_the_decision_from_evidence_after(client):
    """The register has no date for a gate decision, so evidence logged after a project
    moved on counts as published like any other: the page must not let "Evidence
    published" read as "in place before the project moved on"."""
    page = client.get("/gate-assurance").text
    assert "Evidence counts whatever its date" in page
    assert "cannot show that the evidence came before that decision" in page
