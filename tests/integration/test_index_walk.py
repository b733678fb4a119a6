"""A filtered table page sorted by a column an index leads with reads that index in order
when the filters keep many rows (register/site/index_walk.py): every page, first and
next, has the rows SQLite's own plan gives, in its order, and "Next" walks every kept row
once. On the small sample register every filter keeps few rows, so here any number kept
counts as many."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from register.site import index_walk

ITEMS = "/register/you_said_we_did"


@pytest.fixture
def walking(monkeypatch):
    """Every filtered page walked, and the queries changed recorded."""
    monkeypatch.setattr(index_walk, "SORTED_ROWS", 1)
    monkeypatch.setattr(index_walk, "WALK_SHARE", 0)
    changed, original = [], index_walk.walked

    async def recording(db, sql, params):
        new = await original(db, sql, params)
        if new != sql:
            changed.append(new)
        return new

    monkeypatch.setattr(index_walk, "walked", recording)
    return changed


def pages(client, path: str) -> list[list]:
    """Each page's rows (as lists), following "Next" to the end."""
    found = []
    while path:
        page = client.get(path, cookies={"fresh": "1"})
        assert page.status_code == 200, path
        data = page.json()
        found.append(data["rows"])
        path = data.get("next_url")
        path = re.sub(r"^https?://[^/]+", "", unescape(path)) if path else None
    return found


FILTERS = ["theme=governance", "theme=networks", "project_id=PRJ-0002"]
SORTS = [
    "_sort=id",
    "_sort_desc=id",
    "_sort=said_date",
    "_sort_desc=said_date",
    "_sort=activity_id",
    "_sort_desc=target_date",
]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filtered", FILTERS)
def test_every_page_has_the_rows_sqlite_gives(client, walking, monkeypatch, filtered, sort):
    path = f"{ITEMS}.json?{filtered}&{sort}&_size=3&_shape=arrays"
    walked = pages(client, path)
    assert len(walking) >= len(walked) > 1, "not every page's query was read in its sort's index"
    assert all("indexed by" in sql for sql in walking)
    with monkeypatch.context() as m:
        m.setattr(index_walk, "walked", _unchanged)
        assert walked == pages(client, path)
    every = [row for page in walked for row in page]
    assert len(every) == len({tuple(map(str, row)) for row in every})  # each row once


def test_a_filter_that_keeps_few_rows_is_left_to_sqlite(client, monkeypatch):
    changed = []
    original = index_walk.walked

    async def recording(db, sql, params):
        new = await original(db, sql, params)
        changed.append(new != sql)
        return new

    monkeypatch.setattr(index_walk, "walked", recording)
    assert client.get(f"{ITEMS}?theme=governance&_sort=id").status_code == 200
    assert changed and not any(changed)  # 5,000 rows kept, at least: never on the sample


def test_the_null_check_of_a_next_page_goes_only_where_no_row_is_null(client, walking, monkeypatch):
    """Sorted downwards, a next page's condition says `or <column> is null`: dropped for
    a column with no NULL (said_date), kept for one with some."""
    path = f"{ITEMS}.json?theme=governance&_sort_desc=said_date&_size=2"
    pages(client, path)
    said = [sql for sql in walking if "said_date <" in sql]
    assert said and not any("said_date is null" in sql for sql in said)
    walking.clear()
    with monkeypatch.context() as m:
        m.setattr(index_walk, "_has_null", _yes)
        pages(client, path)
    said = [sql for sql in walking if "said_date <" in sql]
    assert said and all("said_date is null" in sql for sql in said)


async def _yes(*args):
    return True


async def _unchanged(db, sql, params):
    return sql


def test_a_value_with_quotes_is_a_filter_like_any_other(client, walking):
    assert client.get(f"{ITEMS}.json?theme={quote(chr(39) + 'x')}&_sort=id").status_code == 200


@pytest.mark.parametrize("sort", ["_sort=project_id", "_sort_desc=project_id"])
@pytest.mark.parametrize("filtered", ["passed=0", "passed=1", "gate=plan"])
def test_a_table_without_stored_codes_is_counted_from_its_stored_facet_counts(
    client, walking, monkeypatch, filtered, sort
):
    """gate_assurance has no codes: how many rows a facet's value keeps is its stored count."""
    path = f"/register/gate_assurance.json?{filtered}&{sort}&_size=2&_shape=arrays"
    walked = pages(client, path)
    assert len(walking) >= len(walked) >= 1 and all("indexed by" in sql for sql in walking)
    with monkeypatch.context() as m:
        m.setattr(index_walk, "walked", _unchanged)
        assert walked == pages(client, path)


def test_a_view_is_left_to_sqlite(client, walking):
    assert client.get("/register/you_said_we_did_current?theme=governance&_sort=id").status_code == 200
    assert not walking
