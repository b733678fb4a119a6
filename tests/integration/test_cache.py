"""src/register/site/cache.py: the same answer, faster, and never the wrong answer.

Unit tests drive the wrapper around a small ASGI app that counts its calls; the last
tests go through the real site (Datasette with every plugin), where the cache is the
outermost wrapper and the security headers must survive it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from register.schema.package import ROOT
from register.site import cache as cache_mod


class FakeDatabase:
    is_memory = False

    def __init__(self, path):
        self.path = str(path)


class FakeDatasette:
    def __init__(self, path):
        self.databases = {"register": FakeDatabase(path)}

    def setting(self, name):
        return 300


def make_db(path: Path, inputs: str) -> None:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE register_build (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO register_build VALUES ('inputs_sha256', ?)", (inputs,))
    conn.commit()
    conn.close()


class App:
    """Answers with a body naming the call number; status, headers and size on demand."""

    def __init__(self):
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        qs = scope.get("query_string", b"").decode()
        status = 404 if "missing" in qs else 200
        nonce = f"N{self.calls:021d}"
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-security-policy", f"script-src 'self' 'nonce-{nonce}'".encode()),
        ]
        if "cookie" in qs:
            headers.append((b"set-cookie", b"ds_csrftoken=x"))
        if "private" in qs:
            headers.append((b"cache-control", b"private, no-store"))
        if "slow" in qs:
            await asyncio.sleep(0.05)
        if "big" in qs:
            chunk = b"x" * (1024 * 1024)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for i in range(10):
                await send({"type": "http.response.body", "body": chunk, "more_body": i < 9})
            return
        body = f'<script nonce="{nonce}">call {self.calls} {scope["path"]}?{qs}</script>'.encode()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def request(app, path="/", qs="", method="GET", headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "scheme": "http",
        "query_string": qs.encode(),
        "headers": [(b"host", b"localhost"), *headers],
    }
    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def setup(tmp_path):
    db = tmp_path / "register.db"
    make_db(db, "build-one")
    inner = App()
    wrapped = cache_mod.wrap(inner, FakeDatasette(db), cache_mod.ResponseCache(FakeDatasette(db)))
    return inner, wrapped, db


def run(coro):
    return asyncio.run(coro)


def test_second_request_is_served_from_the_cache_with_the_same_content(setup):
    inner, app, _ = setup
    s1, h1, b1 = run(request(app, "/register/projects", "_facet=place"))
    s2, h2, b2 = run(request(app, "/register/projects", "_facet=place"))
    assert inner.calls == 1
    assert (s1, s2) == (200, 200)
    assert h1["x-cache"] == "MISS" and h2["x-cache"] == "HIT"
    assert h1["etag"] == h2["etag"] and h2["cache-control"] == "public, max-age=300"
    # Identical apart from the CSP nonce, which is fresh on every response.
    n1 = re.search(r"nonce-([\w-]+)", h1["content-security-policy"]).group(1)
    n2 = re.search(r"nonce-([\w-]+)", h2["content-security-policy"]).group(1)
    assert n1 != n2
    assert b2 == b1.replace(n1.encode(), n2.encode())
    assert f'nonce="{n2}"'.encode() in b2
    assert b"call 1 /register/projects?_facet=place" in b2


def test_each_url_and_query_is_its_own_entry(setup):
    inner, app, _ = setup
    run(request(app, "/a"))
    run(request(app, "/a", "x=1"))
    run(request(app, "/b"))
    assert inner.calls == 3
    run(request(app, "/a", "x=1"))
    assert inner.calls == 3


def test_requests_with_cookies_or_credentials_are_never_cached(setup):
    inner, app, _ = setup
    for headers in ([(b"cookie", b"ds_actor=x")], [(b"authorization", b"Bearer x")]):
        run(request(app, "/p", headers=headers))
        _, h, _ = run(request(app, "/p", headers=headers))
        assert "x-cache" not in h
    assert inner.calls == 4
    run(request(app, "/p"))
    _, h, _ = run(request(app, "/p"))
    assert h["x-cache"] == "HIT" and inner.calls == 5


def test_only_get_and_only_plain_successes_are_cached(setup):
    inner, app, _ = setup
    for method in ("HEAD", "POST"):
        run(request(app, "/p", method=method))
        run(request(app, "/p", method=method))
    assert inner.calls == 4
    for qs in ("cookie=1", "private=1"):
        run(request(app, "/p", qs))
        _, h, _ = run(request(app, "/p", qs))
        assert h.get("x-cache") != "HIT", qs
    assert inner.calls == 8
    run(request(app, "/-/versions"))
    run(request(app, "/-/versions"))
    assert inner.calls == 10


def test_a_failing_page_is_answered_from_the_cache_only_briefly(setup, monkeypatch):
    inner, app, _ = setup
    status, h, _ = run(request(app, "/p", "missing=1"))
    status2, h2, _ = run(request(app, "/p", "missing=1"))
    assert status == status2 == 404 and h2["x-cache"] == "HIT" and inner.calls == 1
    assert "etag" not in h2
    later = cache_mod.time.time() + cache_mod.NEGATIVE_AGE_S + 1
    monkeypatch.setattr(cache_mod.time, "time", lambda: later)
    run(request(app, "/p", "missing=1"))
    assert inner.calls == 2


def test_a_new_build_is_never_answered_from_the_old_one(setup):
    inner, app, db = setup
    run(request(app, "/p"))
    run(request(app, "/p"))
    assert inner.calls == 1
    make_db(db, "build-two")  # the build writes a new file and renames it into place
    _, h, body = run(request(app, "/p"))
    assert h["x-cache"] == "MISS" and b"call 2" in body
    assert inner.calls == 2


def test_if_none_match_gets_304(setup):
    inner, app, _ = setup
    _, h, _ = run(request(app, "/p"))
    status, h2, body = run(request(app, "/p", headers=[(b"if-none-match", h["etag"].encode())]))
    assert status == 304 and body == b"" and h2["etag"] == h["etag"]


def test_large_streamed_bodies_pass_through_uncached(setup):
    inner, app, _ = setup
    _, _, body = run(request(app, "/big.csv", "big=1"))
    assert len(body) == 10 * 1024 * 1024 > cache_mod.MAX_ENTRY_BYTES
    run(request(app, "/big.csv", "big=1"))
    assert inner.calls == 2


def test_memory_is_bounded_least_recently_used_first(tmp_path):
    db = tmp_path / "register.db"
    make_db(db, "b")
    inner = App()
    cache = cache_mod.ResponseCache(FakeDatasette(db), max_bytes=2000)
    app = cache_mod.wrap(inner, FakeDatasette(db), cache)
    for i in range(20):
        run(request(app, f"/page/{i}"))
    assert cache.size <= 2000
    assert 0 < len(cache.entries) < 20
    run(request(app, "/page/19"))
    assert inner.calls == 20  # the most recent is still there
    run(request(app, "/page/0"))
    assert inner.calls == 21  # the oldest was dropped


def test_concurrent_misses_compute_once(setup):
    inner, app, _ = setup

    async def many():
        return await asyncio.gather(*(request(app, "/p", "slow=1") for _ in range(10)))

    results = run(many())
    assert inner.calls == 1
    assert all(status == 200 for status, _, _ in results)


def test_the_real_site_serves_cached_pages_with_their_security_headers(client):
    first = client.get("/register/projects?_cache_test=1")
    second = client.get("/register/projects?_cache_test=1")
    assert first.status_code == second.status_code == 200
    assert second.headers.get("x-cache") == "HIT"
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert first.headers.get(name), name
        assert second.headers.get(name) == first.headers.get(name) or name == "content-security-policy"
    assert second.headers.get("etag") == first.headers.get("etag")
    uncached = client.get("/register/projects?_cache_test=1", headers={"cookie": "x=1"})
    assert uncached.headers.get("x-cache") is None
    assert uncached.text.count("<tr") == second.text.count("<tr")


def test_entries_expire(setup, monkeypatch):
    inner, app, _ = setup
    run(request(app, "/p"))
    run(request(app, "/p"))
    assert inner.calls == 1
    later = cache_mod.time.time() + cache_mod.MAX_AGE_S + 1
    monkeypatch.setattr(cache_mod.time, "time", lambda: later)
    _, h, _ = run(request(app, "/p"))
    assert h["x-cache"] == "MISS" and inner.calls == 2


def test_a_compressed_response_is_never_stored():
    """Entries are shared by every Accept-Encoding, so only identity bodies may be kept."""
    ok = [(b"content-type", b"text/html")]
    assert cache_mod.cacheable_response(200, ok)
    assert cache_mod.cacheable_response(200, ok + [(b"content-encoding", b"identity")])
    assert not cache_mod.cacheable_response(200, ok + [(b"content-encoding", b"gzip")])


def test_the_server_warms_its_main_pages_before_anyone_asks(build_dir, tmp_path):
    """`make serve` (src/register/site/serve.py) visits the main pages itself as soon as it is up
    (src/register/site/warm_cache.py), so the first visitor to each is answered from the cache."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "register.site.serve", "--build-dir", str(build_dir), "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("REGISTER_WARM")},
    )
    try:
        wanted = ["/measures/balance", "/gate-assurance", "/register/coproduction_log"]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the server's own access log shows the warmer's visits
            text = Path(log.name).read_text(errors="replace")
            if all(f"GET {p} " in text for p in wanted):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the warmer never visited " + ", ".join(wanted))
        before = Path(log.name).read_text(errors="replace").count("GET /measures/balance ")
        assert before == 1
        for path in wanted:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                assert r.status == 200 and r.headers["X-Cache"] == "HIT", path
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
