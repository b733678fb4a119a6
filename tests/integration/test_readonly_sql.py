"""The public site stays read-only and bounded, and tells no one about its insides.

Arbitrary SQL is a feature for analysts, so it is tested as an attacker would use it:
writes, ATTACH, load_extension, writing PRAGMAs, memory-address leaks, huge values,
queries that run for ever, floods of them; and every error page is checked for file
paths, stack traces and server internals. Served in-process exactly as `make serve`
serves it (tests/conftest.py), with src/register/site/sql_guard.py and src/register/site/hide_internals.py.
"""

from __future__ import annotations

import asyncio
import html
import time
from urllib.parse import urlencode

import pytest

from register.schema.package import ROOT
from register.util.files import sha256_file as sha256

WRITES = [
    "insert into projects (id, title) values ('PRJ-9999', 'x')",
    "update projects set title = 'changed'",
    "delete from projects",
    "drop table projects",
    "create table evil (a)",
    "create temp table evil (a)",
    "create temp view evil as select 1",
    "alter table projects add column evil",
    "attach database '/tmp/evil.db' as evil",
    "attach database ':memory:' as evil",
    "detach database main",
    "with x as (select 1) delete from projects",
    "with x as (select 1) insert into projects (id) select 'PRJ-9998' from x",
    "with x as (select 1) update projects set title = 'changed'",
    "select 1; drop table projects",
    "select 1; attach database '/tmp/evil.db' as evil",
    "pragma writable_schema = 1",
    "pragma journal_mode = wal",
    "pragma query_only = 0",
    "pragma user_version = 7",
    "pragma temp_store_directory = '/tmp'",
    "vacuum",
    "vacuum into '/tmp/register-copy.db'",
    "reindex",
    "analyze",
    "replace into projects (id, title) values ('PRJ-0001', 'x')",
    "begin immediate",
    "savepoint evil",
    "/* hidden */ delete from projects",
    "-- a comment line\ndelete from projects",
    "select load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
    "select load_extension('mod_spatialite')",
    "select fts3_tokenizer('simple')",
    "select hex(fts3_tokenizer('simple'))",
    "select fts3_tokenizer('simple', x'4141414141414141')",
    "select readfile('/etc/passwd')",
    "select writefile('/tmp/evil', 'x')",
]


def query(client, sql: str, fmt: str = ".json", **params):
    return client.get(f"/register{fmt}", params={"sql": sql, **params})


@pytest.fixture(scope="module")
def db_hash(build_dir):
    return sha256(build_dir / "register.db")


@pytest.mark.parametrize("sql", WRITES)
def test_writes_and_escapes_are_refused(client, sql):
    r = query(client, sql)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    body = r.json()
    assert body["ok"] is False and body["error"], body
    assert body.get("rows") in (None, [])
    html = query(client, sql, fmt="")
    assert html.status_code == 400
    assert "Traceback" not in html.text


def test_nothing_was_changed_by_the_attempts(client, ds, build_dir, db_hash):
    for sql in WRITES:
        query(client, sql)
    assert sha256(build_dir / "register.db") == db_hash
    r = client.get("/register/projects.json?_size=0")
    assert r.json()["filtered_table_rows_count"] > 0
    for name in ("evil",):
        assert client.get(f"/register/{name}").status_code == 404


def test_the_database_is_opened_read_only(ds):
    db = ds.databases["register"]
    assert db.is_mutable is False


def test_reading_sql_still_works(client):
    r = query(client, "select printf('%5.1f%%', 12.345) as p, format('%,d', 1234567) as f", _shape="array")
    assert r.json() == [{"p": " 12.3%", "f": "1,234,567"}]
    r = query(client, "select id, title from projects order by id limit 3", _shape="objects")
    assert r.status_code == 200 and len(r.json()["rows"]) == 3
    r = query(client, "select name from pragma_table_info('projects')", _shape="array")
    assert {"id", "title"} <= {row["name"] for row in r.json()}
    r = query(
        client,
        "with recursive c(x) as (select 1 union all select x + 1 from c where x < 10) select sum(x) as s from c",
        _shape="array",
    )
    assert r.json() == [{"s": 55}]


