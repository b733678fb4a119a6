"""Which statuses close the loop is said once, in the statuses codelist: change it in a
scratch copy of the register and the views, the colours and the report's oracle follow."""

from __future__ import annotations

import sqlite3

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo, set_codelist_flag


def _closed_statuses(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {s for (s,) in conn.execute("select distinct status from you_said_we_did_current where loop_closed")}


def _open_overdue_statuses(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {s for (s,) in conn.execute("select distinct status from you_said_we_did_current where overdue")}


def test_the_views_read_closes_loop_from_the_codelist(tmp_path):
    root = copy_repo(tmp_path)
    build(Package(root), tmp_path / "before")
    db = tmp_path / "before" / "register.db"
    before = _closed_statuses(db)
    assert before and before <= {"done", "not_taken_forward"}
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
        closed = conn.execute(
            "select sum(loop_closed) from measure_you_said_we_did where status = 'in_progress'"
        ).fetchone()[0]
    assert closed == in_progress
