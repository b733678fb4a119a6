"""An item's status history as the views read it (src/register/database/views.sql,
you_said_we_did_status): the first response is the first update that is not 'open', and
of two updates on one day the later-added (higher id) is the current one. The sample
register has one update per item; these are added to a scratch copy and built."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo

# YS-0003 and YS-0004 were said on 2024-08-06 and planned on 2025-09-01 (UPD-0003, UPD-0004).
ADDED = [
    ["UPD-9001", "YS-0003", "2024-09-01", "open", "", "", "nn_icb_strategy_2025", "7.0"],
    ["UPD-9002", "YS-0004", "2025-09-01", "in_progress", "Work has begun.", "", "nn_icb_strategy_2025", "7.0"],
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("history"))
    with (root / "datasets" / "you_said_we_did_updates.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(ADDED)
    build(Package(root), root / "build")
    conn = sqlite3.connect(root / "build" / "register.db")
    yield conn
    conn.close()


def status(db, item: str) -> tuple:
    return db.execute(
        "SELECT status, status_date, first_response_date, days_to_response, updates FROM you_said_we_did_current "
        "WHERE id = ?",
        (item,),
    ).fetchone()


def test_an_open_update_is_not_a_response(db):
    assert status(db, "YS-0003") == ("planned", "2025-09-01", "2025-09-01", 391, 2)


def test_of_two_updates_on_one_day_the_later_added_is_current(db):
    assert status(db, "YS-0004") == ("in_progress", "2025-09-01", "2025-09-01", 391, 2)