def test_no_memory_address_or_file_path_through_sql(client, build_dir):
    r = query(client, "select * from pragma_database_list", _shape="array")
    assert r.status_code == 200
    assert str(build_dir) not in r.text and "register.db" not in r.text
    assert all(row["file"] in (None, "") for row in r.json())
    r = query(client, "select hex(fts3_tokenizer('simple')) as p")
    assert r.status_code == 400 and "not authorized" in r.json()["error"]


@pytest.mark.parametrize(
    "sql,said",
    [
        ("with x as (select 1) delete from projects", "only runs queries that read data"),
        ("with x as (select 1) insert into projects (id) values ('PRJ-9999')", "only runs queries that read data"),
        ("select load_extension('/tmp/x')", "The function load_extension() is not authorized on the register"),
        ("select zeroblob(200000)", "too big for the register (over 100 kB)"),
    ],
)
@pytest.mark.parametrize("fmt", ["", ".json", ".csv"])
def test_a_refused_query_says_why_in_plain_words(client, sql, said, fmt):
    """SQLite's own words for the guard's refusals were "not authorized" and "string or
    blob too big", which say nothing of why: a plain sentence, on the page, in JSON and CSV."""
    r = client.get(f"/register{fmt}?" + urlencode({"sql": sql}))
    assert r.status_code == 400
    assert said in (r.json()["error"] if fmt == ".json" else html.unescape(r.text)), (sql, fmt)


@pytest.mark.parametrize(
    "sql",
    [
        "select randomblob(1000000000)",
        "select zeroblob(900000000)",
        "select length(replace(hex(zeroblob(400000000)), '0', 'ab'))",
        "select printf('%.*c', 2147483647, 'x')",
        "select format('%*d', 2147483647, 1)",
        "select instr(hex(zeroblob(49000)), hex(zeroblob(24000)) || 'b')",
        "select instr(printf('%.*c', 999999, 'a'), printf('%.*c', 500000, 'a') || 'b')",
        "select group_concat(hex(randomblob(100000))) from "
        "(with recursive c(x) as (select 1 union all select x + 1 from c where x < 100) select x from c)",
    ],
)
def test_values_too_big_to_return_are_refused_quickly(client, sql):
    start = time.perf_counter()
    r = query(client, sql)
    seconds = time.perf_counter() - start
    assert seconds < 3, f"{seconds:.1f} s: one function call the time limit cannot interrupt"
    assert len(r.content) < 2_000_000, f"{len(r.content):,} bytes returned"
    if r.status_code == 200:  # printf gives NULL when too big: fine, nothing large came back
        assert all(v is None or len(str(v)) < 100_001 for row in r.json()["rows"] for v in row)
    else:
        assert r.status_code == 400 and "too big" in r.json()["error"]


RUNAWAY = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) select count(*) from c"


def test_a_query_that_runs_too_long_is_stopped_at_the_limit(client, ds):
    limit_s = ds.setting("sql_time_limit_ms") / 1000
    start = time.perf_counter()
    r = query(client, RUNAWAY)
    seconds = time.perf_counter() - start
    assert r.status_code == 400
    assert seconds < limit_s + 2.5, f"took {seconds:.1f} s against a {limit_s} s limit"
    message = r.json()["error"]
    assert "limit" in message and "stopped" in message
    assert "<" not in message, "the JSON error should be plain text, not HTML with a script"
    page = query(client, RUNAWAY, fmt="")
    assert page.status_code == 400
    assert "time limit" in page.text and "Traceback" not in page.text


def test_the_time_limit_cannot_be_raised_from_the_url(client, ds):
    limit_s = ds.setting("sql_time_limit_ms") / 1000
    start = time.perf_counter()
    r = query(client, RUNAWAY, _timelimit="600000")
    assert r.status_code == 400
    assert time.perf_counter() - start < limit_s + 2.5


def test_results_are_capped_at_max_returned_rows(client, ds):
    cap = ds.setting("max_returned_rows")
    many = f"with recursive c(x) as (select 1 union all select x + 1 from c where x < {cap * 5}) select x from c"
    body = query(client, many).json()
    assert len(body["rows"]) == cap and body["truncated"] is True
    csv_text = query(client, many, fmt=".csv").text
    assert len(csv_text.strip().splitlines()) <= cap + 1
    r = client.get(f"/register/you_said_we_did.json?_size={cap * 10}")
    assert (r.status_code == 400 and f"{cap:,}" in r.json()["error"]) or (
        r.status_code == 200 and len(r.json()["rows"]) <= cap
    ), r.text[:300]


