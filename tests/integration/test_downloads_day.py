"""The downloads and releases pages date an extract by the day in England, the day its
release is named by and its overdue figures are for, not by the UTC date, which is the
day before between midnight and one in the morning in summer."""

from __future__ import annotations

import asyncio
import datetime as dt

from register.database.build import build
from register.publishing.extracts import extract
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import copy_repo

# 00:30 on 2 June 2026 in England (BST), 23:30 on 1 June in UTC.
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)


def test_an_extract_made_just_after_midnight_in_summer_is_dated_that_day(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")
    root = copy_repo(tmp_path)
    package = Package(root)
    build(package, root / "build", progress=False)
    made = extract(package, root / "build" / "register.db", root / "build" / "extracts", now=JUST_AFTER_MIDNIGHT)
    assert made["release"].startswith("2026-06-02-")
    ds = datasette_instance(root / "build")
    downloads = asyncio.run(ds.client.get("/downloads")).text
    releases = asyncio.run(ds.client.get("/releases")).text
    created = '<time datetime="2026-06-01T23:30:00Z">'
    # The Date column of every file, and the list of releases ("built ..."), say 2 June.
    assert f'data-label="Date" class="nowrap">{created}2 Jun 2026</time>' in downloads
    assert "1 Jun 2026" not in downloads
    assert f"{made['release']}</a>, built {created}2 Jun 2026</time>" in releases
    # The exact time is given in England's time too: 23:30 UTC is 12:30am BST on 2 June
    # (it said "1 June 2026 at 23:30 UTC" beside "2 Jun 2026").
    assert f"{created}2 June 2026 at 12:30am</time>" in downloads
