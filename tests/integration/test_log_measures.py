"""The measures over the co-production log (views.sql), worked out here again from the
log's rows: the balance rule, reimbursement, and activity each quarter.

The sample log records no counts of people and no reimbursement, so on it every activity
is "not recorded" and a measure that mixed up its other answers would still agree with
any oracle. A scratch copy of the register gives its activities every kind of answer:
staff outnumbering people with lived experience, as many of each (balanced: the rule is
that staff must not outnumber them), fewer staff, nothing counted; reimbursement offered,
not offered, not recorded."""

from __future__ import annotations

import pytest

from tests.conftest import built_copy

# (lived_experience_count, staff_count, reimbursement_offered), in turn for each activity.
ANSWERS = [("3", "5", "true"), ("4", "4", "false"), ("6", "2", ""), ("", "", "true")]


def _answered(rows: list[dict]) -> list[dict]:
    for i, r in enumerate(rows):
        lived, staff, offered = ANSWERS[i % len(ANSWERS)]
        r.update(lived_experience_count=lived, staff_count=staff, reimbursement_offered=offered)
    return rows


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    conn = built_copy(tmp_path_factory.mktemp("log-measures"), "coproduction_log", _answered)
    yield conn
    conn.close()


def _log(db) -> list[dict]:
    return [dict(r) for r in db.execute("SELECT * FROM coproduction_log")]


def test_the_sample_gives_every_kind_of_answer(db):
    log = _log(db)
    assert len(log) >= 2 * len(ANSWERS), "too few activities to give each kind of answer twice"


def test_the_balance_rule_counts_staff_outnumbering_people_and_nothing_else(db):
    def judged(r: dict) -> str:
        lived, staff = r["lived_experience_count"], r["staff_count"]
        if lived is None or staff is None:
            return "not recorded"
        return "staff outnumbered people with lived experience" if staff > lived else "balanced"

    want = {r["id"]: judged(r) for r in _log(db)}
    shown = dict(db.execute("SELECT activity_id, balance FROM measure_balance").fetchall())
    assert shown == want
    # As many staff as people with lived experience is balanced: staff do not outnumber them.
    assert {"balanced", "not recorded", "staff outnumbered people with lived experience"} == set(want.values())
    summary = dict(db.execute("SELECT balance, activities FROM summary_balance").fetchall())
    assert summary == {b: list(want.values()).count(b) for b in set(want.values())}


def test_reimbursement_is_counted_by_whether_it_was_offered(db):
    want: dict[str, int] = {}
    for r in _log(db):
        key = {1: "offered", 0: "not offered"}.get(r["reimbursement_offered"], "not recorded")
        want[key] = want.get(key, 0) + 1
    assert set(want) == {"offered", "not offered", "not recorded"}
    assert dict(db.execute("SELECT reimbursement, activities FROM measure_reimbursement").fetchall()) == want


def _sum(values: list) -> int | None:
    """SQL's SUM: None when nothing was counted."""
    counted = [v for v in values if v is not None]
    return sum(counted) if counted else None


def _quarter_start(date: str) -> tuple[int, int]:
    y, m = int(date[:4]), int(date[5:7])
    return y, (m - 1) // 3 * 3 + 1


def expected_quarters(db) -> list[tuple]:
    """Every calendar quarter from the first activity's to the latest's, at every level."""
    log = _log(db)
    levels = [r[0] for r in db.execute("SELECT code FROM participation_levels ORDER BY sort_order")]
    (y, m) = _quarter_start(min(r["activity_date"] for r in log))
    last = _quarter_start(max(r["activity_date"] for r in log))
    out = []
    while (y, m) <= last:
        fy = y if m >= 4 else y - 1  # the NHS financial year runs from April to March
        financial = f"{fy}/{(fy + 1) % 100:02d} Q{(m - 4) % 12 // 3 + 1}"
        for level in levels:
            rows = [
                r for r in log if _quarter_start(r["activity_date"]) == (y, m) and r["participation_level"] == level
            ]
            out.append(
                (
                    f"{y}-{m:02d}-01",
                    f"{y} Q{(m - 1) // 3 + 1}",
                    financial,
                    level,
                    len(rows),
                    _sum([r["lived_experience_count"] for r in rows]),
                    _sum([r["staff_count"] for r in rows]),
                )
            )
        y, m = (y + 1, 1) if m == 10 else (y, m + 3)
    return out


def test_every_quarter_and_level_is_counted_from_the_log(db):
    shown = [
        tuple(r)
        for r in db.execute(
            "SELECT quarter_start, quarter, financial_quarter, participation_level, activities, "
            "lived_experience_people, staff_people FROM measure_activity_by_quarter"
        )
    ]
    want = expected_quarters(db)
    assert shown == want
    # What makes this a test: quiet quarters between busy ones, quarters of every kind in
    # the financial year, and activities with people counted and without.
    assert any(r[4] == 0 for r in want) and sum(r[4] for r in want) > 1
    assert {r[2][-2:] for r in want} == {"Q1", "Q2", "Q3", "Q4"}
    assert any(r[5] for r in want) and any(r["lived_experience_count"] is None for r in _log(db))


def test_a_quarter_ends_on_its_last_day(db):
    last_days = {1: "03-31", 4: "06-30", 7: "09-30", 10: "12-31"}
    for start, end in db.execute("SELECT DISTINCT quarter_start, quarter_end FROM measure_activity_by_quarter"):
        assert end == f"{start[:4]}-{last_days[int(start[5:7])]}", start
