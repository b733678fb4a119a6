"""Never stale, on the "You said" pages (issue 15): on a real server whose clock is moved
across an item's due date, the item's page, the list's overdue filter and the item's
feed turn overdue that same day, with no rebuild, no restart and no stale cached copy.

The register, the server under libfaketime and the clock file are those of
tests/integration/test_moved_clock.py, which checks the tables, measures and feeds.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from tests.conftest import copy_repo
from tests.hostile_run import serve
from tests.integration.test_moved_clock import (  # noqa: F401  (preload is a fixture)
    ATOM,
    ITEM,
    clock_env,
    fetch,
    preload,
    register_with_an_item_due_soon,
)
from tests.schema_text import column_title


def seen(port: int) -> dict:
    """What the item's page, the overdue list and the item's feed say today (asked twice:
    the second answer may come from the cache, and must say the same)."""
    answers = []
    for _ in range(2):
        status, _, page = fetch(port, f"/you-said/{ITEM}")
        assert status == 200, page[:300]
        due = page.split(f"<dt>{column_title('you_said_we_did_current', 'due_date')}</dt>", 1)[1].split("</dd>", 1)[0]
        status, _, listed = fetch(port, "/you-said?overdue=yes")  # newest first: the item is said last
        assert status == 200, listed[:300]
        status, _, feed = fetch(port, f"/feeds/you-said/{ITEM}.atom")
        said = next(e for e in ET.fromstring(feed).iter(f"{ATOM}entry") if e.find(f"{ATOM}title").text.endswith("said"))
        answers.append(
            {
                "page": "reg-overdue" in due,
                "list": f'href="/you-said/{ITEM}"' in listed,
                "feed": "(overdue)" in said.find(f"{ATOM}content").text,
                "feed_updated": said.find(f"{ATOM}updated").text[:10],
            }
        )
    assert answers[0] == answers[1]
    return answers[0]


def test_item_page_list_and_feed_turn_overdue_when_the_clock_passes_the_due_date(preload, tmp_path, monkeypatch):  # noqa: F811
    root = copy_repo(tmp_path)
    due = dt.date.fromisoformat(register_with_an_item_due_soon(root, monkeypatch))
    clock = tmp_path / "faketime"
    clock.write_text(f"@{due} 23:59:00\n")  # the due day itself: not yet overdue
    env = clock_env(preload, clock)
    with serve(root / "build", tmp_path / "serve.log", **env) as (_, port):
        before = seen(port)
        _, _, page = fetch(port, f"/you-said/{ITEM}")
        assert re.search(rf"{due.day} {due:%B %Y}</time>,\s+worked out from the response rule", page)
        clock.write_text(f"@{due + dt.timedelta(days=1)} 00:00:05\n")  # a minute later: the next day
        after = seen(port)
    # The said entry changes on the day it turns overdue: its `updated` says so.
    assert before.pop("feed_updated") < str(due + dt.timedelta(days=1))
    assert after.pop("feed_updated") == str(due + dt.timedelta(days=1))
    assert before == {"page": False, "list": False, "feed": False}
    assert after == {"page": True, "list": True, "feed": True}
