"""The register's site as a visitor finds it: every same-site link followed from the home
page, breadth first, each link reduced to the page types it is an example of.

The performance issue promises p95 <= 100 ms "for every page type and filter the site
links to", and `make bench` times the list in register/bench/pages.py `public_pages()`.
`uncovered()` says which page types the crawl found that the list does not time.

A page type, for the register's own pages, is the route and the set of its query
parameters' names (`/you-said?status=&theme=`); each measure and chart is its own. A
table or view page of Datasette's is an example of several:

- its table (or view) as a page;
- each column it filters on, or "two or more" columns when it filters on several (the
  site links to every combination of facet values, which no bench could time; a page
  filtered on several columns cannot use the facet counts stored for one, so one such
  page of each table is timed);
- each other parameter that changes what is worked out (`_sort`, `_sort_desc`, `_next`,
  `_search`, `_facet_size`, `_stream`), but not those that only change how the same rows
  are written out (`_shape`, `_nl`, `_labels`, `_hide_sql`, `_dl`);
- its format (.json, .csv, .Notebook), with `_size` and `_stream`, once for all tables:
  a format writes out the rows the page works out, so it is timed on the costliest page.

The codelists (a table keyed by `code` with a title, as register/site/links.py reads
them) are alike and small at any size: they count as one table, "a codelist". A row
page is a page of its table (or "a codelist"), its format counted as a table's is. A
query written in SQL (a table page's "View and edit SQL") is one page type, its
parameters aside. Files (static assets, downloads, the database file, reports) are not
pages, and tables Datasette hides (search indexes, the stored facet counts) are not
followed: the public never reaches them but through `?_show_hidden=1`, itself a page.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, deque
from html import unescape
from urllib.parse import parse_qsl, unquote, urlsplit

from datasette.utils import tilde_decode

from register.site.links import DB, load_codelists

HREF = re.compile(r'\b(?:href|src)="([^"]*)"')
FILES = re.compile(
    r"^/(-/static|-/static-plugins|static|assets|reports)/|^/favicon\.ico$|^/downloads/.|^/register\.db$"
)
# Parameters that change only how the same rows are written out.
PRESENTATION = {"_shape", "_nl", "_labels", "_hide_sql", "_dl", "_json"}
# Parameters of a format: what one request of it returns.
FORMAT_PARAMS = {"_size", "_stream"}
CODELIST = "a codelist"
# The register's own pages whose address holds a record's id: one page type each.
ROUTES = [
    (r"^/projects/[^/]+$", "/projects/<id>"),
    (r"^/you-said/how-to-follow/?$", "/you-said/how-to-follow"),
    (r"^/you-said/[^/]+$", "/you-said/<id>"),
    (r"^/feeds/you-said/[^/]+\.atom$", "/feeds/you-said/<id>.atom"),
    (r"^/releases/[^/]+/?$", "/releases/<release>"),
]


class Site:
    """What the crawl needs to know of the register it crawls: its tables, hidden tables,
    codelists and canned queries."""

    def __init__(self, ds):
        self.ds = ds
        self.tables, self.hidden, self.codelists, self.queries = asyncio.run(self._read())

    async def _read(self):
        db = self.ds.get_database(DB)
        hidden = set(await db.hidden_table_names())
        tables = set(await db.table_names()) | set(await db.view_names())
        codelists = set(await load_codelists(self.ds))
        queries = set(await self.ds.get_canned_queries(DB, None))
        return tables, hidden, codelists, queries

    def table_of(self, name: str) -> str:
        return CODELIST if name in self.codelists else name

    def features(self, url: str) -> set[tuple] | None:
        """The page types `url` is an example of; None for a file, another site's address or
        a hidden table's page."""
        split = urlsplit(url)
        path, pairs = split.path, parse_qsl(split.query, keep_blank_values=True)
        names = frozenset(k for k, _ in pairs)
        if FILES.search(path):
            return None
        if not (path == f"/{DB}" or path.startswith((f"/{DB}/", f"/{DB}."))):
            m = re.match(r"^/measures/([^/]+?)(?:/chart-(\w+)\.svg)?/?$", path)
            if m:
                return {("page", f"/measures/{m.group(1)}" + (f"/chart-{m.group(2)}.svg" if m.group(2) else ""), names)}
            label = next((label for pattern, label in ROUTES if re.match(pattern, path)), path.rstrip("/") or "/")
            return {("page", label, names)}
        m = re.match(rf"^/{DB}(?:/([^/]+?))?(?:/([^/]+?))?(?:\.(\w+))?$", path)
        if not m:
            return {("page", path, names)}
        name, pk, fmt = m.group(1), m.group(2), m.group(3) or "html"
        shown = frozenset(names & FORMAT_PARAMS)
        if name is None:
            kind = "sql" if "sql" in names else "database"
            found = {(kind, fmt, shown)}
            if kind == "database":
                found.add(("database", frozenset(names - PRESENTATION)))
            else:
                found.add(("sql",))
            return found
        name = tilde_decode(unquote(name))
        if name in self.hidden:
            return None
        if name in self.queries:
            return {("format", "query", fmt, shown), ("query", name, frozenset(names - PRESENTATION - FORMAT_PARAMS))}
        table = self.table_of(name)
        if pk is not None:
            return {("format", "row", fmt, shown), ("row", table)}
        found = {("format", "table", fmt, shown), ("table", table)}
        filters = {k.split("__")[0] for k in names if not k.startswith("_")}
        if len(filters) == 1:
            found.add(("filter", table, next(iter(filters))))
        elif filters:
            found.add(("filter", table, "two or more"))
        found |= {("param", table, k) for k in names if k.startswith("_") and k not in PRESENTATION | {"_size"}}
        return found


