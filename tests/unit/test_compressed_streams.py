"""A streamed body (Datasette's CSV and JSON, row by row) is compressed in pieces of
STREAM_BYTES, not a flush per row, and sent in such pieces uncompressed too
(register/site/compress.py): the same bytes arrive, in far fewer messages, the last with
everything left."""

from __future__ import annotations

import asyncio
import gzip

import brotli
import pytest

from register.site import compress

ROWS = [f"LOG-{n:07d},A title for row {n},plan,co_design\n".encode() for n in range(3000)]


async def streaming(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for row in ROWS:
        await send({"type": "http.response.body", "body": row, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def sent(encoding: str | None) -> list[dict]:
    messages: list[dict] = []

    async def send(message):
        messages.append(message)

    asked = [(b"accept-encoding", encoding.encode())] if encoding else []
    scope = {"type": "http", "method": "GET", "path": "/x.csv", "headers": asked}
    asyncio.run(compress.wrap(streaming)(scope, None, send))
    return messages


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_a_stream_is_compressed_in_pieces_and_arrives_whole(encoding, decode):
    messages = sent(encoding)
    start, bodies = messages[0], messages[1:]
    assert (b"content-encoding", encoding.encode()) in start["headers"]
    assert decode(b"".join(m["body"] for m in bodies)) == b"".join(ROWS)
    whole = sum(map(len, ROWS))
    assert len(bodies) <= whole // compress.STREAM_BYTES + 1  # 3,000 rows in a handful of messages
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]


def test_an_uncompressed_stream_is_sent_in_pieces_and_arrives_whole():
    messages = sent(None)
    start, bodies = messages[0], messages[1:]
    assert not any(k == b"content-encoding" for k, _ in start["headers"])
    assert b"".join(m["body"] for m in bodies) == b"".join(ROWS)
    assert len(bodies) <= sum(map(len, ROWS)) // compress.STREAM_BYTES + 1
    assert all(len(m["body"]) >= compress.STREAM_BYTES for m in bodies[:-1])
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]
