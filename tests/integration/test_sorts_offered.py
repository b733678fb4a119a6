"""A big table offers only the sorts an index serves (register/database/sortable.py), and
says so plainly when asked for another; the sorts come with the build being served.

The sample register is small, so these builds count 50 rows as big: its 80 "You said"
items are then a big table."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from register.database import sortable
from register.database.build import build
from register.site import reload
from register.site.serve import datasette_instance

ITEMS = "/register/you_said_we_did"


@pytest.fixture(scope="module")
def big_build(tmp_path_factory, package):
    out = tmp_path_factory.mktemp("big_build")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sortable, "BIG_ROWS", 50)
        build(package, out, progress=False)
    return out


@pytest.fixture(scope="module")
def big(big_build):
    ds = datasette_instance(big_build)
    return lambda path: asyncio.run(ds.client.get(path))


def sort_links(html: str) -> set[str]:
    return set(re.findall(r'class="column-name" href="[^"]*[?&]_sort(?:_desc)?=([\w]+)', html))


def test_the_build_records_the_sorts_each_big_table_offers(big_build):
    import sqlite3

    offered = sortable.stored(sqlite3.connect(big_build / "register.db"))
    assert "you_said" not in offered["you_said_we_did"]  # free text, no index
    assert {"id", "said_date", "theme"} <= set(offered["you_said_we_did"])
    assert "coproduction_log" not in offered  # 8 rows: every sort


def test_a_big_tables_headings_link_only_the_sorts_it_offers(big, big_build):
    import sqlite3

    offered = set(sortable.stored(sqlite3.connect(big_build / "register.db"))["you_said_we_did"])
    page = big(ITEMS)
    assert page.status_code == 200
    assert sort_links(page.text) and sort_links(page.text) <= offered
    assert "you_said" not in sort_links(page.text)
    assert 'value="you_said"' not in page.text.split('id="sort_by"', 1)[1].split("</select>", 1)[0]
    assert "too big to sort quickly by every column" in page.text
    assert big(f"{ITEMS}?_sort=theme").status_code == 200
    small = big("/register/coproduction_log").text
    assert {"title", "description"} <= sort_links(small)
    assert "too big to sort" not in small


@pytest.mark.parametrize("key", ["_sort", "_sort_desc"])
def test_a_sort_a_big_table_does_not_offer_is_a_plain_400(big, key):
    page = big(f"{ITEMS}?{key}=you_said")
    assert page.status_code == 400
    assert f"too many rows to be sorted by you_said quickly ({key}=)" in page.text
    assert "It can be sorted by You said ID, " in page.text
    data = big(f"{ITEMS}.json?{key}=you_said")
    assert data.status_code == 400 and "use the filters or the search" in data.json()["error"]
    # A column the table does not have is still said to be missing.
    assert "it has no column of that name" in big(f"{ITEMS}?{key}=nothing_here").text


def test_a_running_site_takes_its_sorts_from_each_new_build(build_dir, big_build, tmp_path):
    """A site serving the ordinary build offers every sort; once a build that counts the
    items as big is swapped in (as `make append` past 50,000 rows would), it does not."""
    import shutil

    served = tmp_path / "build"
    shutil.copytree(build_dir, served)
    ds = datasette_instance(served)
    get = lambda path: asyncio.run(ds.client.get(path))  # noqa: E731
    assert get(f"{ITEMS}?_sort=you_said").status_code == 200
    shutil.copyfile(big_build / "register.db", served / "register.db.new")
    (served / "register.db.new").replace(served / "register.db")
    reload.swap(ds, "register", served / "register.db", json.loads((big_build / "inspect.json").read_text("utf-8")))
    assert get(f"{ITEMS}?_sort=you_said").status_code == 400
    assert "you_said" not in sort_links(get(ITEMS).text)


@pytest.fixture(scope="module")
def own_sorts(big_build, tmp_path_factory):
    """The big build served with metadata.yml giving two tables their own sortable_columns:
    the big "You said" items, and the small projects table."""
    import shutil

    out = tmp_path_factory.mktemp("own_sorts") / "build"
    shutil.copytree(big_build, out)
    metadata = json.loads((out / "metadata.json").read_text("utf-8"))
    tables = metadata["databases"]["register"]["tables"]
    tables["you_said_we_did"]["sortable_columns"] = ["id", "said_date"]
    tables["projects"]["sortable_columns"] = ["id", "title"]
    (out / "metadata.json").write_text(json.dumps(metadata), "utf-8")
    ds = datasette_instance(out)
    return lambda path: asyncio.run(ds.client.get(path))


def test_sortable_columns_set_in_metadata_yml_are_the_ones_a_refusal_names(own_sorts):
    theme = own_sorts(f"{ITEMS}?_sort=theme")  # the build offers it; metadata.yml does not
    assert theme.status_code == 400
    assert "no column of that name" not in theme.text
    assert "It can be sorted by You said ID, Date said: the column headings with a link" in theme.text
    place = own_sorts("/register/projects?_sort=place")  # a small table: not "too many rows"
    assert place.status_code == 400
    assert "no column of that name" not in place.text and "too many rows" not in place.text
    assert "It can be sorted by Project ID, Project: the column headings with a link" in place.text
    assert "too big to sort" not in own_sorts("/register/projects").text
    assert "it has no column of that name" in own_sorts("/register/projects?_sort=nothing_here").text


def test_a_refusal_names_the_sorts_by_their_headings(big):
    page = big(f"{ITEMS}?_sort=you_said")
    assert "It can be sorted by You said ID, Project, " in page.text
    assert ", Date said, " in page.text
