"""Which impacts are an assessment is said once, in the impacts codelist's `assessed`
column: change it in a scratch copy of the register and the views, the project page and
the national score follow, with no impact code written into them."""

from __future__ import annotations

import collections
import sqlite3

import pandas as pd

from register.database.build import build
from register.national import quality
from register.schema.package import ROOT, Package
from tests.conftest import copy_repo, set_codelist_flag


def _figures(db) -> dict:
    with sqlite3.connect(db) as conn:
        return {
            "coverage": dict(
                conn.execute(
                    "select coverage, count(*) from measure_equality_coverage where coverage <> 'missing' group by 1"
                ).fetchall()
            ),
            "eia": conn.execute(
                "select sum(not_assessed), sum(characteristics_assessed) from measure_eia_coproduced"
            ).fetchone(),
            "projects": conn.execute(
                "select sum(characteristics_not_assessed), sum(characteristics_recorded) from project_figures"
            ).fetchone(),
            "by_impact": dict(conn.execute("select impact, count(*) from equality_impacts group by 1").fetchall()),
            "national": _national_counts(conn),
        }


def _national_counts(conn) -> tuple[int, int]:
    """The national score's equality-impact counts, from its own SQL, over this register's
    tables as if they were one publisher's (identifiers prefixed as nationally)."""
    ei = quality.STORED.split("ei AS (", 1)[1].split("),\n     ys AS", 1)[0]
    conn.execute(
        "create temp view equality_impacts_n as select 'p:' || project_id as project_id, * from equality_impacts"
    )
    sql = ei.replace("FROM equality_impacts e", "FROM equality_impacts_n e")
    return conn.execute(f"select characteristics_assessed, characteristics_not_assessed from ({sql})").fetchone()


def test_the_views_read_which_impacts_are_an_assessment_from_the_codelist(tmp_path):
    root = copy_repo(tmp_path)
    build(Package(root), tmp_path / "before")
    before = _figures(tmp_path / "before" / "register.db")
    counts = before["by_impact"]
    assert counts.get("not_assessed") and counts.get("not_known"), "the sample data needs both impacts"
    assert before["coverage"]["not assessed"] == counts["not_assessed"]
    assert before["eia"][0] == before["projects"][0] == counts["not_assessed"]
    assert before["national"] == (sum(counts.values()) - counts["not_assessed"], counts["not_assessed"])

    # Only the codelist changes: "not known" is now also not an assessment.
    set_codelist_flag(root, "impacts", "assessed", {"positive", "neutral", "negative"})
    build(Package(root), tmp_path / "after")
    after = _figures(tmp_path / "after" / "register.db")
    both = counts["not_assessed"] + counts["not_known"]
    assert after["coverage"]["not assessed"] == both
    assert after["coverage"]["assessed"] == before["coverage"]["assessed"] - counts["not_known"]
    assert after["eia"][0] == after["projects"][0] == both
    assert after["projects"][1] == before["projects"][1], "every entry is still recorded"
    assert after["national"] == (sum(counts.values()) - both, both)


def test_an_assessment_counts_the_characteristics_it_assesses_not_its_entries(build_dir):
    """measure_eia_coproduced's characteristics assessed (and the chart of its summary) leave
    out the entries recorded as not assessed, which it counts apart: worked out here with
    pandas from the CSV files and the impacts codelist, not from the views. The sample
    PRJ-0002 has an entry for every characteristic, six of them not assessed."""
    data = ROOT / "datasets"
    eia = pd.read_csv(data / "equality_impacts.csv", dtype=str, keep_default_na=False)
    impacts = pd.read_csv(data / "codelists" / "impacts.csv", dtype=str, keep_default_na=False)
    assessment = eia["impact"].isin(impacts.loc[impacts["assessed"] == "true", "code"])
    expected = {
        project: (
            int(rows.loc[assessment[rows.index], "characteristic"].nunique()),
            int((~assessment[rows.index]).sum()),
        )
        for project, rows in eia.groupby("project_id")
    }
    assert any(assessed and not_assessed for assessed, not_assessed in expected.values()), "the sample needs both"
    with sqlite3.connect(build_dir / "register.db") as conn:
        found = {
            p: (a, n)
            for p, a, n in conn.execute(
                "select project_id, characteristics_assessed, not_assessed from measure_eia_coproduced"
            )
        }
        summary = dict(
            conn.execute(
                "select characteristics_assessed, sum(projects) from summary_eia_coproduced group by characteristics_assessed"
            ).fetchall()
        )
    assert found == expected
    assert summary == dict(collections.Counter(a for a, _ in expected.values()))
