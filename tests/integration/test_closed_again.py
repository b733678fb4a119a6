"""An item done, then marked done again later (to add what else was done): its loop closed
on the first date. Days open, and whether it closed late, count to that date, not to the
later update; an item reopened and closed again closed on the last date."""

from __future__ import annotations

import asyncio
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
