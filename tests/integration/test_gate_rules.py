"""Gate assurance's rule at the Plan gate (src/register/database/views.sql, gate_assurance):
the evidence is a co-production log at the gate and equality impacts for every
characteristic; the log alone is not enough. The sample register has no project with the
one and not the other, so a scratch copy is given one: PRJ-0001, past the Plan gate, with
impacts recorded for one characteristic, gets an activity at the Plan gate."""

from __future__ import annotations

import csv
import sqlite3

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo


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
        f"1 co-production activity at this gate; equality impacts for {recorded} of {characteristics} characteristics",
        "Equality impacts are not published for every characteristic.",
    )
