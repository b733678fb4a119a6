"""A feed entry's `updated` is the start of its day in England, where the site's day turns
(an item turns overdue at midnight there), not midnight UTC, which is an hour later in
summer: read at half past midnight, an entry for that day was stamped in the future."""

from __future__ import annotations

import datetime as dt
import time
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Client

ATOM = "{http://www.w3.org/2005/Atom}"
ENGLAND = ZoneInfo("Europe/London")


@pytest.fixture
def in_england(monkeypatch):
    """This process on England's clock, as `make serve` runs the site."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("path", ["/feeds/you-said.atom", "/feeds/status-changes.atom", "/feeds/you-said/YS-0001.atom"])
def test_every_updated_time_is_midnight_in_england_of_its_day(in_england, ds, path):
    page = Client(ds).get(path)
    assert page.status_code == 200
    stamps = [el.text for el in ET.fromstring(page.content).iter() if el.tag in (f"{ATOM}updated", f"{ATOM}published")]
    assert stamps
    for text in stamps:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ENGLAND)
        assert (when.date().isoformat(), when.time()) == (text[:10], dt.time()), text


@pytest.mark.parametrize(
    "path", ["/feeds/you-said.atom?project=PRJ-0001", "/feeds/status-changes.atom?project=PRJ-0001"]
)
def test_a_feed_with_no_entry_is_dated_when_its_build_was_written(ds, build_dir, path):
    """PRJ-0001 has no "You said" item: its feeds are empty, and were dated 1 January 1970,
    which a feed reader shows as the feed's date. They are as they are since the build."""
    page = Client(ds).get(path)
    assert page.status_code == 200
    feed = ET.fromstring(page.content)
    assert feed.find(f"{ATOM}entry") is None, "the sample's PRJ-0001 has no item"
    updated = dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
    written = dt.datetime.fromtimestamp((build_dir / "register.db").stat().st_mtime, dt.UTC)
    assert abs(updated - written) < dt.timedelta(seconds=1)
