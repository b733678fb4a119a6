"""An in-process response cache for the public, read-only register.

Why: the database is immutable between builds, so the answer to an anonymous GET can
only change when the database is rebuilt. Datasette recomputes every page (a table
page at a million rows counts rows and facets on every request); this wrapper keeps
the finished responses, so a page that took 100 ms is answered again in well under a
millisecond and someone holding F5 costs nothing.

- Keyed by the build: the `inputs_sha256` of the database's register_build table (and
  the file's identity, so a rebuilt file is noticed without a restart), plus method,
  path, query string, host and scheme. Only uncompressed bodies are kept, so one entry
  suits every Accept-Encoding: register/site/compress.py compresses outside the cache.
- Only anonymous requests: no Cookie and no Authorization header. Only GET; status 200
  (and, for NEGATIVE_AGE_S only, 400, 404 and 500: a page that failed for this build
  fails again); never a response that sets a cookie or says private/no-store/no-cache,
  never Datasette's own /-/ pages (except static files), never a body over
  MAX_ENTRY_BYTES (streamed CSV passes straight through).
- Bounded: least recently used entries are dropped beyond REGISTER_CACHE_MB (default
  64) megabytes per process, counting everything an entry holds: its key (the full
  URL and the Host header, up to 8 KB each: register/site/limits.py), headers, body
  and the Python objects around them. Counting bodies alone let 3,000 unique 404s
  with 15 KB URLs hold 70 MB beyond the budget. Entries also expire at midnight
  (whether an item is overdue depends on the date) and after REGISTER_CACHE_MAX_AGE_S
  (600) s; expired entries, error answers included, are dropped as they expire, not
  when pushed out.
- Headers: every response the cache stores or serves carries an ETag (the build, the
  day and the URL) and a Cache-Control (Datasette's own, or public with
  default_cache_ttl); If-None-Match gets 304. An error goes out with `no-store`. `X-Cache: HIT` or `MISS` says which.
- Never stale: any page may depend on today's date (whether an item is overdue, days
  open; any SQL may call date('now')), so no response is cached past the end of the
  day. Entries are keyed by the local date and expire at the next local midnight at the
  latest (the server runs with TZ=Europe/London), and every Cache-Control max-age this
  process sends, streamed responses and hits included, is cut to the seconds left until
  that midnight, worked out when the response is sent (only a release's files, marked
  immutable, keep theirs).
- It is the outermost ASGI wrapper (trylast), so a cached response carries exactly the
  headers the other wrappers (register/site/security.py and friends) added when it was made.
  The one per-response value, the CSP nonce register/site/security.py puts in the header and
  the page, is replaced with a fresh one on every hit, so nonces are never reused.
- Concurrent misses for the same URL wait for the first one instead of all computing
  it (50 people arriving at once cost one query).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import os
import re
import secrets
import sys
import time
import weakref
from collections import OrderedDict

from datasette import hookimpl

from register import settings
from register.database.build_info import inputs_sha256
from register.site import compress

MAX_BYTES = int(settings.number(settings.CACHE_MB) * 1024 * 1024)
MAX_ENTRY_BYTES = 8 * 1024 * 1024  # the biggest register page at 1M rows is about 5 MB
# Some answers depend on the date as well as the build (an item is overdue once its
# response date has passed), so an entry is also dropped at midnight and after MAX_AGE_S.
MAX_AGE_S = settings.number(settings.CACHE_MAX_AGE_S)
# A page that fails for this build (404, 400, or a 500 because its SQL ran past the time
# limit) fails again on the next request: its answer is kept briefly too, so that people
# pressing reload on a failing page cannot tie up the SQL threads everyone else needs.
# Never 503 or 429 (queue full, rate limited): those say "try again".
NEGATIVE_STATUSES = frozenset({400, 404, 500})
NEGATIVE_AGE_S = 15.0
WAIT_FOR_FIRST_S = 10.0
NONCE = re.compile(rb"'nonce-([A-Za-z0-9_-]{16,})'")
UNCACHEABLE_CONTROL = (b"private", b"no-store", b"no-cache")
# The host, because some answers hold absolute URLs (feeds, JSON next links). Not
# Accept-Encoding: only uncompressed bodies are stored (a response with a
# Content-Encoding is never kept), and they suit every client, so browsers, curl, wrk
# and the warmer (register/site/warm_cache.py) share one entry per page.
KEY_HEADERS = (b"host",)
# The Python objects around one entry beyond what footprint() counts by size: the entry
# dict, the key tuple, the ordered-dict links, the header list (measured with
# tracemalloc on CPython 3.11: about 0.7 KB). Counted generously, so the budget is an
# upper bound on what the cache holds.
ENTRY_OVERHEAD = 1536
HEADER_OVERHEAD = 2 * sys.getsizeof(b"") + sys.getsizeof((b"", b""))
# The cache of each Datasette instance, so its size can be read (tests, bench).
CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def next_midnight(now: float | None = None) -> float:
    """The next local midnight (a Unix time): when today's answers stop being true."""
    today = datetime.date.fromtimestamp(time.time() if now is None else now)
    return datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time()).timestamp()


