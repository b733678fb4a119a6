"""A JSON answer that says it failed is never sent with a 200.

Datasette 0.65.5 answers some refusals as JSON in a 200 response: `_shape=object` on a
view, on a table without a primary key or on an SQL query gives
`{"ok": false, "error": "_shape=object not available for tables with no primary keys"}`
with status 200, which a script checking the status takes for data. Here any JSON body
that starts `{"ok": false` and came with a 200 goes out as a 400, its body unchanged;
every other answer passes untouched. Innermost of the site's wrappers (tryfirst), so the
response cache and the compression see the corrected status.
"""

from __future__ import annotations

from datasette import hookimpl

FAILED = (b'{"ok": false', b'{"ok":false')


def _json(start: dict) -> bool:
    for k, v in start.get("headers") or []:
        if k.lower() == b"content-type":
            return v.lower().startswith(b"application/json")
    return False


def wrap(app):
    async def statused(scope, receive, send):
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        held: dict = {}

        async def send_checked(message):
            if message["type"] == "http.response.start" and message.get("status") == 200 and _json(message):
                held["start"] = message
                return None
            if "start" in held and message["type"] == "http.response.body":
                start = held.pop("start")
                if not message.get("more_body") and message.get("body", b"").lstrip().startswith(FAILED):
                    start = dict(start, status=400)
                await send(start)
            return await send(message)

        return await app(scope, receive, send_checked)

    return statused


@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return wrap
