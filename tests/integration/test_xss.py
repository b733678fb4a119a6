"""Script in any record is inert everywhere: on every page, in the Atom feeds and in the
downloads. And formula text is neutralised in the CSV downloads.

A scratch copy of the register gets an XSS payload, with a marker naming its table and
field, in every field people type into (every `x-free-text` field in the schemas, and
the other plain-text fields the privacy gate checks: titles, roles, sections). It is
validated and built by the real build, served as `make serve` serves it, and crawled.
Each HTML page is parsed: no marker may turn up inside a <script>, an on* attribute,
a javascript: URL, or as an element of its own; and every marker must be seen, as text,
on some page (so a payload that is never shown cannot pass by accident).
"""

from __future__ import annotations

import asyncio
import csv
import html.parser
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from register.checks.privacy import checked_fields
from register.database.build import build
from register.schema.package import MAIN_RESOURCES, Package
from register.site.serve import datasette_instance
from tests.conftest import copy_repo

MAX_PAGES = 260


def payload(marker: str, short: bool) -> str:
    if short:
        return f'<script>alert("{marker}")</script><img src=x onerror=alert("{marker}")>'
    return (
        f'</textarea></title><script>alert("{marker}")</script>'
        f'<img src=x onerror=alert("{marker}")>"><svg onload=alert("{marker}")>'
        f"'><a href=\"javascript:alert('{marker}')\">{marker}-link</a>"
        f"[{marker}-md](javascript:alert('{marker}')) {{{{7*7}}}} <!-- {marker}-comment"
    )


FORMULAS = {
    "hyperlink": '=HYPERLINK("https://example.invalid/{m}","{m}")',
    "dde": "+cmd|' /C calc'!A0 {m}",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0 {m}",
}


CODELIST = "themes"


def marker_for(res: str, field: str) -> str:
    return f"xss-{res}-{field}".replace("_", "")


def inject(repo: Path) -> tuple[dict[str, tuple[str, str, str]], dict[str, tuple[str, str]]]:
    """Put payloads into the scratch copy; {marker: (resource, field, row id)} and
    {formula marker: (resource, field)}."""
    package = Package(repo)
    markers, formulas = {}, {}
    for name in MAIN_RESOURCES:
        res = package.resource(name)
        path = res.path
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header, rows = reader.fieldnames, list(reader)
        pk = res.primary_key[0]
        fields = {f.name: f for f in checked_fields(res)} | {f.name: f for f in res.fields if f.free_text}
        for fname, field in fields.items():
            filled = [r for r in rows if r.get(fname, "").strip()]
            if not filled:
                continue
            limit = field.constraints.get("maxLength", 100_000)
            marker = marker_for(name, fname)
            text = payload(marker, short=limit < 600)
            row = filled[0]
            row[fname] = (row[fname][: max(0, limit - len(text) - 1)] + " " + text).strip()
            markers[marker] = (name, fname, row[pk])
            if field.free_text and len(filled) > 1:
                kind = list(FORMULAS)[len(formulas) % len(FORMULAS)]
                fm = f"formula{kind}-{marker}"
                filled[1][fname] = FORMULAS[kind].format(m=fm) + " " + filled[1][fname][: limit - 80]
                formulas[fm] = (name, fname)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    # A code's title, which the site shows beside the code and the data dictionary lists.
    path = repo / "datasets" / "codelists" / f"{CODELIST}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    marker = marker_for(CODELIST, "title")
    rows[0]["title"] = payload(marker, short=True)
    markers[marker] = (CODELIST, "title", rows[0]["code"])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return markers, formulas


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    repo = copy_repo(tmp_path_factory.mktemp("xss-repo"))
    markers, formulas = inject(repo)
    out = repo / "build"
    build(Package(repo), out)  # validates first: the payloads are valid data
    return repo, out, markers, formulas


