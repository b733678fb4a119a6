"""An item's status history as the views read it (src/register/database/views.sql,
you_said_we_did_status): the first response is the first update that is not 'open', and
of two updates on one day the later-added (higher id) is the current one. The sample
register has one update per item; these are added to a scratch copy and built."""

from __future__ import annotations

import csv
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from register.database.build import build
from register.schema.package import Package
from tests.conftest import Client, copy_repo, datasette_instance

ATOM = "{http://www.w3.org/2005/Atom}"

# YS-0003 and YS-0004 were said on 2024-08-06 and planned on 2025-09-01 (UPD-0003, UPD-0004).
ADDED = [
    ["UPD-9001", "YS-0003", "2024-09-01", "open", "", "", "nn_icb_strategy_2025", "7.0"],
    ["UPD-9002", "YS-0004", "2025-09-01", "in_progress", "Work has begun.", "", "nn_icb_strategy_2025", "7.0"],
    # YS-0005 was planned on 2025-09-01 (UPD-0005): planned again with more said, and YS-0006,
    # done on 2025-09-01 (UPD-0006), done again.
    ["UPD-9003", "YS-0005", "2025-10-15", "planned", "Dates are set.", "", "nn_icb_strategy_2025", "7.0"],
    ["UPD-9004", "YS-0006", "2025-11-20", "done", "Done again.", "", "nn_icb_strategy_2025", "7.0"],
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("history"))
    with (root / "datasets" / "you_said_we_did_updates.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(ADDED)
    build(Package(root), root / "build")
    return root / "build"


@pytest.fixture(scope="module")
def db(built):
    conn = sqlite3.connect(built / "register.db")
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


def test_status_since_is_when_the_item_took_its_status_not_its_latest_update(db):
    """ "Planned since" is the day it was planned: an update that keeps the status, or an
    item done twice, does not move it. The update itself is still the latest."""
    assert status(db, "YS-0005") == ("planned", "2025-09-01", "2025-09-01", 391, 2)
    assert status(db, "YS-0006") == ("done", "2025-09-01", "2025-09-01", 391, 2)
    closed = db.execute("SELECT we_did, loop_closed_date FROM you_said_we_did_status WHERE id = 'YS-0006'")
    assert closed.fetchone() == ("Done again.", "2025-09-01")


def test_the_pages_and_the_feed_say_since_when_and_the_feed_shows_the_new_update(built):
    """The item page says planned since it was planned; the feed's entry is updated on the
    day of the new update, so feed readers show what was said again."""
    client = Client(datasette_instance(built))
    page = client.get("/you-said/YS-0005")
    assert page.status_code == 200
    text = " ".join(BeautifulSoup(page.text, "html.parser").get_text(" ").split())
    assert "Current status Planned since 1 September 2025 ." in text and "Dates are set." in text
    assert "6 August 2024 : said Recorded as Open ." in text  # the first status that is not a response
    feed = ET.fromstring(client.get("/feeds/you-said.atom").content)
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.find(f"{ATOM}link").get("href").endswith("/YS-0005"))
    assert entry.findtext(f"{ATOM}updated").startswith("2025-10-1")  # midnight in England: 14 or 15 October in UTC
    assert "(since 1 September 2025)" in entry.findtext(f"{ATOM}content")
