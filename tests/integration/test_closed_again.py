"""An item done, then marked done again later (to add what else was done): its loop closed
on the first date. Days open, and whether it closed late, count to that date, not to the
later update; an item reopened and closed again closed on the last date."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import sqlite3

from register.database.build import build
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import copy_repo, rewrite_dataset


def test_an_item_done_again_closed_when_it_was_first_done(tmp_path):
    root = copy_repo(tmp_path)
    first = {}

    def done_again(rows: list[dict]) -> list[dict]:
        first.update(next(r for r in rows if r["status"] == "done"))
        later = (dt.date.fromisoformat(first["update_date"]) + dt.timedelta(days=30)).isoformat()
        return [*rows, {**first, "id": "UPD-9001", "update_date": later, "we_did": "More was done."}]

    rewrite_dataset(root, "you_said_we_did_updates", done_again)
    build(Package(root), tmp_path / "build")
    item = first["you_said_id"]
    with sqlite3.connect(tmp_path / "build" / "register.db") as conn:
        said, due, days_open = conn.execute(
            "select said_date, due_date, days_open from you_said_we_did_current where id = ?", (item,)
        ).fetchone()
    closed = dt.date.fromisoformat(first["update_date"])
    assert days_open == (closed - dt.date.fromisoformat(said)).days
    late = (closed - dt.date.fromisoformat(due)).days
    assert late > 0, "the sample item closed in time: pick one that closed late"

    ds = datasette_instance(tmp_path / "build")
    page = asyncio.run(ds.client.get(f"/you-said/{item}")).text
    assert f"the loop closed {late:,} days after it was due" in page
    # The feeds call the second "done" an update of an item already done, not a change:
    # "YS-0902 is now Done" read as if the loop had only then been closed.
    record = asyncio.run(ds.client.get(f"/register/you_said_we_did/{item}.json?_shape=array")).json()[0]
    for path in (f"/feeds/you-said/{item}.atom", f"/feeds/status-changes.atom?project={record['project_id']}"):
        feed = asyncio.run(ds.client.get(path)).text
        assert f'<title type="text">{item} updated, still Done' in feed, path
        assert f'<title type="text">{item} is now Done' in feed, path  # the first time it was done


def test_a_first_update_that_leaves_an_item_open_is_not_a_change_of_status(tmp_path):
    """An item is recorded as the first status that is not a response (open) when said:
    a first update that leaves it open (to say it was heard, nothing decided) is "updated,
    still Open" in the feeds, as the item page's timeline shows it, not "is now Open"."""
    root = copy_repo(tmp_path)
    base = {"source": "nn_icb_strategy_2025", "source_section": "7.0", "we_did": "", "reason": ""}
    found = {}

    def heard(rows: list[dict]) -> list[dict]:
        with (root / "datasets" / "you_said_we_did.csv").open(newline="", encoding="utf-8") as f:
            said = {r["id"]: r["said_date"] for r in csv.DictReader(f)}
        found["item"] = min(set(said) - {r["you_said_id"] for r in rows})  # an item with no update
        day = max(said[found["item"]], "2025-10-01")
        return [*rows, {**base, "id": "UPD-9001", "you_said_id": found["item"], "update_date": day, "status": "open"}]

    rewrite_dataset(root, "you_said_we_did_updates", heard)
    build(Package(root), tmp_path / "build")
    item = found["item"]
    ds = datasette_instance(tmp_path / "build")
    record = asyncio.run(ds.client.get(f"/register/you_said_we_did/{item}.json?_shape=array")).json()[0]
    for path in (f"/feeds/you-said/{item}.atom", f"/feeds/status-changes.atom?project={record['project_id']}"):
        feed = asyncio.run(ds.client.get(path)).text
        assert f'<title type="text">{item} updated, still Open' in feed, path
        assert f"{item} is now Open" not in feed, path
