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