def links(url: str, html: str) -> list[str]:
    """The same-site addresses a page links to (or loads an image from), as paths."""
    found = []
    for href in HREF.findall(html):
        href = unescape(href).split("#")[0]
        if href.startswith("http://localhost/"):
            href = href[len("http://localhost") :]
        if not href or href.startswith("//") or re.match(r"^[a-z][a-z0-9+.-]*:", href):
            continue
        if href.startswith("?"):
            href = urlsplit(url).path + href
        elif not href.startswith("/"):
            href = urlsplit(url).path.rsplit("/", 1)[0] + "/" + href
        found.append(href)
    return found


# Where a visitor starts: the home page, and the answer of the search box every page has
# (its links to each table's own search are reached no other way).
STARTS = ("/", "/search?q=care")


def crawl(ds, per_type: int = 2, starts: tuple[str, ...] = STARTS) -> dict[tuple, str]:
    """Every page type the site links to, with one address of each. A page is fetched
    (and its links followed) only while one of its page types has been fetched fewer
    than `per_type` times, and only if it is a page of HTML: a JSON, CSV or notebook
    address is counted, not fetched."""
    site = Site(ds)
    examples: dict[tuple, str] = {}
    fetched: Counter = Counter()
    seen, queue = set(starts), deque(starts)

    async def visit():
        while queue:
            url = queue.popleft()
            found = site.features(url)
            if not found:
                continue
            for f in found:
                examples.setdefault(f, url)
            path = urlsplit(url).path
            if re.search(r"\.(json|csv|Notebook|atom|svg|xml|txt)$", path) or "sql=" in url:
                continue
            exact = (path, frozenset(k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)))
            if all(fetched[f] >= per_type for f in found) or fetched[exact] >= per_type:
                continue
            fetched.update(found)
            fetched[exact] += 1
            response = await ds.client.get(url, cookies={"crawl": "1"})
            assert response.status_code < 500, f"{url} answered {response.status_code}"
            if "html" not in response.headers.get("content-type", ""):
                continue
            for href in links(url, response.text):
                if href not in seen:
                    seen.add(href)
                    queue.append(href)

    asyncio.run(visit())
    return examples


def uncovered(ds, crawled: dict[tuple, str], timed_paths: list[str]) -> dict[tuple, str]:
    """The page types crawled that no timed path is an example of, each with its address."""
    site = Site(ds)
    timed: set[tuple] = set()
    for path in timed_paths:
        timed |= site.features(path) or set()
    return {f: url for f, url in crawled.items() if f not in timed}
