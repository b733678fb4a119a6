"""Security headers on every response, and a read-only site.

Datasette 0.65.5 sends no security headers at all, so this ASGI wrapper adds them to
every response it serves (HTML, JSON, CSV, static files, errors):

- Content-Security-Policy: only this origin, no inline script (templates/ moves
  Datasette's inline scripts and styles into static/), no plugins, no framing, no
  <base> or form posts elsewhere. A per-request nonce is allowed for script, for the
  odd plugin that emits an inline script (base.html puts it on `body_scripts`; other
  templates can use `request.scope["csp_nonce"]`).
- 'unsafe-eval', and only on pages that load datasette-vega: its bundled Vega 4
  compiles chart expressions with `new Function` and has no CSP-safe mode. The wrapper
  looks for the plugin's script URL in the HTML it sends (templates name it only on
  table, view and query pages, where static/js/charts/datasette-vega.js loads it when
  someone asks for a chart), so every other page stays strict. The register's own
  measure charts are images drawn on the server (site/measure_chart.py): no script.
- One inline script, allowed by its hash (HEAD_SCRIPT).
- X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Permissions-Policy.

A redirect never leaves the site: Datasette answers an address ending in "/" with a
redirect to the same address without it, so `/\\evil.example/` was sent to
`Location: /\\evil.example`, which browsers read as `//evil.example`, another site (an
open redirect). A Location that starts with "/" then "/" or "\\" is given one "/" only.

The public site is read-only: staff change the register through git and `make`, never
through the web. Any method other than GET or HEAD is refused with 405 before it
reaches Datasette, whatever Datasette or a plugin might accept.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from datasette import hookimpl

ALLOWED_METHODS = frozenset({"GET", "HEAD"})

# Scripts that need 'unsafe-eval' (Vega 4's expression compiler), found in a page's HTML.
DATASETTE_VEGA = b"/-/static-plugins/datasette_vega/"
EVAL_SCRIPT_MARKERS = (DATASETTE_VEGA,)
# datasette-vega 0.6.2's bundled vega-embed 3 appends this exact <style> element (its
# own CSS, which the plugin's stylesheet already carries); allowed by hash, on its pages
# only. If the plugin is upgraded the hash changes and tests/browser reports a
# securitypolicyviolation.
VEGA_EMBED_STYLE_HASH = "'sha256-zHu+4xXhsS6NimrB7yW5G9nPUEUFviBhDjPmtcftAAM='"

# The site's one inline script (templates/base.html): it marks the page as having
# JavaScript before the first paint, so the stylesheet can lay it out as it will be
# (the menu collapsed on a phone) and nothing moves when the scripts arrive. Allowed by
# its hash, so the page holds no per-response value.
HEAD_SCRIPT = 'document.documentElement.className="js"'
HEAD_SCRIPT_HASH = "'sha256-%s'" % base64.b64encode(hashlib.sha256(HEAD_SCRIPT.encode()).digest()).decode()

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), sync-xhr=(), usb=(), xr-spatial-tracking=()"
)


def content_security_policy(nonce: str | None = None, allow_eval: bool = False, vega_embed_style: bool = False) -> str:
    """The CSP for one response: strict, plus a nonce, eval or a style hash when asked."""
    script = ["'self'", HEAD_SCRIPT_HASH]
    if nonce:
        script.append(f"'nonce-{nonce}'")
    if allow_eval:
        script.append("'unsafe-eval'")
    style = ["'self'"]
    if vega_embed_style:
        style.append(VEGA_EMBED_STYLE_HASH)
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(script),
        "style-src " + " ".join(style),
        # data: for CSS background images (the SQL editor's resize handle) and the PNG
        # a chart exports; never another origin.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode("latin-1")),
    ]


_OURS = {name for name, _ in security_headers("")}


def _with_headers(headers, csp: str) -> list:
    """Replace any copies of our headers (a plugin's, Datasette's) with ours."""
    kept = [(k, v) for k, v in headers or [] if k.lower() not in _OURS]
    return kept + security_headers(csp)


# After the first "/": what browsers would read as the start of another site's address.
OFF_SITE = b"/\\\t\r\n "


def _on_site(headers) -> list:
    """A redirect's Location kept on this site: '/\\evil.example' becomes '/evil.example'."""
    out = []
    for k, v in headers or []:
        if k.lower() == b"location" and v[:1] == b"/" and v[1:2] and v[1:2] in OFF_SITE:
            v = b"/" + v.lstrip(OFF_SITE)
        out.append((k, v))
    return out


def _is_html(headers) -> bool:
    for k, v in headers or []:
        if k.lower() == b"content-type":
            return v.split(b";")[0].strip().lower() == b"text/html"
    return False


async def _refuse(method: str, send) -> None:
    body = (
        f"405 Method Not Allowed: {method} is not accepted. This register is read-only; use GET to read it.\n"
    ).encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"allow", b"GET, HEAD"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send(
        {"type": "http.response.start", "status": 405, "headers": _with_headers(headers, content_security_policy())}
    )
    await send({"type": "http.response.body", "body": body})


def wrap(app):
    async def secured(scope, receive, send):
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        method = scope.get("method", "GET").upper()
        if method not in ALLOWED_METHODS:
            return await _refuse(method, send)
        nonce = secrets.token_hex(16)  # 128 bits; hex is valid base64 and a plain \w+ word
        scope = dict(scope, csp_nonce=nonce)
        pending: dict = {}

        async def send_secured(message):
            kind = message["type"]
            if kind == "http.response.start":
                if 300 <= message.get("status", 200) < 400:
                    message = dict(message, headers=_on_site(message.get("headers")))
                if _is_html(message.get("headers")):
                    # Hold the start of an HTML response until its body shows whether
                    # the page loads Vega (Datasette sends HTML in one body message).
                    pending["start"] = message
                    pending["body"] = []
                    return
                message = dict(message, headers=_with_headers(message.get("headers"), content_security_policy()))
                return await send(message)
            if kind == "http.response.body" and "start" in pending:
                pending["body"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(pending["body"])
                allow_eval = any(marker in body for marker in EVAL_SCRIPT_MARKERS)
                start = pending.pop("start")
                csp = content_security_policy(
                    nonce=nonce, allow_eval=allow_eval, vega_embed_style=DATASETTE_VEGA in body
                )
                await send(dict(start, headers=_with_headers(start.get("headers"), csp)))
                return await send({"type": "http.response.body", "body": body})
            return await send(message)

        return await app(scope, receive, send_secured)

    return secured


@hookimpl
def asgi_wrapper(datasette):
    return wrap