class Inspector(html.parser.HTMLParser):
    """Finds markers that would run: in script, on* attributes, javascript: URLs,
    or as elements injected into the page."""

    INJECTED_TAGS = {"script", "img", "svg", "iframe", "object", "embed"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self._data_block = False

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            value = value or ""
            if key.startswith("on") and "xss-" in value:
                self.live.append(f"<{tag} {key}={value!r}>")
            if key in (
                "href",
                "src",
                "action",
                "formaction",
                "data",
                "xlink:href",
            ) and value.strip().lower().startswith("javascript:"):
                self.live.append(f"<{tag} {key}={value!r}>")
        if tag == "script":
            self._in_script = True
            kind = (dict(attrs).get("type") or "").lower()
            self._data_block = kind in ("application/json", "application/ld+json")
        if tag in self.INJECTED_TAGS and any("xss-" in (v or "") for _, v in attrs):
            self.live.append(f"<{tag} {attrs!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and self._data_block and "xss-" in data:
            # A JSON data block (a chart's spec) may hold record text, escaped so that
            # nothing in it can end the block: it must still be whole, valid JSON.
            try:
                json.loads(data)
            except ValueError:
                self.live.append(f"broken JSON data block: {data[:200]}")
            if "</" in data or "<!--" in data:
                self.live.append(f"JSON data block that could be ended early: {data[:200]}")
        elif self._in_script and "xss-" in data:
            self.live.append(f"<script>{data[:200]}")
        elif not self._in_script:
            self.text.append(data)

    def handle_comment(self, data):
        self.text.append(data)


def inspect_html(text: str) -> tuple[list[str], str]:
    p = Inspector()
    p.feed(text)
    p.close()
    return p.live, "".join(p.text)


LINK = re.compile(r'href="([^"]+)"')


def seeds(package: Package, markers) -> list[str]:
    urls = [
        "/",
        "/register",
        "/projects",
        "/gate-assurance",
        "/measures",
        "/glossary",
        "/downloads",
        "/accessibility",
        "/search?q=xss",
        "/search?q=alert",
        "/feeds/you-said.atom",
        "/feeds/status-changes.atom",
        "/register/you_said_we_did_current",
        "/register?sql=select+*+from+you_said_we_did+where+you_said+like+%27%25xss%25%27",
    ]
    for name in MAIN_RESOURCES:
        urls += [f"/register/{name}", f"/register/{name}?_search=xss", f"/register/{name}?_search=alert"]
    for marker, (name, field, pk) in markers.items():
        urls += [
            f"/register/{name}/{pk}",
            f"/register/{name}/{pk}.json",
            f"/register/{name}?{field}__contains={marker}",
        ]
        if name == "projects":
            urls.append(f"/projects/{pk}")
    return urls


def crawl(ds, start: list[str]) -> dict[str, tuple[int, str, str]]:
    """{url: (status, content type, text)} for the seeds and the pages they link to."""

    async def go():
        seen: dict[str, tuple[int, str, str]] = {}
        queue = deque(start)
        while queue and len(seen) < MAX_PAGES:
            url = queue.popleft()
            if url in seen:
                continue
            r = await ds.client.get(url)
            ctype = r.headers.get("content-type", "")
            seen[url] = (r.status_code, ctype, r.text)
            if "html" in ctype:
                for href in LINK.findall(r.text):
                    href = href.replace("&amp;", "&")
                    parts = urlsplit(urljoin(url, href))
                    if (
                        parts.netloc
                        or parts.path.startswith(("/static/", "/-/"))
                        or parts.path.endswith((".csv", ".db", ".zip", ".ipynb", ".js", ".css"))
                    ):
                        continue
                    nxt = parts.path + (f"?{parts.query}" if parts.query else "")
                    if nxt not in seen and (not parts.query or "xss" in parts.query or len(seen) < 120):
                        queue.append(nxt)
        return seen

    return asyncio.run(go())


@pytest.fixture(scope="module")
def crawled(hostile_site):
    repo, out, markers, _ = hostile_site
    ds = datasette_instance(out)
    return crawl(ds, seeds(Package(repo), markers))


def test_payloads_are_inert_on_every_page(crawled):
    problems = {}
    for url, (status, ctype, text) in crawled.items():
        if "html" not in ctype:
            continue
        live, _ = inspect_html(text)
        if live:
            problems[url] = live[:3]
    assert not problems, problems
    assert sum(1 for _, c, _ in crawled.values() if "html" in c) > 40, "the crawl saw too few pages"


def test_every_payload_was_shown_somewhere_as_text(crawled, hostile_site):
    _, _, markers, _ = hostile_site
    shown = set()
    for url, (status, ctype, text) in crawled.items():
        if "html" in ctype and status == 200:
            _, visible = inspect_html(text)
            shown |= {m for m in markers if f'alert("{m}")' in visible}
    missing = sorted(set(markers) - shown)
    assert not missing, f"payloads never shown on any crawled page (so never tested): {missing}"


def test_json_and_other_formats_are_not_served_as_html(crawled):
    for url, (status, ctype, text) in crawled.items():
        path = urlsplit(url).path
        if path.endswith(".json"):  # newline-delimited JSON (_nl=on) is text/plain
            assert ctype.startswith(("application/json", "text/plain")), (url, ctype)
        assert "html" in ctype or not text.lstrip().lower().startswith("<!doctype"), (url, ctype)
        if "html" in ctype:
            assert not path.endswith((".json", ".csv", ".atom")), (url, ctype)
        if path.endswith(".atom"):
            assert "atom+xml" in ctype, (url, ctype)


def test_atom_feeds_carry_payloads_as_inert_text(crawled, hostile_site):
    feeds = {u: v for u, v in crawled.items() if urlsplit(u).path.endswith(".atom")}
    assert feeds, "no Atom feed was found"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    seen_marker = False
    for url, (status, ctype, text) in feeds.items():
        assert status == 200, url
        root = ET.fromstring(text.encode("utf-8"))  # the payload must not break the XML
        for el in root.iter():
            kind = el.get("type", "text")
            content = "".join(el.itertext()) if kind != "xhtml" else ET.tostring(el, encoding="unicode")
            if "xss-" in content:
                seen_marker = True
            if kind in ("html", "xhtml"):
                live, _ = inspect_html(content)  # what a feed reader would render
                assert not live, (url, el.tag, live[:3])
        assert root.find("a:entry", ns) is not None or "entry" not in text
    assert seen_marker, "no payload reached a feed: the feed check tested nothing"


@pytest.fixture(scope="module")
def extracts(hostile_site, tmp_path_factory):
    from register.publishing.extracts import extract

    repo, out, _, _ = hostile_site
    target = tmp_path_factory.mktemp("xss-extracts")
    shutil.rmtree(target)
    extract(Package(repo), out / "register.db", target)
    return target


def test_extract_csvs_neutralise_formulas(extracts, hostile_site):
    _, _, _, formulas = hostile_site
    assert formulas, "no formula payloads were injected"
    found = {}
    for path in extracts.glob("*.csv"):
        with path.open(newline="", encoding="utf-8-sig") as f:
            for row in csv.reader(f):
                for cell in row:
                    for fm in formulas:
                        if fm in cell:
                            found.setdefault(fm, []).append((path.name, cell[:40]))
    assert set(found) == set(formulas), f"formula payloads missing from the extracts: {set(formulas) - set(found)}"
    for fm, cells in found.items():
        for name, cell in cells:
            assert cell[0] not in "=+-@\t\r", f"{name}: a spreadsheet would run {cell!r}"


def test_extract_json_keeps_the_exact_text(extracts, hostile_site):
    _, _, markers, _ = hostile_site
    text = "".join(p.read_text("utf-8") for p in extracts.glob("*.json"))
    for marker in markers:
        assert json.dumps(f'alert("{marker}")')[1:-1] in text, marker


def test_html_files_in_the_extracts_are_inert(extracts):
    pages = list(extracts.rglob("*.html"))
    assert pages, "the extracts hold no HTML page to check"
    shown = False
    for page in pages:
        live, visible = inspect_html(page.read_text("utf-8"))
        assert not live, (page.name, live[:3])
        shown |= f'alert("{marker_for(CODELIST, "title")}")' in visible
    assert shown, f"the payload in a title of {CODELIST} is in no HTML page of the extracts (so never tested)"


def _csv_cells(ds, path: str) -> list[list]:
    answer = asyncio.run(ds.client.get(path))
    assert answer.status_code == 200, (path, answer.status_code)
    return list(csv.reader(io.StringIO(answer.text, newline="")))


def test_datasette_csv_export_neutralises_formulas(hostile_site):
    """Every way the site writes CSV (a table page, streamed, as a download, an SQL
    query) puts the quote in front of the formula, exactly as the extracts do; the JSON
    of the same rows keeps the exact text."""
    repo, out, _, formulas = hostile_site
    ds = datasette_instance(out)
    by_table: dict[str, list[str]] = {}
    for fm, (name, _) in formulas.items():
        by_table.setdefault(name, []).append(fm)
    for name, markers in by_table.items():
        exact = {
            fm: v
            for row in asyncio.run(ds.client.get(f"/register/{name}.json?_shape=array&_size=max")).json()
            for v in row.values()
            for fm in markers
            if isinstance(v, str) and fm in v
        }
        assert set(exact) == set(markers), f"{name}: formula payloads missing from the JSON"
        assert all(v[0] in "=+-@" for v in exact.values()), "the JSON must keep the exact text"
        for path in (
            f"/register/{name}.csv?_size=max",
            f"/register/{name}.csv?_stream=on&_dl=1",
            f"/register.csv?sql=select+*+from+{name}",
        ):
            cells = {fm: c for row in _csv_cells(ds, path) for c in row for fm in markers if fm in c}
            assert set(cells) == set(markers), f"{path}: formula payloads missing"
            for fm, cell in cells.items():
                assert cell == "'" + exact[fm], f"{path}: a spreadsheet would run {cell[:40]!r}"


def test_datasette_csv_export_leaves_numbers_and_plain_text(hostile_site):
    """Only text that starts with a formula character changes: a negative number, an
    identifier and ordinary words go out as they are."""
    _, out, _, _ = hostile_site
    ds = datasette_instance(out)
    rows = _csv_cells(ds, "/register.csv?sql=select+-3+as+n,+'-3'+as+t,+'PRJ-0001'+as+id,+'a+-+b'+as+words,+null+as+e")
    assert rows == [["n", "t", "id", "words", "e"], ["-3", "'-3", "PRJ-0001", "a - b", ""]]


def test_the_inspector_catches_live_payloads():
    """The checker itself: unescaped payloads must be reported, escaped ones not."""
    raw = payload("xss-selftest", short=False)
    live, _ = inspect_html(f"<p>{raw}</p>")
    assert len(live) >= 3, live
    from markupsafe import escape

    live, visible = inspect_html(f"<p>{escape(raw)}</p>")
    assert live == [] and 'alert("xss-selftest")' in visible
    live, _ = inspect_html(
        '<script type="application/json">{"a": "</script><script>alert(\'xss-x\')</script>"}</script>'
    )
    assert live
