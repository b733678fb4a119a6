"""A partner's verdict on a "You said" item reopened and closed again: the loop that is
closed now is the one closed again, so only a verdict on an update since the item was
reopened confirms it or disputes it. The verdict on the update the item was reopened from
judged a claim the register no longer makes (views.sql, measure_loop_confirmed, and the
loop_closed_date of you_said_we_did_status)."""

from __future__ import annotations

import asyncio
import html

from register.database.build import build
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import copy_repo, rewrite_dataset

SOURCE = {"source": "nn_icb_strategy_2025", "source_section": "7.0"}


def reopened_register(tmp_path, verdicts: list[tuple[str, str]]):
    """YS-0001 done (UPD-0001), reopened and done again; (update, verdict) pairs judged."""
    root = copy_repo(tmp_path)
    later = [
        {"id": "UPD-9001", "you_said_id": "YS-0001", "update_date": "2025-10-01", "status": "open", **SOURCE},
        {
            "id": "UPD-9002",
            "you_said_id": "YS-0001",
            "update_date": "2025-11-03",
            "status": "done",
            "we_did": "The shared definition was sent to everyone who came.",
            **SOURCE,
        },
    ]
    rewrite_dataset(root, "you_said_we_did_updates", lambda rows: rows + later)
    rewrite_dataset(
        root,
        "partner_verdicts",
        lambda rows: (
            rows
            + [
                {
                    "id": f"VER-{9001 + i}",
                    "update_id": update,
                    "partner": "my_life_choices",
                    "verdict": verdict,
                    "in_their_words": "Our words.",
                    "verdict_date": "2025-11-10",
                    **SOURCE,
                }
                for i, (update, verdict) in enumerate(verdicts)
            ]
        ),
    )
    build(Package(root), tmp_path / "build")
    return datasette_instance(tmp_path / "build")


def headline(ds) -> str:
    """The measure's headline as a reader sees it (the page escapes its quotes)."""
    page = asyncio.run(ds.client.get("/measures/loop_confirmed")).text
    return html.unescape(" ".join(page.split()))


def test_agreeing_with_the_update_an_item_was_reopened_from_does_not_confirm_it(tmp_path):
    ds = reopened_register(tmp_path, [("UPD-0001", "agrees")])
    assert '0 of 7 "You said" items that closed the loop are confirmed' in headline(ds)


def test_agreeing_with_the_update_that_closed_it_again_confirms_it(tmp_path):
    ds = reopened_register(tmp_path, [("UPD-9002", "partly_agrees")])
    assert '1 of 7 "You said" items that closed the loop is confirmed' in headline(ds)
