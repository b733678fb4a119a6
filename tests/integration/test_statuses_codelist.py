"""Which statuses are a response is said once, in the statuses codelist's `responds`
column (standard 1.3.0): the status of an item with no update, its first response and
the Monitor and Evaluate gate's evidence follow it, with no status code written into the
views. An update that leaves an item open, with nothing done or decided, is not the
"You said, we did" evidence the strategy asks for at that gate."""

from __future__ import annotations

import sqlite3

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo, rewrite_dataset, set_codelist_flag

SOURCE = {"source": "nn_icb_strategy_2025", "source_section": "7.0"}


def _evidence(conn, project: str) -> tuple:
    return conn.execute(
        "select evidence_published, evidence from gate_assurance where project_id = ? and gate = 'monitor_evaluate'",
        (project,),
    ).fetchone()


def _count(conn, project: str) -> int:
    """The responses the gate counts, as its evidence says them ("47 ... responses published")."""
    return int(_evidence(conn, project)[1].split()[0])


def _item(conn, item: str) -> tuple:
    return conn.execute(
        "select status, first_response_date, loop_closed from you_said_we_did_current where id = ?", (item,)
    ).fetchone()


def test_an_update_that_leaves_an_item_open_is_not_evidence_at_monitor_and_evaluate(tmp_path):
    """An item with no update is given one that leaves it open: the project's count of
    "You said, we did" responses does not move, and the item has had no response. Planned,
    it has, and the count goes up by one."""
    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    build(Package(root), tmp_path / "before")
    with sqlite3.connect(tmp_path / "before" / "register.db") as conn:
        item, project = conn.execute(
            "select id, project_id from you_said_we_did where id not in (select you_said_id from you_said_we_did_updates)"
            " order by id limit 1"
        ).fetchone()
        responses = _count(conn, project)
        assert _item(conn, item) == ("open", None, 0)

    opened = {"id": "UPD-9001", "you_said_id": item, "update_date": "2025-10-01", "status": "open", **SOURCE}
    rewrite_dataset(root, "you_said_we_did_updates", lambda rows: [*rows, {**opened, "we_did": "", "reason": ""}])
    build(Package(root), tmp_path / "open")
    with sqlite3.connect(tmp_path / "open" / "register.db") as conn:
        assert _count(conn, project) == responses
        assert conn.execute("select updates from you_said_we_did_current where id = ?", (item,)).fetchone() == (1,)
        assert _item(conn, item) == ("open", None, 0)

    planned = {**opened, "id": "UPD-9002", "update_date": "2025-11-01", "status": "planned", "we_did": "A plan."}
    rewrite_dataset(root, "you_said_we_did_updates", lambda rows: [*rows, {**planned, "reason": ""}])
    build(Package(root), tmp_path / "planned")
    with sqlite3.connect(tmp_path / "planned" / "register.db") as conn:
        assert _count(conn, project) == responses + 1
        assert _item(conn, item) == ("planned", "2025-11-01", 0)


def test_the_views_read_which_statuses_are_a_response_from_the_codelist(tmp_path):
    """Only the codelist changes: 'planned' is no longer a response. Items whose only
    update is planned have had no response, and the gate counts fewer; an item with no
    update is still recorded as the first status that is not a response ('open')."""
    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    build(Package(root), tmp_path / "before")
    set_codelist_flag(root, "statuses", "responds", {"in_progress", "done", "not_taken_forward"})
    build(Package(root), tmp_path / "after")
    before = sqlite3.connect(tmp_path / "before" / "register.db")
    after = sqlite3.connect(tmp_path / "after" / "register.db")
    planned_only = [
        i
        for (i,) in before.execute(
            "select you_said_id from you_said_we_did_updates group by 1 having max(status) = 'planned' "
            "and min(status) = 'planned'"
        )
    ]
    assert planned_only, "the sample has items only planned"
    for item in planned_only:
        assert _item(before, item)[1] is not None and _item(after, item)[1] is None
    planned = before.execute(
        "select count(*) from you_said_we_did_updates u join you_said_we_did y on y.id = u.you_said_id "
        "where y.project_id = 'PRJ-0002' and u.status = 'planned'"
    ).fetchone()[0]
    assert _count(after, "PRJ-0002") == _count(before, "PRJ-0002") - planned
    no_update = before.execute(
        "select id from you_said_we_did where id not in (select you_said_id from you_said_we_did_updates) limit 1"
    ).fetchone()
    assert no_update and _item(after, no_update[0])[0] == "open"
    # The codelist in the other order: 'planned' first, so an item with no update is planned.
    set_codelist_flag(root, "statuses", "responds", {"open", "in_progress", "done", "not_taken_forward"})
    build(Package(root), tmp_path / "swapped")
    with sqlite3.connect(tmp_path / "swapped" / "register.db") as conn:
        assert _item(conn, no_update[0])[0] == "planned"


def test_how_to_follow_says_what_an_item_starts_as_and_what_is_a_response_from_the_codelist(tmp_path):
    """The page said "Every item starts as open" whatever the codelist said: with 'planned'
    the first status that is not a response, an item with no update is planned (the views
    say so), and the page says so too, with which updates are a response."""
    from register.site.serve import datasette_instance
    from tests.conftest import Client
    from tests.integration.test_you_said_pages import text_of

    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    set_codelist_flag(root, "statuses", "responds", {"open", "in_progress", "done", "not_taken_forward"})
    build(Package(root), tmp_path / "build")
    words = text_of(Client(datasette_instance(tmp_path / "build")).get("/you-said/how-to-follow").text)
    assert "Every item starts as Planned." in words and "starts as open" not in words
    assert (
        "An item's first response is its first update that is open, or in progress, or done, or not taken forward."
        in (words)
    )
    assert '"Status since" is the day the item took its current status' in words
