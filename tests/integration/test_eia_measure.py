"""The measure of equality impact assessments indicating the transformation was co-produced
(views.sql, measure_eia_coproduced), worked out here again from the assessments' rows.

In the sample every entry says the transformation was co-produced, so a measure that
answered "yes" only when every entry does, or never said "no", would agree with it. A
scratch copy gives one project entries of yes, no and not recorded, another only no, a
third only not recorded."""

from __future__ import annotations

import pytest

from tests.conftest import built_copy

CHARACTERISTICS = ("age", "disability", "sex")


def _answered(rows: list[dict]) -> list[dict]:
    """PRJ-0002's entries yes, no, not recorded in turn; PRJ-0001's no. A third project's
    entries, not recorded, are added from PRJ-0001's."""
    seen = 0
    for r in rows:
        if r["project_id"] == "PRJ-0002":
            r["coproduced"] = ("true", "false", "")[seen % 3]
            seen += 1
        else:
            r["coproduced"] = "false"
    first = next(r for r in rows if r["project_id"] == "PRJ-0001")
    number = max(int(r["id"].split("-")[1]) for r in rows)
    for k, characteristic in enumerate(CHARACTERISTICS, 1):
        rows.append(dict(first, id=f"EIA-{number + k:04d}", project_id="PRJ-0003", characteristic=characteristic))
        rows[-1]["coproduced"] = ""
    return rows


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    conn = built_copy(tmp_path_factory.mktemp("eia-measure"), "equality_impacts", _answered)
    yield conn
    conn.close()


def test_an_assessment_is_co_produced_when_any_entry_says_so(db):
    entries: dict[str, list] = {}
    for project, coproduced in db.execute("SELECT project_id, coproduced FROM equality_impacts"):
        entries.setdefault(project, []).append(coproduced)
    want = {project: "yes" if 1 in said else "no" if 0 in said else "not recorded" for project, said in entries.items()}
    assert set(want.values()) == {"yes", "no", "not recorded"}, "the scratch copy should give every answer"
    assert dict(db.execute("SELECT project_id, coproduced FROM measure_eia_coproduced").fetchall()) == want


def test_its_counts_are_the_entries_of_each_assessment(db):
    assessed = {code: flag for code, flag in db.execute("SELECT code, assessed FROM impacts")}
    want: dict[str, list[int]] = {}
    for e in db.execute("SELECT project_id, impact, mitigation FROM equality_impacts"):
        counts = want.setdefault(e["project_id"], [0, 0, 0, 0])
        counts[0] += assessed[e["impact"]] == 1
        counts[1] += e["impact"] == "negative"
        counts[2] += e["impact"] == "negative" and e["mitigation"] is not None
        counts[3] += assessed[e["impact"]] == 0
    shown = {
        r[0]: list(r[1:])
        for r in db.execute(
            "SELECT project_id, characteristics_assessed, negative_impacts, negative_with_mitigation, not_assessed "
            "FROM measure_eia_coproduced"
        )
    }
    assert shown == want
    assert any(c[1] for c in want.values()) and any(c[3] for c in want.values()), (
        "the sample should have negative impacts and entries not assessed"
    )
