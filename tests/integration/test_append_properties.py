"""Whatever `make append` accepts leaves datasets/ passing validation; whatever it
refuses leaves datasets/ unchanged, with a message naming file, row and field.

Rows are generated from a real record with cells replaced by values staff might type
(dates in UK form, codes by title, yes/no, numbers too large, too long or not whole,
formulas, control characters, ids of 4,301 digits). Bounded to a few dozen examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from register.checks.reference import validate_reference
from register.schema.package import ROOT, Package
from register.staff.append import append_batch
from register.staff.batch import Batch
from tests.conftest import copy_repo
from tests.staff_helpers import next_id

TABLE = "coproduction_log"
# No shrinking: a failing example is reported as found, and the file stays bounded.
BOUNDED = settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def base_row() -> dict:
    with Package(ROOT).resource(TABLE).path.open(newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    row["id"] = ""
    return row


def digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


CELLS = {
    "id": st.sampled_from(["", "", "LOG-0001", "LOG-9001", "LOG-" + "9" * 4301, "log-1"]),
    "activity_date": st.one_of(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
        st.sampled_from(["2024-08-06", "2024-8-6", "2024-02-30", "next week"]),
    ),
    "gate": st.sampled_from(["assess", "Assess", "plan", "decide", ""]),
    "format": st.sampled_from(["in_person", "In person", "online", "by pigeon", ""]),
    "groups": st.sampled_from(["", "icb_coproduction_team", "icb_coproduction_team, my_life_choices", "nope"]),
    "lived_experience_count": st.one_of(
        st.integers(min_value=-5, max_value=2**64).map(str),
        st.sampled_from(["", "9" * 4301, "1e20", "3.5", "12", "1000000", "1000001"]),
    ),
    "staff_count": st.sampled_from(["", "0", "7", str(2**63), "-1"]),
    "reimbursement_offered": st.sampled_from(["", "yes", "No", "TRUE", "maybe"]),
    "title": st.one_of(st.text(max_size=40), st.sampled_from(["=SUM(A1)", "ok\x07", "x" * 201])),
    "what_changed": st.one_of(st.text(max_size=60), st.sampled_from(["call 0115 883 9000", "mail a@b.co.uk"])),
}


def append_one(root: Path, changes: dict):
    package = Package(root)
    # The row is LOG-0001 with cells changed: a repeat of it is allowed, the cells are the point.
    batch = Batch(package.resource(TABLE), "new.csv", [(2, base_row() | changes)])
    return append_batch(package, batch, rebuild=False, allow_repeats=True)


@BOUNDED
@given(st.fixed_dictionaries({}, optional=CELLS))
@example({})
@example({"id": "LOG-" + "9" * 4301})
def test_what_append_accepts_validates_and_what_it_refuses_changes_nothing(changes):
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp))
        before = digest(root / "datasets")
        outcome = append_one(root, changes)
        if outcome.ok:
            assert validate_reference(Package(root)) == []
            assert digest(root / "datasets") != before
        else:
            assert outcome.problems
            assert digest(root / "datasets") == before
            assert all(p.file == "new.csv" and p.row == 2 and p.field for p in outcome.problems), outcome.problems


@pytest.mark.parametrize(
    "value, message",
    [
        (str(2**63), "is more than 1,000,000"),
        ("9" * 4301, "is more than 1,000,000"),
        ("1000001", "is more than 1,000,000"),
        ("1e20", "is not a whole number"),
        ("3.5", "is not a whole number"),
        ("-1", "is less than 0"),
    ],
)
def test_numbers_out_of_range_are_refused_naming_the_range(repo, value, message):
    before = digest(repo / "datasets")
    outcome = append_one(repo, {"lived_experience_count": value})
    assert not outcome.ok
    [problem] = outcome.problems
    assert (problem.file, problem.row, problem.field) == ("new.csv", 2, "lived_experience_count")
    assert problem.message == f"People with lived experience {message}"
    assert problem.allowed == "a whole number from 0 to 1,000,000"
    assert digest(repo / "datasets") == before


def test_an_id_of_4301_digits_does_not_stop_the_numbering(repo):
    expected = next_id(repo / "datasets" / "coproduction_log.csv", "LOG")
    assert append_one(repo, {"id": "LOG-" + "9" * 4301}).ok
    outcome = append_one(repo, {"id": ""})
    assert outcome.ok, outcome.problems
    assert outcome.given == [f"LOG-{expected:04d}"]