MAX_AGE = re.compile(rb"max-age=([0-9]+)")


def until_midnight(headers: list, now: float | None = None) -> list:
    """The headers with every max-age (and s-maxage) of Cache-Control cut to the seconds
    left until the next local midnight. A response marked immutable (a release's files,
    register/site/releases.py: a snapshot that says the day it was made) is left alone."""
    now = time.time() if now is None else now
    left = max(0, int(next_midnight(now) - now))
    out = []
    for k, v in headers:
        if k.lower() == b"cache-control" and b"max-age" in v and b"immutable" not in v:
            v = MAX_AGE.sub(lambda m: b"max-age=%d" % min(int(m.group(1)), left), v)
        out.append((k, v))
    return out


def midnight_capped(send):
    """`send` with until_midnight applied to the response's headers when they are sent,
    and an error that says nothing of caching marked `no-store`: without it a CDN applies
    its own default (an hour for a 404 on some), so a record's page asked for from a
    replica that did not have it yet stayed "not found" after every replica had it. This
    process still keeps the error for NEGATIVE_AGE_S (the header is added after that)."""

    async def capped(message):
        if message["type"] == "http.response.start":
            headers = until_midnight(list(message.get("headers", [])))
            if message.get("status", 200) >= 400 and _header(headers, b"cache-control") is None:
                headers.append((b"cache-control", b"no-store"))
            message = dict(message, headers=headers)
        await send(message)

    return capped


def footprint(key: tuple, entry: dict) -> int:
    """Bytes an entry keeps alive: key, headers, body and the objects holding them."""
    key_bytes = sum(len(part) for part in key[1:] if isinstance(part, (bytes, str)))
    headers = sum(len(k) + len(v) + HEADER_OVERHEAD for k, v in entry["headers"])
    return ENTRY_OVERHEAD + key_bytes + headers + sys.getsizeof(entry["body"])


class ResponseCache:
    def __init__(self, datasette, max_bytes: int = MAX_BYTES):
        self.datasette = datasette
        self.max_bytes = max_bytes
        self.entries: OrderedDict = OrderedDict()
        # Keys in order of expiry, one queue per lifetime: within a lifetime, expiry
        # follows insertion, so expired entries are always at the front.
        self.expiry: dict[float, OrderedDict] = {}
        self.size = 0
        self.identity = None
        self.build = ""
        self.inflight: dict = {}
        self.hits = self.misses = 0

    # -- which build is being served ---------------------------------------------------

    def current_build(self) -> str:
        """The build identity; a different database file empties the cache."""
        identity = []
        for name, db in self.datasette.databases.items():
            if db.path and not db.is_memory:
                try:
                    st = os.stat(db.path)
                except OSError:
                    continue
                identity.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
        identity = tuple(identity)
        if identity != self.identity:
            self.identity = identity
            self.build = self._inputs_hash() or hashlib.sha256(repr(identity).encode()).hexdigest()
            self.clear()
        return self.build

    def clear(self) -> None:
        self.entries.clear()
        self.expiry.clear()
        self.size = 0

    def _inputs_hash(self) -> str | None:
        parts = []
        for name, db in self.datasette.databases.items():
            if not db.path or db.is_memory:
                continue
            digest = inputs_sha256(db.path)
            if digest:
                parts.append(f"{name}:{digest}")
        return ";".join(parts) or None

    # -- store and fetch ----------------------------------------------------------------

    def get(self, key):
        self.drop_expired()
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key, entry, max_age: float | None = None) -> None:
        size = footprint(key, entry)
        if size > MAX_ENTRY_BYTES or size > self.max_bytes:
            return
        self.drop(key)
        age = MAX_AGE_S if max_age is None else max_age
        now = time.time()
        entry["size"], entry["age"] = size, age
        entry["expires"] = min(now + age, next_midnight(now))
        self.entries[key] = entry
        self.expiry.setdefault(age, OrderedDict())[key] = entry["expires"]
        self.size += size
        self.drop_expired()
        while self.size > self.max_bytes and self.entries:
            self.drop(next(iter(self.entries)))

    def drop(self, key) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry["size"]
            self.expiry[entry["age"]].pop(key, None)

    def drop_expired(self) -> None:
        now = time.time()
        for queue in self.expiry.values():
            while queue:
                key, expires = next(iter(queue.items()))
                if expires > now:
                    break
                self.drop(key)


