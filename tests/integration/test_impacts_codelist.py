"""Which impacts are an assessment is said once, in the impacts codelist's `assessed`
column: change it in a scratch copy of the register and the views, the project page and
the national score follow, with no impact code written into them."""

from __future__ import annotations

import sqlite3

from register.database.build import build
from register.national import quality
from register.schema.package import Package
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
