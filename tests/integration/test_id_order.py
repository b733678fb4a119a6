"""Two updates of one item on the same day: the later is the one with the higher number,
UPD-10000 after UPD-9999, though as text it sorts first. The current status, the item's
history on the site and the staff tools' history all order them by number."""

from __future__ import annotations

import asyncio
import re
import sqlite3

from register.database.build import build
from register.database.views import VIEWS_SQL
from register.schema.ddl import id_number
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance
from register.staff.identifiers import id_order
from register.staff.update_status import item_history
from tests.conftest import copy_repo, rewrite_dataset

IDS = ["UPD-10000", "UPD-9999", "UPD-0012", "UPD-00013", "nn_icb:UPD-0100", "nn_icb:UPD-99", "UPD-0003"]


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).lower()


def test_sql_and_python_put_identifiers_in_the_same_order():
    with sqlite3.connect(":memory:") as conn:
        conn.execute("create table t (id text)")
        conn.executemany("insert into t values (?)", [(i,) for i in IDS])
        by_sql = [i for (i,) in conn.execute(f"select id from t order by {id_number('id')}, id")]
    assert by_sql == sorted(IDS, key=id_order)
    assert by_sql.index("UPD-9999") < by_sql.index("UPD-10000")
    assert by_sql.index("UPD-0012") < by_sql.index("UPD-00013")


def test_views_and_saved_queries_order_updates_by_their_number():
    expression = _normal(id_number("u.id"))
    assert expression in _normal(VIEWS_SQL.read_text("utf-8"))
    assert expression in _normal((ROOT / "metadata.yml").read_text("utf-8"))


def test_the_later_update_of_a_day_is_the_one_with_the_higher_number(tmp_path):
    root = copy_repo(tmp_path)
    item = {}

    def two_more(rows: list[dict]) -> list[dict]:
        first = next(r for r in rows if r["status"] == "done")
        item.update(first)
        planned = {**first, "id": "UPD-9999", "status": "planned", "we_did": "Reopened to check."}
        done = {**first, "id": "UPD-10000", "status": "done", "we_did": "Checked and done again."}
        return [*rows, planned, done]

    rewrite_dataset(root, "you_said_we_did_updates", two_more)
    build(Package(root), tmp_path / "build")
    with sqlite3.connect(tmp_path / "build" / "register.db") as conn:
        status, we_did = conn.execute(
            "select status, we_did from you_said_we_did_current where id = ?", (item["you_said_id"],)
        ).fetchone()
    assert (status, we_did) == ("done", "Checked and done again.")

    history = [r["id"] for r in item_history(Package(root), {"you_said_id": item["you_said_id"]})]
    assert history[-2:] == ["UPD-9999", "UPD-10000"]

    ds = datasette_instance(tmp_path / "build")
    page = asyncio.run(ds.client.get(f"/you-said/{item['you_said_id']}")).text
    assert page.index("Reopened to check.") < page.index("Checked and done again.")


def test_the_latest_changes_are_the_newest_hundred_in_order(tmp_path):
    """The status-changes feed and the saved query of the latest changes read only the
    newest dates that hold their 100 entries (a bound, for speed at national scale): they
    list exactly the 100 an unbounded query gives, in its order, ties on a date by number."""
    root = copy_repo(tmp_path)

    def many(rows: list[dict]) -> list[dict]:
        model = next(r for r in rows if r["status"] == "done")
        dates = ("2026-01-01", "2026-01-02", "2026-01-03")
        return [
            *rows,
            *(
                {
                    **model,
                    "id": f"UPD-{9900 + k}",
                    "update_date": dates[k % 3],
                    "status": "done",
                    "we_did": f"Step {k}.",
                }
                for k in range(150)
            ),
        ]

    rewrite_dataset(root, "you_said_we_did_updates", many)
    build(Package(root), tmp_path / "build")
    with sqlite3.connect(tmp_path / "build" / "register.db") as conn:
        expected = [
            i
            for (i,) in conn.execute(
                f"select id from you_said_we_did_updates order by update_date desc, {id_number('id')} desc limit 100"
            )
        ]
    assert expected[:2] == ["UPD-10049", "UPD-10046"]  # 2026-01-03's, by number: 10,049 before 9,998

    ds = datasette_instance(tmp_path / "build")
    feed = asyncio.run(ds.client.get("/feeds/status-changes.atom")).text
    assert re.findall(r'<link rel="alternate" type="text/html" href="[^"#]*#(UPD-\d+)"', feed) == expected
    rows = asyncio.run(ds.client.get("/register/latest_status_changes.json?_shape=array")).json()
    dated = [(r["update_date"], r["you_said_id"]) for r in rows]
    with sqlite3.connect(tmp_path / "build" / "register.db") as conn:
        want = [
            conn.execute("select update_date, you_said_id from you_said_we_did_updates where id = ?", (i,)).fetchone()
            for i in expected
        ]
    assert dated == want
