"""Which statuses close the loop is said once, in the statuses codelist: change it in a
scratch copy of the register and the views, the colours, the report's oracle and the staff
commands follow."""

from __future__ import annotations

import csv
import sqlite3

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo, set_codelist_flag
from tests.staff_helpers import digest, exit_code, make, refused


def _closed_statuses(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {s for (s,) in conn.execute("select distinct status from you_said_we_did_current where loop_closed")}


def _open_overdue_statuses(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {s for (s,) in conn.execute("select distinct status from you_said_we_did_current where overdue")}


def test_the_views_read_closes_loop_from_the_codelist(tmp_path):
    root = copy_repo(tmp_path)
    # The sample has no item not taken forward: one is added (YS-0011, open until now),
    # so that a status the codelist stops counting as closing is seen to stop closing.
    with (root / "datasets" / "you_said_we_did_updates.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerow(
            [
                "UPD-9001",
                "YS-0011",
                "2025-10-01",
                "not_taken_forward",
                "",
                "It could not be afforded.",
                "nn_icb_strategy_2025",
                "7.0",
            ]
        )
    build(Package(root), tmp_path / "before")
    db = tmp_path / "before" / "register.db"
    before = _closed_statuses(db)
    assert before == {"done", "not_taken_forward"}
    with sqlite3.connect(db) as conn:
        in_progress = conn.execute(
            "select count(*) from you_said_we_did_current where status = 'in_progress'"
        ).fetchone()[0]
    assert in_progress, "the sample data has no item in progress to move"

    set_codelist_flag(root, "statuses", "closes_loop", {"done", "in_progress"})
    build(Package(root), tmp_path / "after")
    db = tmp_path / "after" / "register.db"
    after = _closed_statuses(db)
    assert "in_progress" in after and "not_taken_forward" not in after
    assert "in_progress" not in _open_overdue_statuses(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "select loop_closed, overdue from you_said_we_did_current where id = 'YS-0011'"
        ).fetchone() == (0, 1), "an item whose status no longer closes the loop is open, and past its due date"
    with sqlite3.connect(db) as conn:
        closed = conn.execute(
            "select sum(loop_closed) from measure_you_said_we_did where status = 'in_progress'"
        ).fetchone()[0]
    assert closed == in_progress


def test_the_staff_commands_read_closes_loop_from_the_codelist(tmp_path):
    """With in_progress closing the loop and not_taken_forward not, an item in progress is
    closed to `make update-status` and to a file of updates: reopening it needs a reason,
    closing it again is warned about; an item not taken forward reopens without one.
    YS-0044 is in progress (UPD-0027 on 2025-09-01), YS-0010 and YS-0011 are open."""
    root = copy_repo(tmp_path)
    set_codelist_flag(root, "statuses", "closes_loop", {"done", "in_progress"})
    cite = {"SOURCE": "nn_icb_strategy_2025", "SECTION": "8.2"}
    updates = tmp_path / "updates.csv"
    updates.write_text(
        "id,you_said_id,update_date,status,we_did,reason,source,source_section\r\n"
        ",YS-0010,2026-01-01,in_progress,Work began.,,nn_icb_strategy_2025,8.2\r\n"
        ",YS-0010,2026-01-02,open,,,nn_icb_strategy_2025,8.2\r\n"  # reopens: in progress closes now
        ",YS-0011,2026-01-01,not_taken_forward,,It could not be afforded.,nn_icb_strategy_2025,8.2\r\n"
        ",YS-0011,2026-01-02,open,,,nn_icb_strategy_2025,8.2\r\n",  # not taken forward no longer closes
        "utf-8",
    )
    result = refused(root, TABLE="you_said_we_did_updates", FILE=updates, REBUILD="no")
    assert f"{updates}, row 3, field reason: YS-0010 is closed ('in_progress' on 2026-01-01, row 2 of this file)" in (
        result.stderr
    )
    assert "1 problem in 1 row." in result.stderr, result.stderr

    bare = refused(root, "update-status", ID="YS-0044", STATUS="open", **cite)
    assert "YS-0044 is closed ('in_progress' on 2025-09-01, UPD-0027)" in bare.stderr, bare.stderr

    before = digest(root)
    again = make("update-status", root, ID="YS-0044", STATUS="done", NOTE="It was done.", **cite)
    assert exit_code(again) == 0, again.stderr
    assert digest(root) != before
    assert "Warning: YS-0044 was already closed ('in_progress' on 2025-09-01, UPD-0027); this closes it again." in (
        again.stderr
    )


def test_the_pages_read_closes_loop_from_the_codelist(tmp_path):
    """With in_progress closing the loop, YS-0044 (in progress) is shown closed, and an open
    item's page and a project's page name the statuses that close it, in the codelist's
    order."""
    from register.site.serve import datasette_instance
    from tests.conftest import Client

    root = copy_repo(tmp_path)
    set_codelist_flag(root, "statuses", "closes_loop", {"done", "in_progress"})
    build(Package(root), tmp_path / "build")
    client = Client(datasette_instance(tmp_path / "build"))
    assert "The loop is closed." in client.get("/you-said/YS-0044").text
    assert "it closes when the item is in progress, or done." in client.get("/you-said/YS-0010").text
    assert "closed the loop (in progress, or done)" in client.get("/projects/PRJ-0002").text
