"""The measures over partners' verdicts (src/register/database/views.sql): which verdicts
confirm a closed loop, which dispute one, and the disputed claims newest first. The
sample register has no verdicts; these are written into a scratch copy and built."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo

HEADER = Package().resource("partner_verdicts").field_names  # the columns, from the schema
# UPD-0001 and UPD-0006 close the loop (done) on YS-0001 and YS-0006; UPD-0002 is planned
# (YS-0002 is closed below, by a later update).
VERDICTS = [
    ("VER-0001", "UPD-0001", "", "partly_agrees", "2026-01-10"),
    ("VER-0002", "UPD-0006", "", "disagrees", "2026-01-10"),
    ("VER-0003", "UPD-0002", "", "agrees", "2026-01-10"),
    ("VER-0004", "", "LOG-0001", "disagrees", "2026-02-10"),
    ("VER-0005", "UPD-0006", "", "cannot_tell", "2026-03-10"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("verdicts"))
    with (root / "datasets" / "partner_verdicts.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for vid, update, log, verdict, date in VERDICTS:
            w.writerow(
                [vid, update, log, "my_life_choices", verdict, f"Words of {vid}.", date, "nn_icb_strategy_2025", "7.0"]
            )
    # YS-0002 closed later: the agreement with its planned update (VER-0003) does not confirm it.
    with (root / "datasets" / "you_said_we_did_updates.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerow(
            [
                "UPD-9001",
                "YS-0002",
                "2025-10-01",
                "done",
                "What was planned was done.",
                "",
                "nn_icb_strategy_2025",
                "7.0",
            ]
        )
    build(Package(root), root / "build")
    conn = sqlite3.connect(root / "build" / "register.db")
    yield conn
    conn.close()


def test_partly_agreeing_confirms_a_closed_loop_and_a_verdict_on_a_planned_update_does_not(db):
    closed, with_verdict, confirmed, disputed = db.execute(
        "SELECT closed_items, items_with_verdict, confirmed_items, disputed_items FROM measure_loop_confirmed"
    ).fetchone()
    assert (with_verdict, confirmed, disputed) == (2, 1, 1)
    assert closed == db.execute("SELECT COUNT(*) FROM you_said_we_did_status WHERE loop_closed = 1").fetchone()[0]


def test_disputed_claims_are_the_disagreements_newest_first(db):
    rows = db.execute("SELECT verdict_id, claim_type, you_said_id, log_id FROM disputed_claims").fetchall()
    assert rows == [("VER-0004", "activity", None, "LOG-0001"), ("VER-0002", "update", "YS-0006", None)]