def _header(headers, name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def cacheable_request(scope) -> bool:
    if scope.get("method") != "GET":
        return False
    path = scope.get("path", "")
    if path.startswith("/-/") and not path.startswith("/-/static"):
        return False
    for k, _ in scope.get("headers", []):
        if k.lower() in (b"cookie", b"authorization"):
            return False
    return True


def cacheable_response(status: int, headers) -> bool:
    if status != 200 and status not in NEGATIVE_STATUSES:
        return False
    if _header(headers, b"set-cookie") is not None:
        return False
    if (_header(headers, b"content-encoding") or b"identity").lower() != b"identity":
        return False
    control = (_header(headers, b"cache-control") or b"").lower()
    if any(word in control for word in UNCACHEABLE_CONTROL):
        return False
    vary = (_header(headers, b"vary") or b"").lower()
    for word in vary.split(b","):
        word = word.strip()
        if word and word not in (b"cookie", b"authorization", b"accept-encoding"):
            return False
    return True


def cache_for(datasette) -> ResponseCache:
    """One cache per Datasette, shared by every app() it builds."""
    if datasette not in CACHES:
        CACHES[datasette] = ResponseCache(datasette)
    return CACHES[datasette]


def wrap(app, datasette, cache: ResponseCache | None = None):
    cache = cache or cache_for(datasette)
    ttl = datasette.setting("default_cache_ttl") if hasattr(datasette, "setting") else 300

    async def cached(scope, receive, send):
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        send = midnight_capped(send)
        if not cacheable_request(scope):
            return await app(scope, receive, send)
        build = cache.current_build()
        request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
        key = (
            build,
            scope.get("scheme"),
            scope.get("raw_path") or scope["path"].encode(),
            scope.get("query_string", b""),
            *(request_headers.get(h, b"") for h in KEY_HEADERS),
            datetime.date.today().isoformat(),  # today's answers are not tomorrow's
        )
        entry = cache.get(key)
        if entry is None and key in cache.inflight:
            try:
                await asyncio.wait_for(cache.inflight[key].wait(), WAIT_FOR_FIRST_S)
            except TimeoutError:
                pass
            entry = cache.get(key)
        if entry is not None:
            cache.hits += 1
            return await serve(entry, request_headers, send)
        cache.misses += 1
        first = key not in cache.inflight
        done = cache.inflight.setdefault(key, asyncio.Event())
        etag = f'W/"{hashlib.sha256(repr(key).encode()).hexdigest()[:24]}"'.encode()
        state = {"keep": False, "parts": [], "size": 0}

        async def capture(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                state["keep"] = cacheable_response(message["status"], headers)
                if state["keep"] and message["status"] == 200:
                    if _header(headers, b"etag") is None:
                        headers.append((b"etag", etag))
                    if _header(headers, b"cache-control") is None:
                        headers.append((b"cache-control", f"public, max-age={ttl}".encode()))
                if state["keep"]:
                    state["status"], state["headers"] = message["status"], headers
                    message = dict(message, headers=headers + [(b"x-cache", b"MISS")])
            elif message["type"] == "http.response.body" and state["keep"]:
                body = message.get("body", b"")
                state["size"] += len(body)
                if state["size"] > MAX_ENTRY_BYTES:
                    state["keep"], state["parts"] = False, []
                else:
                    state["parts"].append(body)
                    if not message.get("more_body"):
                        store(key, state)
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            if first:
                cache.inflight.pop(key, None)
                done.set()

    def store(key, state) -> None:
        body = b"".join(state["parts"])
        csp = _header(state["headers"], b"content-security-policy") or b""
        found = NONCE.search(csp)
        cache.put(
            key,
            {
                "status": state["status"],
                "headers": state["headers"],
                "body": body,
                "nonce": found.group(1) if found else None,
                "etag": _header(state["headers"], b"etag") if state["status"] == 200 else None,
            },
            None if state["status"] == 200 else NEGATIVE_AGE_S,
        )

    async def serve(entry, request_headers, send):
        headers = entry["headers"]
        body = entry["body"]
        match = request_headers.get(b"if-none-match")
        if match and entry["etag"] and entry["etag"] in [m.strip() for m in match.split(b",")]:
            keep = [(k, v) for k, v in headers if k.lower() in (b"etag", b"cache-control", b"vary")]
            if compress.compressible(entry["status"], headers):
                # The 200 says it varies by Accept-Encoding (compress.py adds that on the way
                # out, outside the cache), so the 304 must too, or a CDN that takes the
                # 304's headers as the page's would give its brotli copy to anyone.
                keep = compress.with_vary(keep)
            await send({"type": "http.response.start", "status": 304, "headers": keep + [(b"x-cache", b"HIT")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if entry["nonce"]:
            fresh = secrets.token_urlsafe(16).encode()
            old = entry["nonce"]
            body = body.replace(old, fresh)
            headers = [(k, v.replace(old, fresh)) for k, v in headers]
        await send(
            {"type": "http.response.start", "status": entry["status"], "headers": headers + [(b"x-cache", b"HIT")]}
        )
        await send({"type": "http.response.body", "body": body})

    cached.cache = cache
    return cached


@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    """Outermost: hashed static files (register/site/assets.py) are answered first, then
    what leaves the cache is compressed (register/site/compress.py), so the cache keeps
    uncompressed bodies. Composed here because the order of two trylast hooks is not fixed."""
    from register.site import assets

    def wrapper(app):
        return assets.wrap(compress.wrap(wrap(app, datasette)))

    return wrapper
