"""src/register/site/cache.py: the same answer, faster, and never the wrong answer.

Every test but the last two drives the real app in-process (register.site.serve's
datasette_instance over a real build, through datasette.client), where the cache is one
wrapper among the site's others; the last two run a real server as `make serve` does.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import shutil
import sqlite3
import time
import tracemalloc
import urllib.request
from pathlib import Path

import pytest

from register.site import cache as cache_mod
from register.site.serve import datasette_instance
from tests.conftest import Client
from tests.hostile_run import get, rss_mb, serve

LONG = "x" * 7000  # a long query string, well inside register/site/limits.py's bound


@pytest.fixture
def fresh(build_dir, tmp_path):
    """The real app over its own copy of the build, with an empty cache of its own."""
    copy = tmp_path / "build"
    shutil.copytree(build_dir, copy)
    ds = datasette_instance(copy)
    return Client(ds), cache_mod.cache_for(ds), copy


def nonce(response) -> str:
    return re.search(r"'nonce-([\w-]+)'", response.headers["content-security-policy"]).group(1)


def test_second_request_is_served_from_the_cache_with_the_same_content(fresh):
    client, cache, _ = fresh
    first = client.get("/register/projects?_facet=place")
    second = client.get("/register/projects?_facet=place")
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    assert cache.misses == 1 and cache.hits == 1
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == first.headers["cache-control"]
    # Identical apart from the CSP nonce, which is fresh on every response.
    n1, n2 = nonce(first), nonce(second)
    assert n1 != n2
    assert second.content == first.content.replace(n1.encode(), n2.encode())
    for name in ("x-content-type-options", "x-frame-options", "referrer-policy", "permissions-policy"):
        assert second.headers[name] == first.headers[name], name


def test_each_url_query_and_host_is_its_own_entry(fresh):
    client, cache, _ = fresh
    for path in ("/register/projects", "/register/projects?place=nottingham", "/register/gates"):
        assert client.get(path).headers["x-cache"] == "MISS", path
    assert client.get("/register/projects?place=nottingham").headers["x-cache"] == "HIT"
    other_host = client.get("/register/projects", headers={"host": "example.org"})
    assert other_host.headers["x-cache"] == "MISS"
    assert cache.misses == 4 and len(cache.entries) == 4


def test_requests_with_cookies_or_credentials_are_never_cached(fresh):
    client, cache, _ = fresh
    for headers in ({"cookie": "ds_actor=x"}, {"authorization": "Bearer x"}):
        client.get("/register/projects", headers=headers)
        again = client.get("/register/projects", headers=headers)
        assert again.status_code == 200 and "x-cache" not in again.headers
    assert len(cache.entries) == 0
    client.get("/register/projects")
    assert client.get("/register/projects").headers["x-cache"] == "HIT"


def test_only_get_and_never_datasettes_own_pages(fresh):
    client, cache, _ = fresh
    head = asyncio.run(client.ds.client.head("/register/projects"))
    assert head.status_code == 200 and "x-cache" not in head.headers
    for _ in range(2):
        versions = client.get("/-/versions.json")
        assert versions.status_code == 200 and "x-cache" not in versions.headers
    assert client.get("/-/static/app.css").headers["x-cache"] == "MISS"  # static files are kept
    assert len(cache.entries) == 1


def test_responses_that_must_not_be_shared_are_never_stored():
    """The rules for responses (the real app sends none of these on a public page)."""
    ok = [(b"content-type", b"text/html")]
    assert cache_mod.cacheable_response(200, ok)
    assert cache_mod.cacheable_response(404, ok)
    assert not cache_mod.cacheable_response(503, ok)
    assert not cache_mod.cacheable_response(200, ok + [(b"set-cookie", b"ds_csrftoken=x")])
    assert not cache_mod.cacheable_response(200, ok + [(b"cache-control", b"private, no-store")])
    assert not cache_mod.cacheable_response(200, ok + [(b"content-encoding", b"gzip")])
    assert not cache_mod.cacheable_response(200, ok + [(b"vary", b"Accept-Language")])


def test_a_failing_page_is_answered_from_the_cache_only_briefly(fresh, monkeypatch):
    client, cache, _ = fresh
    first = client.get("/register/no_such_table")
    second = client.get("/register/no_such_table")
    assert first.status_code == second.status_code == 404
    assert second.headers["x-cache"] == "HIT" and "etag" not in second.headers
    later = time.time() + cache_mod.NEGATIVE_AGE_S + 1
    monkeypatch.setattr(cache_mod.time, "time", lambda: later)
    assert client.get("/register/no_such_table").headers["x-cache"] == "MISS"


@pytest.mark.parametrize(
    "path,status",
    [
        ("/register/no_such_table", 404),
        ("/projects/PRJ-9999", 404),
        ("/you-said?status=nope", 400),
        ("/register/projects?_sort=nope", 400),
        ("/register.json?sql=select+1+from", 400),
        ("/downloads/no-such-file.csv", 404),
        ("/static/no-such-file.css", 404),
    ],
)
def test_an_error_tells_browsers_and_cdns_not_to_keep_it(fresh, path, status):
    """With no Cache-Control a CDN caches a 404 for its own default (an hour on some): a
    record's page asked for during a rolling deploy stayed "not found". This process keeps
    the error briefly; nothing downstream keeps it at all."""
    client, _, _ = fresh
    for attempt in ("first", "again"):
        response = client.get(path)
        assert response.status_code == status
        assert response.headers.get_list("cache-control") == ["no-store"], (path, attempt)
    assert client.get("/register/projects").headers["cache-control"] != "no-store"


def test_expired_entries_are_dropped_not_just_pushed_out(fresh, monkeypatch):
    """Expired error answers are gone after their 15 s whether or not anything needs the
    room; pages stay until their own age runs out."""
    client, cache, _ = fresh
    for i in range(20):
        assert client.get(f"/no-such-page-{i}?{LONG}").status_code == 404
    client.get("/register/projects")
    assert len(cache.entries) == 21
    now = time.time()
    monkeypatch.setattr(cache_mod.time, "time", lambda: now + cache_mod.NEGATIVE_AGE_S + 1)
    assert client.get("/-/static/app.css").headers["x-cache"] == "MISS"  # any request sweeps
    assert {key[2] for key in cache.entries} == {b"/register/projects", b"/-/static/app.css"}
    assert client.get("/register/projects").headers["x-cache"] == "HIT"
    monkeypatch.setattr(cache_mod.time, "time", lambda: now + cache_mod.MAX_AGE_S + 1)
    assert client.get("/register/projects").headers["x-cache"] == "MISS"
    assert cache.size == sum(e["size"] for e in cache.entries.values())


def test_a_new_build_is_never_answered_from_the_old_one(fresh, tmp_path):
    """Renamed into place, a new build is served once the site swaps it in (when its
    inspect file describes it: register/site/reload.py); until then the old build and its
    cached pages go on together, and from then on nothing the old build cached is answered."""
    from register.site import reload

    client, cache, copy = fresh
    client.get("/register/projects")
    assert client.get("/register/projects").headers["x-cache"] == "HIT"
    old_build = cache.build
    new = tmp_path / "new.db"  # the build writes a new file and renames it into place
    shutil.copy2(copy / "register.db", new)
    with sqlite3.connect(new) as conn:
        conn.execute("UPDATE register_build SET value = 'another build' WHERE key = 'inputs_sha256'")
    os.replace(new, copy / "register.db")
    assert client.get("/register/projects").headers["x-cache"] == "HIT"
    assert cache.build == old_build, "the build being served is still the old one"
    reload.swap(client.ds, "register", copy / "register.db", {})  # as the site's watcher does
    assert client.get("/register/projects").headers["x-cache"] == "MISS"
    assert cache.build == "register:another build"


def test_if_none_match_gets_304(fresh):
    client, _, _ = fresh
    etag = client.get("/register/projects").headers["etag"]
    again = client.get("/register/projects", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag


def test_bodies_over_the_entry_limit_pass_through_uncached(fresh, monkeypatch):
    client, cache, _ = fresh
    monkeypatch.setattr(cache_mod, "MAX_ENTRY_BYTES", 2000)
    first = client.get("/register/coproduction_log.csv?_stream=on")
    assert first.status_code == 200 and len(first.content) > 2000
    assert client.get("/register/coproduction_log.csv?_stream=on").headers.get("x-cache") != "HIT"
    assert len(cache.entries) == 0


def test_concurrent_misses_compute_once(fresh):
    client, cache, _ = fresh

    async def many():
        return await asyncio.gather(*(client.ds.client.get("/register/coproduction_log?_facet=gate") for _ in range(8)))

    responses = asyncio.run(many())
    assert all(r.status_code == 200 for r in responses)
    assert sorted(r.headers["x-cache"] for r in responses) == ["HIT"] * 7 + ["MISS"]
    assert cache.misses == 1


def test_memory_counts_keys_and_is_bounded_least_recently_used_first(fresh):
    """Many unique long URLs: what the cache counts is never over its budget, and what
    it really holds (measured by tracemalloc) is no more than what it counts."""
    client, cache, _ = fresh
    cache.max_bytes = 300_000
    client.get("/no-such-page-warm-up")  # Datasette's own first-request allocations
    tracemalloc.start()
    try:
        for i in range(150):
            assert client.get(f"/no-such-page-{i}?{LONG}").status_code == 404
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        counted = cache.size
        cache.clear()
        gc.collect()
        released = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0 < counted <= cache.max_bytes
    assert released <= counted, f"the cache held {released} bytes but counted {counted}"
    assert released > counted / 2, "the count is far above what is held: the test measures nothing"
    for i in range(150):
        client.get(f"/no-such-page-{i}?{LONG}")
    assert 0 < len(cache.entries) < 150 and cache.size <= cache.max_bytes
    assert client.get(f"/no-such-page-149?{LONG}").headers["x-cache"] == "HIT"  # the most recent
    assert client.get(f"/no-such-page-0?{LONG}").headers["x-cache"] == "MISS"  # the oldest was dropped


def test_a_real_servers_memory_stays_within_the_cache_budget(build_dir, tmp_path):
    """A real server with an 8 MB cache, sent 2,000 unique 7 KB URLs (14 MB of keys
    alone, 22 MB with their pages): it grows by no more than the budget and a small
    margin for Python's own allocator. Counting bodies alone, it grew by 13 MB for
    1,200 such URLs; counting everything, by 5 MB."""
    budget_mb = 8
    with serve(build_dir, tmp_path / "serve.log", REGISTER_CACHE_MB=str(budget_mb)) as (proc, port):
        for i in range(50):  # warm up Datasette, the templates and the allocator
            get(port, f"/no-such-page-warm-{i}?{LONG}")
        before = rss_mb(proc.pid)
        statuses = {get(port, f"/no-such-page-{i}?{LONG}")[0] for i in range(2000)}
        after = rss_mb(proc.pid)
    assert statuses == {404}
    assert after - before <= budget_mb + 4, f"grew from {before:.0f} MB to {after:.0f} MB"


def test_the_server_warms_its_main_pages_before_anyone_asks(build_dir, tmp_path):
    """`make serve` (src/register/site/serve.py) visits the main pages itself as soon as it is up
    (src/register/site/warm_cache.py), so the first visitor to each is answered from the cache."""
    log = tmp_path / "serve.log"
    with serve(build_dir, log, REGISTER_WARM="1") as (proc, port):
        wanted = [
            "/measures/balance",
            "/measures/balance/chart-narrow.svg",
            "/measures/balance/chart-wide.svg",
            "/gate-assurance",
            "/register/coproduction_log",
        ]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the server's own access log shows the warmer's visits
            text = Path(log).read_text(errors="replace")
            if all(f"GET {p} " in text for p in wanted):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the warmer never visited " + ", ".join(wanted))
        assert Path(log).read_text(errors="replace").count("GET /measures/balance ") == 1
        for path in wanted:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                assert r.status == 200 and r.headers["X-Cache"] == "HIT", path


def test_a_304_says_what_its_page_varies_by(fresh):
    """RFC 9110: a 304 carries the Vary its 200 would. The page varies by Accept-Encoding
    (it is compressed outside the cache), and the 304 said only "Cookie, Authorization":
    a CDN updating its stored copy from the 304 would then give a brotli body to a client
    that cannot read it."""
    client, _, _ = fresh
    page = client.get("/register/projects.json")
    again = client.get("/register/projects.json", headers={"if-none-match": page.headers["etag"]})
    assert again.status_code == 304
    assert "accept-encoding" in page.headers["vary"].lower()
    assert again.headers["vary"].lower() == page.headers["vary"].lower()
