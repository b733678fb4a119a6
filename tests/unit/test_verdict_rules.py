"""The cross-row rules of partners' verdicts and response rules (issue "Close the loop"):
the fast checker and the reference give the same problems, word for word, and each rule
refuses what it should and nothing else."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from register.checks.validate import validate_reference
from register.schema.package import Package
from tests.conftest import copy_repo
from tests.unit.test_fast_validation import assert_same

TODAY = dt.date(2026, 6, 30)
HEADER = Package().resource("partner_verdicts").field_names  # the columns, from the schema


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())


def first_update(root) -> dict:
    with Package(root).resource("you_said_we_did_updates").path.open(newline="", encoding="utf-8") as f:
        return next(csv.DictReader(f))


def write_verdicts(root, rows: list[dict]) -> None:
    path = Package(root).resource("partner_verdicts").path
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows({**dict.fromkeys(HEADER, ""), **r} for r in rows)


def verdict(n: int, **changes) -> dict:
    return {
        "id": f"VER-{n:04d}",
        "partner": "my_life_choices",
        "verdict": "agrees",
        "in_their_words": "We saw the change made.",
        "verdict_date": "2026-01-10",
        "source": "north_cumbria_strategy",
        "source_section": "Working Together in North Cumbria",
        **changes,
    }


def first_activity(root) -> dict:
    with Package(root).resource("coproduction_log").path.open(newline="", encoding="utf-8") as f:
        return next(csv.DictReader(f))


def test_verdict_rules_agree_and_refuse_only_what_they_should(tmp_path, monkeypatch):
    root = copy_repo(tmp_path)
    update = first_update(root)
    activity = first_activity(root)
    write_verdicts(
        root,
        [
            verdict(1, update_id=update["id"]),  # valid
            verdict(2, log_id="LOG-0001", verdict="disagrees"),  # valid
            verdict(3),  # neither claim
            verdict(4, update_id=update["id"], log_id="LOG-0001"),  # both
            verdict(5, update_id=update["id"], partner="nn_icb"),  # the ICB marking its own homework
            verdict(6, update_id=update["id"], verdict_date="2000-01-01"),  # before the claim
            verdict(7, log_id=activity["id"], verdict_date="2000-01-01"),  # before the activity claimed
            verdict(8, log_id="LOG-9999999", verdict_date="2000-01-01"),  # no such activity: no date to compare
        ],
    )
    problems = assert_same(root, monkeypatch)
    found = {(p.row, p.field): p.message for p in problems}
    assert found == {
        (4, "update_id"): "neither update_id nor log_id is given",
        (5, "update_id"): "both update_id and log_id are given",
        (6, "partner"): "organisation nn_icb is not an independent partner (its kind in organisation_kinds says so)",
        (7, "verdict_date"): f"the verdict is dated before the claim it judges ({update['update_date']})",
        (8, "verdict_date"): f"the verdict is dated before the claim it judges ({activity['activity_date']})",
        (9, "log_id"): "there is no record LOG-9999999 in coproduction_log",
    }


@pytest.mark.parametrize("defaults", [("true", "true"), ("false", "false")])
def test_exactly_one_response_rule_is_the_default(tmp_path, monkeypatch, defaults):
    root = copy_repo(tmp_path)
    path = Package(root).resource("response_rules").path
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    for row, value in zip(rows, defaults):
        row["is_default"] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    problems = assert_same(root, monkeypatch)
    assert [(p.row, p.field, p.message) for p in problems] == [
        (3 if defaults[0] == "true" else None, "is_default", "exactly one row must have Default rule true")
    ]


def test_the_real_data_has_one_default_rule(tmp_path):
    assert validate_reference(Package(copy_repo(tmp_path))) == []