def _guard(ds):
    from datasette.plugins import pm

    from register.site import sql_guard

    for plugin in pm.get_plugins():
        if getattr(plugin, "__name__", "").startswith("sql_guard"):
            return sql_guard
    pytest.fail("src/register/site/sql_guard.py is not loaded")


def test_a_flood_of_slow_queries_is_refused_quickly_and_pages_stay_up(ds, monkeypatch):
    """More slow queries than SQL_SLOTS: the extra ones get 503 with Retry-After at
    once, instead of queueing behind the others; a table page is still served."""
    guard = _guard(ds)
    monkeypatch.setattr(guard, "QUEUE_WAIT_S", 0.3)
    slots = guard.SQL_SLOTS

    async def flood():
        async def slow(i):
            start = time.perf_counter()  # distinct SQL: identical URLs are coalesced by src/register/site/cache.py
            r = await ds.client.get("/register.json", params={"sql": f"{RUNAWAY} -- {i}"})
            return r, time.perf_counter() - start

        async def page():
            await asyncio.sleep(0.1)
            start = time.perf_counter()
            r = await ds.client.get("/register/projects")
            return r, time.perf_counter() - start

        return await asyncio.gather(*[slow(i) for i in range(slots + 4)], page())

    results = asyncio.run(flood())
    *slows, (page, page_seconds) = results
    statuses = sorted(r.status_code for r, _ in slows)
    assert statuses.count(400) == slots, statuses  # ran, and were stopped at the time limit
    assert statuses.count(503) == 4, statuses
    for r, seconds in slows:
        if r.status_code == 503:
            assert seconds < 1.5, f"refused after {seconds:.1f} s"
            assert r.headers["retry-after"].isdigit()
            assert "busy" in r.text and r.headers["cache-control"] == "no-store"
    assert page.status_code == 200


def test_a_flood_of_uncached_pages_is_refused_quickly_not_queued(ds, monkeypatch):
    """Pages that must be computed (a new URL defeats the cache) are bounded too: beyond
    PAGE_SLOTS at once they wait PAGE_QUEUE_WAIT_S at most, then get 503; static files
    and SQL are not held up behind them."""
    from datasette.views.table import TableView

    guard = _guard(ds)
    monkeypatch.setattr(guard, "PAGE_SLOTS", 1)
    monkeypatch.setattr(guard, "PAGE_QUEUE_WAIT_S", 0.3)
    original = TableView.data

    async def slow_data(self, *args, **kwargs):  # a page that takes a second to compute
        await asyncio.sleep(1.0)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(TableView, "data", slow_data)

    async def timed(path):
        start = time.perf_counter()
        r = await ds.client.get(path)
        return r, time.perf_counter() - start

    async def flood():
        pages = [timed(f"/register/projects?_flood={i}") for i in range(4)]

        async def later(path):
            await asyncio.sleep(0.1)
            return await timed(path)

        others = [later("/static/css/register.css"), later("/register.json?sql=select+1")]
        return await asyncio.gather(*pages, *others)

    *pages, (static, static_s), (sql, sql_s) = asyncio.run(flood())
    statuses = sorted(r.status_code for r, _ in pages)
    assert statuses == [200, 503, 503, 503], statuses
    for r, seconds in pages:
        if r.status_code == 503:
            assert seconds < 0.9, f"refused only after {seconds:.1f} s"
            assert r.headers["retry-after"].isdigit() and "busy" in r.text
    assert static.status_code == 200 and static_s < 0.9
    assert sql.status_code == 200 and sql_s < 0.9


# --- nothing about the server's insides ----------------------------------------------

HIDDEN = [
    "/-/databases",
    "/-/databases.json",
    "/-/threads",
    "/-/threads.json",
    "/-/actor.json",
    "/-/messages",
    "/-/allow-debug",
    "/-/permissions",
    "/-/patterns",
    "/-/auth-token",
]


