"""The bench times every page type and filter the site links to (docs/performance.md: "p95
<= 100 ms for every page type and filter the site links to"): the site is crawled from
its home page as a visitor would, and each page type found (tests/integration/site_crawl.py
says what one is) must be one `public_pages()` lists. The sample register is crawled, and
a generated one big enough to have what only a bigger register links to (next pages,
later pages of the lists, "Show all" of a facet's values)."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Client
from site_crawl import crawl, uncovered

from register.bench import pages as bench_pages
from register.bench.generate import generate
from register.database.build import build
from register.schema.package import Package
from register.site.serve import datasette_instance


def timed_paths(ds, db_path, monkeypatch) -> list[str]:
    """The bench's list for this register, its pages read from the register itself (in
    process) where the bench reads them from its server."""

    def get(port, path, headers=None):
        response = asyncio.run(ds.client.get(path, cookies={"bench": "1"}))
        return response.status_code, dict(response.headers), response.content

    monkeypatch.setattr(bench_pages, "get", get)
    return [path for _, path in bench_pages.public_pages(0, db_path)]


def assert_bench_covers(ds, db_path, monkeypatch) -> None:
    found = crawl(ds)
    missing = uncovered(ds, found, timed_paths(ds, db_path, monkeypatch))
    listed = "\n".join(f"  {kind}: {url}" for kind, url in sorted(missing.items(), key=str))
    assert not missing, f"linked by the site but not timed by the bench (register/bench/pages.py):\n{listed}"


def test_the_bench_times_every_page_type_the_sample_register_links_to(ds, build_dir, monkeypatch):
    assert_bench_covers(ds, build_dir / "register.db", monkeypatch)


@pytest.fixture(scope="module")
def bigger(tmp_path_factory):
    root = tmp_path_factory.mktemp("bigger")
    generate(root, size=400, seed=5)
    build(Package(root), root / "build")
    return root / "build"


def test_the_bench_times_every_page_type_a_bigger_register_links_to(bigger, monkeypatch):
    ds = datasette_instance(bigger)
    # Big enough for the links only a bigger register has.
    log = Client(ds).get("/register/coproduction_log").text
    assert "_next=" in log and "_facet_size=max" in log
    assert "page=2" in Client(ds).get("/you-said").text
    assert_bench_covers(ds, bigger / "register.db", monkeypatch)
