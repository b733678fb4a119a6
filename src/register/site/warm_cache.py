"""Fill the response cache (register/site/cache.py) with the register's main pages as soon as
the server is up, and again before those entries expire.

Why: at a million rows the home page, /measures, /gate-assurance and the table pages
take 0.2 to 0.7 s to work out. With the cache, only the first visitor after a start
or a rebuild waits for that; and 50 people arriving at once on a cold server are
refused (503, register/site/sql_guard.py) rather than queued. Visiting the main pages first,
one at a time, means no visitor pays for them.

It is switched on by register/site/serve.py, which sets REGISTER_WARM_URL to the address the
server listens on (http://127.0.0.1:8001); the tests and `datasette` run directly do not
warm. Behind a proxy, set REGISTER_PUBLIC_HOST to the public host name: the cache keys
on the Host header, so the warm pages must be asked for under the name visitors use.
The pages are requested over real HTTP, exactly as a visitor would, from a background
thread: seeds, then every link on them to the register's own pages and tables (one
level, no query strings, at most MAX_PAGES), and the chart images of any of those.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

from datasette import hookimpl

from register import settings

WARM_ENV = settings.WARM_URL.name
HOST_ENV = settings.PUBLIC_HOST.name
SEEDS = ("/", "/measures", "/projects", "/gate-assurance", "/register")
FOLLOW = re.compile(r"^/(?:measures(?:/[a-z_]+)?|projects|gate-assurance|glossary|register(?:/[a-z_]+)?)$")
# A measure page's chart images (register/site/measure_chart.py): drawing one the first
# time takes up to 0.5 s at a million rows, so the warmer asks for them too.
CHART_IMAGES = re.compile(r'(?:src|srcset)="(/measures/[a-z_]+/chart-[a-z]+\.svg)"')
MAX_PAGES = 140
START_TIMEOUT_S = 60.0


def _get(base: str, path: str, host: str | None) -> str:
    request = urllib.request.Request(urljoin(base, path), headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError):
        return ""


def _links(html: str) -> list[str]:
    out = []
    for href in re.findall(r'href="([^"#?]+)"', html):
        path = urlsplit(href).path if href.startswith("/") else ""
        if FOLLOW.match(path) and path not in out:
            out.append(path)
    return out


def warm_once(base: str, host: str | None = None) -> list[str]:
    """Request the seed pages and the pages they link to; returns the paths visited."""
    seen: list[str] = []
    queue = list(SEEDS)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        html = _get(base, path, host)
        found = _links(html) if path in SEEDS else []
        found += CHART_IMAGES.findall(html)
        queue += [p for p in found if p not in seen and p not in queue]
    return seen


def _wait_until_serving(base: str) -> bool:
    address = urlsplit(base)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address.hostname, address.port or 80), timeout=2).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def _run(base: str, host: str | None, every_s: float) -> None:
    if not _wait_until_serving(base):
        return
    while True:
        warm_once(base, host)
        time.sleep(every_s)


@hookimpl
def startup(datasette):
    base = settings.WARM_URL.raw()
    if not base:
        return
    # Again a little before register/site/cache.py drops entries for age.
    every = max(30.0, settings.number(settings.CACHE_MAX_AGE_S) * 0.9)
    threading.Thread(
        target=_run,
        args=(base, settings.host_name(settings.PUBLIC_HOST) or None, every),
        name="warm-cache",
        daemon=True,
    ).start()
