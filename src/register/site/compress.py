"""Text responses compressed (brotli or gzip) for browsers that accept it.

Why: a register page is 20 to 200 KB of HTML, and a phone on a slow network pays for
every byte; compressed, it is a fifth of that. Datasette 0.65 compresses nothing.

This wrapper sits outside the response cache (register/site/cache.py composes them), so
the cache keeps one uncompressed body per page, which suits every client, and this
compresses on the way out. A finished body (Datasette sends a page in one message) is
compressed once: the result is kept, by the body's digest, in a small LRU, so a cached
page costs a hash, not a compression, on the next visit. Streamed responses (large
JSON) are compressed as they stream.

Compressed: HTML, CSS, JavaScript, JSON, XML and Atom, SVG, plain text (Datasette shows
a .csv in the browser as text/plain). Not: CSV downloads (text/csv); the downloads' and
releases' files, which people save and check against their checksums (they carry a
strong ETag, which names their exact bytes); images; responses already encoded, partial,
or under MIN_BYTES.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict

import brotli

MIN_BYTES = 1024
# A streamed body is compressed, or sent uncompressed, this much at a time: Datasette's
# CSV sends each row as it goes, and compressing and flushing every one took 25 ms of the
# 106 a fresh CSV of 1,000 filtered log rows took at a million log rows (and compressed it
# less well); uncompressed, each row was a chunk of its own on the wire.
STREAM_BYTES = 32 * 1024
MEMO_BYTES = 16 * 1024 * 1024
COMPRESSIBLE = (
    b"text/html",
    b"text/css",
    b"text/javascript",
    b"application/javascript",
    b"application/json",
    b"application/xml",
    b"text/xml",
    b"application/atom+xml",
    b"image/svg+xml",
    b"text/plain",
    b"application/manifest+json",
)
BIG_ASSET = 300_000  # brotli's best quality takes 1.7 s on datasette-vega's 944 KB bundle


def accepted(scope) -> str | None:
    """'br' or 'gzip' if the request accepts it (brotli preferred), else None."""
    for k, v in scope.get("headers", []):
        if k.lower() == b"accept-encoding":
            offered = {}
            for part in v.decode("latin-1").lower().split(","):
                name, _, params = part.strip().partition(";")
                q = 1.0
                if params.strip().startswith("q="):
                    try:
                        q = float(params.strip()[2:])
                    except ValueError:
                        q = 0.0
                offered[name.strip()] = q
            for name in ("br", "gzip"):
                if offered.get(name, offered.get("*", 0)) > 0:
                    return name
            return None
    return None


def compress_bytes(body: bytes, encoding: str, best: bool = False) -> bytes:
    """`best` for static files, compressed once per process; else fast enough per page."""
    if encoding == "br":
        quality = (11 if len(body) < BIG_ASSET else 9) if best else 5
        return brotli.compress(body, quality=quality)
    compressor = zlib.compressobj(9 if best else 6, zlib.DEFLATED, 31)  # 31: gzip framing
    return compressor.compress(body) + compressor.flush()


def security() -> list[tuple[bytes, bytes]]:
    """The site's security headers, for the files answered before Datasette sees them."""
    from register.site.security import content_security_policy, security_headers

    return security_headers(content_security_policy())


class Memo:
    """Compressed bodies by (encoding, digest of the body), least recently used dropped."""

    def __init__(self, max_bytes: int = MEMO_BYTES):
        self.max_bytes = max_bytes
        self.entries: OrderedDict = OrderedDict()
        self.size = 0

    def get(self, body: bytes, encoding: str) -> bytes:
        key = (encoding, hashlib.blake2b(body, digest_size=16).digest())
        out = self.entries.get(key)
        if out is not None:
            self.entries.move_to_end(key)
            return out
        out = compress_bytes(body, encoding)
        if len(out) <= self.max_bytes // 4:
            self.entries[key] = out
            self.size += len(out)
            while self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)
        return out


class Stream:
    """Incremental compression of a streamed body."""

    def __init__(self, encoding: str):
        self.br = brotli.Compressor(quality=5) if encoding == "br" else None
        self.gz = None if self.br else zlib.compressobj(6, zlib.DEFLATED, 31)

    def feed(self, data: bytes, last: bool) -> bytes:
        if self.br is not None:
            out = self.br.process(data) if data else b""
            return out + (self.br.finish() if last else self.br.flush())
        out = self.gz.compress(data)
        return out + self.gz.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _header(headers, name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def compressible(status: int, headers) -> bool:
    if status in (204, 206, 304) or status < 200:
        return False
    if (_header(headers, b"content-encoding") or b"identity").lower() != b"identity":
        return False
    if _header(headers, b"content-range") is not None:
        return False
    etag = _header(headers, b"etag")
    if etag is not None and not etag.startswith(b"W/"):
        return False  # a strong ETag names these exact bytes: a download or a release's file
    kind = (_header(headers, b"content-type") or b"").split(b";")[0].strip().lower()
    if kind not in COMPRESSIBLE:
        return False
    length = _header(headers, b"content-length")
    return not (length is not None and length.isdigit() and int(length) < MIN_BYTES)


def with_vary(headers: list) -> list:
    vary = _header(headers, b"vary")
    if vary is None:
        return headers + [(b"vary", b"Accept-Encoding")]
    if b"accept-encoding" in vary.lower():
        return headers
    return [(k, v + b", Accept-Encoding" if k.lower() == b"vary" else v) for k, v in headers]


async def _coalesced(pending: bytearray, message: dict, send, packed=None) -> None:
    """Send a body's pieces together, STREAM_BYTES at a time, the rest with the last;
    each through `packed(data, last)` if given (compressed)."""
    more = message.get("more_body", False)
    pending += message.get("body", b"")
    if more and len(pending) < STREAM_BYTES:
        return
    data = bytes(pending)
    pending.clear()
    await send({"type": "http.response.body", "body": packed(data, not more) if packed else data, "more_body": more})


def wrap(app, memo: Memo | None = None):
    memo = memo or Memo()

    async def compressed(scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") != "GET":
            return await app(scope, receive, send)
        encoding = accepted(scope)
        state: dict = {}

        async def send_compressed(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not compressible(message["status"], headers):
                    return await send(message)
                headers = with_vary(headers)
                if encoding is None:  # sent as it is, in pieces of STREAM_BYTES
                    state["plain"] = bytearray()
                    return await send(dict(message, headers=headers))
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                state["start"] = dict(message, headers=headers + [(b"content-encoding", encoding.encode())])
                return
            if message["type"] == "http.response.body" and "plain" in state:
                return await _coalesced(state["plain"], message, send)
            if message["type"] != "http.response.body" or "start" not in state:
                return await send(message)
            body, more = message.get("body", b""), message.get("more_body", False)
            if "stream" not in state:
                start = state.pop("start")
                if not more:  # the whole body at once: compress it, or reuse its compression
                    data = memo.get(body, encoding)
                    start["headers"] = start["headers"] + [(b"content-length", str(len(data)).encode())]
                    await send(start)
                    return await send({"type": "http.response.body", "body": data})
                state["stream"] = Stream(encoding)
                state["start"] = None
                state["pending"] = bytearray()
                await send(start)
            await _coalesced(state["pending"], message, send, state["stream"].feed)

        return await app(scope, receive, send_compressed)

    return compressed
