"""Bounds on what one request may ask of the server, checked before anything else runs.

Why: Datasette 0.65.5 parses the whole query string again every time a view reads
`request.args`, and the table view reads it once per parameter, so the work grows with
the square of the number of parameters. A table URL with 2,000 parameters (about 15 KB)
kept the event loop busy for about 4 s: every other visitor waited, cached pages too
(the limit on pages computed at once, register/site/sql_guard.py, cannot help with time
spent on the loop), and each such request wrote about 80 KB to the log.

So before the cache or Datasette sees a request, this wrapper refuses, in microseconds:

- a query string over MAX_QUERY_BYTES, or a path over MAX_PATH_BYTES: 414 (URI too
  long). 8 KB is what common proxies accept in a whole request line; the site's own
  longest link is far shorter, and an analyst's SQL of a few thousand characters fits;
- more than MAX_PARAMS parameters: 400. The busiest page of the site uses a dozen;
- a null character (%00) anywhere in the query string: 400. SQLite cannot take one in
  the text of a query, and no name or value in the register holds one;
- a `_shape=` Datasette does not have: 400. Datasette's answer to a query's JSON with
  one was an error in a 200 response, which a script takes for data.

The answer is a short plain-English page, or a JSON error when the client asked for
JSON (a .json address or an Accept header naming JSON), with the site's security
headers. It is the outermost wrapper (see asgi_wrapper), so a refused request costs
neither a cache entry nor a place in the queue.
"""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qsl

from datasette import hookimpl

from register.site.security import content_security_policy, security_headers

MAX_QUERY_BYTES = 8 * 1024
MAX_PATH_BYTES = 2 * 1024
MAX_PARAMS = 100
# Datasette's JSON shapes (datasette/renderer.py).
SHAPES = ("objects", "arrays", "array", "arrayfirst", "object")

HOME_LINK = '<p><a href="/">Go to the register\'s home page</a></p>'


def wants_json(scope) -> bool:
    """A .json address, or an Accept header that names JSON and not HTML."""
    if scope.get("path", "").endswith(".json"):
        return True
    for k, v in scope.get("headers", []):
        if k.lower() == b"accept":
            accept = v.lower()
            return b"json" in accept and b"text/html" not in accept
    return False


def error_body(scope, status: int, title: str, message: str) -> tuple[bytes, bytes]:
    """The body and content type of a short error answer in the form the client asked for."""
    if wants_json(scope):
        info = {"ok": False, "status": status, "title": title, "error": message}
        return json.dumps(info).encode(), b"application/json; charset=utf-8"
    page = (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Co-production Register</title></head>\n"
        f"<body><main><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{HOME_LINK}</main></body>\n</html>\n"
    )
    return page.encode(), b"text/html; charset=utf-8"


async def send_error(scope, send, status: int, title: str, message: str, extra_headers=()) -> None:
    """Answer at once with a plain error that is never cached, with the security headers."""
    body, content_type = error_body(scope, status, title, message)
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra_headers,
        *security_headers(content_security_policy()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def refusal(scope) -> tuple[int, str, str] | None:
    """The status, title and message for a request over a limit, or None if it is fine."""
    path = scope.get("raw_path") or scope.get("path", "").encode()
    qs = scope.get("query_string") or b""
    if len(qs) > MAX_QUERY_BYTES or len(path) > MAX_PATH_BYTES:
        return (
            414,
            "Address too long",
            f"This address is too long for the register to read (the part after '?' may be at most "
            f"{MAX_QUERY_BYTES // 1024} KB). Shorten the query or remove some filters.",
        )
    if qs and qs.count(b"&") + 1 > MAX_PARAMS:
        return (
            400,
            "Too many parameters",
            f"This address has more than {MAX_PARAMS} parameters, more than any page of the register "
            "needs. Remove some filters and try again.",
        )
    if b"%00" in qs or b"\0" in qs:
        return (
            400,
            "Address not understood",
            "This address contains a null character (%00), which no name or value in the register "
            "can contain. Check the address and try again.",
        )
    if b"_shape=" in qs:
        for name, value in parse_qsl(qs.decode("latin-1"), keep_blank_values=True):
            if name == "_shape" and value not in SHAPES:
                return (
                    400,
                    "Shape not known",
                    f"_shape={value} is not a shape the register can give: use one of {', '.join(SHAPES)}.",
                )
    return None


def wrap(app):
    async def limited(scope, receive, send):
        if scope.get("type") == "http":
            refused = refusal(scope)
            if refused is not None:
                return await send_error(scope, send, *refused)
        return await app(scope, receive, send)

    return limited


@hookimpl(hookwrapper=True)
def asgi_wrapper(datasette):
    """Outermost, whatever order the plugins load in: Datasette applies the wrappers in
    the order of this hook's results, so the last one applied is the first to run."""
    outcome = yield
    outcome.force_result([*outcome.get_result(), wrap])
