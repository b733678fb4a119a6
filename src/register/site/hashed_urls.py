"""Versioned URLs that a browser or CDN may cache until the day ends: /register-<hash>/...

The database is immutable between builds and its SHA-256 is recorded in inspect.json,
so a page under /register-<first 7 hex digits of the hash>/ changes only when the
database does, or when the date does: whether a "You said" item is overdue and how
many days it has been open are worked out against today (register/database/views.sql),
and any SQL may call date('now'). Such a page is answered exactly as /register/... is,
with `Cache-Control: public, max-age=<seconds until the next local midnight>`: cached
all day, never past the end of it. (The alternative, putting the date in the hash, was
rejected: every versioned link would change at midnight and yesterday's pages would
be redirects.) Before issue 15 these URLs said `max-age=31536000, immutable`, and a
table showing `overdue` stayed stale for a year. A URL with an older hash (a bookmark
from before the last build) is redirected to the current one, uncached. The plain
/register/... URLs keep working and keep the short `default_cache_ttl` (cut at
midnight too, register/site/cache.py), so links people already have never change.

Why not datasette-hashed-urls 0.4 (it installs and runs on Datasette 0.65.5)? Checked:
it renames the database route, so every /register/... URL becomes a redirect, which
changes the stable URLs of the brief and every in-page link; it also sets its year-long
cache header on every response, errors included (a "query took too long" page under
load would be cached for a year), and replaces Datasette's `private, no-store` on
responses to requests that carry a cookie. This does the same job without those three.

For replicas: all of them serve the same file, so they give the same hash and the
same URLs; a CDN can cache hashed URLs for ever and everything else for a few minutes.
"""

from __future__ import annotations

import time

from datasette import hookimpl

from register.site.cache import next_midnight

HASH_LENGTH = 7


def until_the_day_ends() -> bytes:
    """The Cache-Control of a versioned page: public, fresh until the next local midnight."""
    return f"public, max-age={max(0, int(next_midnight() - time.time()))}".encode()


def hashed_routes(datasette) -> dict[str, str]:
    """{database name: short hash} for every immutable database with a known hash."""
    out = {}
    for name, db in datasette.databases.items():
        if not db.is_mutable and not db.is_memory and db.hash:
            out[name] = db.hash[:HASH_LENGTH]
    return out


def hashed_path(datasette, path: str) -> str:
    """The versioned form of a /<database>... path (unchanged if it has none)."""
    routes = hashed_routes(datasette)
    first, sep, rest = path.lstrip("/").partition("/")
    name, dot, fmt = first.partition(".")
    if name in routes:
        return f"/{name}-{routes[name]}{dot}{fmt}{sep}{rest}"
    return path


def _split(path: str, routes: dict[str, str]):
    """(database, hash given, path without the hash) for /<db>-<hash>... paths, else None."""
    first, sep, rest = path.lstrip("/").partition("/")
    name_and_hash, dot, fmt = first.partition(".")
    name, dash, given = name_and_hash.rpartition("-")
    if not dash or name not in routes or len(given) != HASH_LENGTH:
        return None
    if any(c not in "0123456789abcdef" for c in given):
        return None
    return name, given, f"/{name}{dot}{fmt}{sep}{rest}"


def wrap(datasette):
    def wrapper(app):
        async def versioned(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            routes = hashed_routes(datasette)
            raw = scope.get("raw_path")
            path = raw.decode("latin-1") if raw else scope["path"]
            split = _split(path.partition("?")[0], routes) if routes else None
            if split is None:
                return await app(scope, receive, send)
            name, given, plain = split
            if given != routes[name]:
                location = f"/{name}-{routes[name]}{plain[len(name) + 1 :]}"
                if scope.get("query_string"):
                    location += "?" + scope["query_string"].decode("latin-1")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 302,
                        "headers": [
                            (b"location", location.encode("latin-1")),
                            (b"cache-control", b"no-store"),
                            (b"content-type", b"text/plain; charset=utf-8"),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"This version of the register has been replaced; redirecting to the current one.\n",
                    }
                )
                return
            scope = dict(scope, path=plain, raw_path=plain.encode("latin-1"))
            credentialed = any(k.lower() in (b"cookie", b"authorization") for k, _ in scope.get("headers", []))

            async def send_versioned(message):
                if message["type"] == "http.response.start" and message["status"] == 200 and not credentialed:
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                    message = dict(message, headers=headers + [(b"cache-control", until_the_day_ends())])
                await send(message)

            return await app(scope, receive, send_versioned)

        return versioned

    return wrapper


# Innermost (tryfirst): the redirect gets register/site/security.py's headers like any response,
# and register/site/cache.py (outermost) keys on the versioned URL as the visitor asked for it.
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return wrap(datasette)