@pytest.mark.parametrize("path", HIDDEN)
def test_internal_endpoints_are_not_served(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "set-cookie" not in r.headers


PROBES = [
    "/nope",
    "/register/nope",
    "/register/projects/NOPE",
    "/register/projects.nope",
    "/register/projects?_sort=nope",
    "/register/projects?_sort_desc=nope",
    "/register/projects?_facet=nope",
    "/register/projects?_size=abc",
    "/register/projects?_next=!!!",
    "/register/projects?id__arraycontains=x",
    "/register/projects?_where=1=1);drop table projects;--",
    "/register/projects?_search=%22unbalanced",
    "/register/projects?_search=*",
    "/register/projects?_col=nope",
    "/register/projects?_nocol=nope",
    "/register.json?sql=select+*+from+nope",
    "/register?sql=select+*+from+nope",
    "/register?sql=%27",
    "/register.json?sql=select+:p",
    "/register/projects.json?_shape=nope",
    "/register/projects.nope.json",
    "/register/projects/PRJ-0001.json?_extras=nope",
    "/static/nope.css",
    "/static/../src/register/site/serve.py",
    "/static/..%2f..%2fscripts%2fserve.py",
    "/-/static/../../app.py",
    "/-/static-plugins/datasette_vega/../../../app.py",
    "/downloads/../register.db",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/register/projects?_facet_date=nope",
    "/register/projects?_facet_array=nope",
    "/projects/NOPE",
    "/register/projects/%00",
    "/register/%3Cscript%3E",
    "/-/versions.json",
    "/-/plugins.json",
    "/-/settings.json",
    "/-/metadata.json",
    "/register.json",
    "/register/projects.json?_trace=1",
    "/register/projects?_trace=1",
]


def _leaks(text: str, build_dir) -> list[str]:
    needles = [
        "Traceback",
        "site-packages",
        ".venv",
        'File "',
        str(ROOT),
        str(build_dir),
        "/tmp/",
        "/work/",
        "/root/",
        "/home/",
        "locals",
        "sqlite3.",
        "OperationalError",
        "KeyError",
    ]
    return [n for n in needles if n in text]


@pytest.mark.parametrize("path", PROBES)
def test_no_page_reveals_paths_traces_or_internals(client, build_dir, path):
    r = client.get(path)
    assert not _leaks(r.text, build_dir), (path, r.status_code, _leaks(r.text, build_dir))
    for key, value in r.headers.items():
        assert not _leaks(value, build_dir), (path, key, value)
    assert "set-cookie" not in r.headers, (path, "a cookie stops a CDN caching the site")


def test_an_unexpected_fault_shows_a_plain_message_not_its_text(ds, client, monkeypatch, capfd):
    """A real bug's exception text can hold a path; the visitor sees a fixed message."""
    from datasette.views.table import TableView

    async def broken(self, *args, **kwargs):
        raise FileNotFoundError(f"[Errno 2] No such file: '{ROOT}/build/secret/thing.db'")

    monkeypatch.setattr(TableView, "data", broken)
    r = client.get("/register/projects?_fault=1")  # a URL no cache has seen
    j = client.get("/register/projects.json?_fault=1")
    assert r.status_code == 500 and j.status_code == 500
    assert str(ROOT) not in r.text and str(ROOT) not in j.text
    assert "something went wrong" in r.text.lower()
    assert "went wrong" in j.json()["error"]


def test_error_pages_are_cheap_and_do_not_flood_the_log(client, capfd):
    """Datasette prints a rich traceback with every local variable for each 404 (about
    0.3 s of CPU); hide_internals turns that off."""
    client.get("/register/projects")
    capfd.readouterr()
    start = time.perf_counter()
    for _ in range(10):
        assert client.get("/register/no-such-table").status_code == 404
    seconds = (time.perf_counter() - start) / 10
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "locals" not in out + err, (out + err)[:500]
    assert seconds < 0.15, f"a 404 took {seconds * 1000:.0f} ms"


def test_no_public_page_sets_a_cookie(client):
    """A cookie on the public domain makes Datasette answer `private, no-store`, which
    stops a CDN caching anything (PITFALLS)."""
    for path in [
        "/",
        "/register",
        "/register/projects",
        "/register/projects/PRJ-0001",
        "/register?sql=select+1",
        "/register/you_said_we_did_current",
        "/projects",
    ]:
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert "set-cookie" not in r.headers, path
