"""Fast on a phone: what makes the pages light, checked on the real built register served
as `make serve` serves it. (The Lighthouse scores themselves are measurements: `make
bench`, register/bench/lighthouse.py.)

- every page type has a meta description of its own;
- chart code is loaded only where a chart is shown, and then only after the page:
  datasette-vega's bundle behind a button on table and query pages, nowhere else; a
  measure's chart is an image drawn on the server, with no chart code at all;
- every stylesheet and script a page loads has a content-hashed URL, answered with a
  year-long immutable Cache-Control, compressed (brotli or gzip) when asked, and the
  right bytes;
- pages are compressed too, outside the response cache, which keeps one entry for all.
"""

from __future__ import annotations

import gzip
import re
from html import unescape
from pathlib import Path

import brotli
import pytest

from register.schema.package import ROOT
from register.site.assets import INDEX, mounts
from tests.browser.pages import register_pages

PAGE_TYPES = {
    "home": "/",
    "projects": "/projects",
    "a project": "/projects/PRJ-0001",
    "a 'You said' item": "/you-said/YS-0001",
    "'You said, we did' list": "/you-said",
    "measures": "/measures",
    "a measure": "/measures/depth_by_gate",
    "gate assurance": "/gate-assurance",
    "search": "/search?q=transport",
    "glossary": "/glossary",
    "downloads": "/downloads",
    "Datasette table": "/register/coproduction_log",
    "Datasette row": "/register/coproduction_log/LOG-0001",
    "Datasette query": "/register/projects_progressed_without_evidence",
}
CHART_PAGES = {"a measure", "Datasette table", "Datasette query"}
HASHED = re.compile(r"\.[0-9a-f]{10}\.(?:js|css)$|/datasette_vega/main\.[0-9a-f]{8}\.(?:js|css)$")
IDENTITY = {"Accept-Encoding": "identity"}


def description(html: str) -> str:
    found = re.findall(r'<meta name="description" content="([^"]*)">', html)
    assert len(found) == 1, found
    return unescape(found[0])


def loaded(html: str) -> list[str]:
    """The scripts and stylesheets a page loads with it (not those it names for later)."""
    return re.findall(r'<script[^>]* src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


@pytest.fixture(scope="module")
def pages(client) -> dict[str, str]:
    out = {}
    for kind, path in PAGE_TYPES.items():
        response = client.get(path, headers=IDENTITY)
        assert response.status_code == 200, (kind, path, response.status_code)
        out[kind] = response.text
    return out


def test_every_page_type_has_a_description_of_its_own(pages, client):
    described = {kind: description(html) for kind, html in pages.items()}
    for kind, text in described.items():
        assert len(text) >= 50 and "<" not in text and "{" not in text, (kind, text)
        assert len(text) <= 300, (kind, len(text))
    about = client.ds.metadata("publisher")["about"]
    assert described["home"] == about
    # Each page type says what it is, not the site's description again.
    others = {k: v for k, v in described.items() if k != "home"}
    assert about not in others.values()
    assert len(set(others.values())) == len(others), others
    assert described["a measure"].startswith("For each gate of the commissioning cycle")
    # A record with a title is described by it (templates/row.html).
    assert described["Datasette row"].startswith("Co-production log: Listening event, Beeston: one record of")


def test_every_datasette_page_has_a_description(client, build_dir):
    for page in register_pages(build_dir):
        html = client.get(page.path).text
        assert len(description(html)) >= 20, page


def test_chart_code_loads_only_where_and_when_a_chart_is_shown(pages):
    for kind, html in pages.items():
        scripts = " ".join(loaded(html))
        # Never loaded with the page, anywhere: datasette-vega's bundle.
        assert "vega" not in scripts.replace("/static/js/charts/datasette-vega.", ""), (kind, scripts)
        if kind not in CHART_PAGES:
            assert "data-vega-js" not in html and "/static/js/charts/" not in scripts, kind
    # A measure's chart is an image drawn on the server, with its size reserved: no
    # chart code at all.
    measure = pages["a measure"]
    assert "vega" not in measure.lower() and "/static/js/charts/" not in measure
    assert re.search(
        r'<img class="reg-chart__image" src="[^"]+/chart-narrow\.svg" width="320" height="[1-9][0-9]{2}"', measure
    )
    for kind in ("Datasette table", "Datasette query"):
        html = pages[kind]
        holder = re.search(r'<div class="datasette-vega-inactive reg-vega-lazy" ([^>]+)>', html).group(1)
        assert re.search(r'data-vega-js="/-/static-plugins/datasette_vega/main\.[0-9a-f]{8}\.js"', holder)
        assert re.search(r'data-vega-css="/-/static-plugins/datasette_vega/main\.[0-9a-f]{8}\.css"', holder)
        assert any(re.search(r"/static/js/charts/datasette-vega\.[0-9a-f]{10}\.js$", u) for u in loaded(html))


def test_chart_images_are_compressed_and_cached(pages, client):
    url = re.search(r'src="([^"]+/chart-narrow\.svg)"', pages["a measure"]).group(1)
    plain = client.get(url, headers=IDENTITY)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("image/svg+xml")
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    # httpx has decoded it; the bytes on the wire were a fraction of the image's.
    assert packed.headers.get("content-encoding") == "gzip" and packed.content == plain.content
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert client.get(url, headers={"If-None-Match": plain.headers["etag"]}).status_code == 304


def test_static_files_are_hashed_immutable_and_compressed(pages, client):
    urls = sorted({u for html in pages.values() for u in loaded(html)})
    urls += sorted(
        set(re.findall(r"[\w/.-]+", " ".join(re.findall(r'data-vega-(?:js|css)="([^"]+)"', " ".join(pages.values())))))
    )
    assert len(urls) >= 10
    roots = mounts()
    for url in urls:
        assert HASHED.search(url), url
        asset = INDEX.by_url[url]
        prefix = next(p for p in roots if url.startswith(p))
        on_disk = (roots[prefix] / asset.plain[len(prefix) :]).read_bytes()
        for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress), ("identity", None)):
            response = client.get(url, headers={"Accept-Encoding": encoding})
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable", url
            assert "accept-encoding" in response.headers["vary"].lower()
            assert response.headers["x-content-type-options"] == "nosniff"
            if decode is None:
                assert "content-encoding" not in response.headers
                assert response.content == on_disk, url
            else:
                assert response.headers["content-encoding"] == encoding, url
                # httpx has decoded it; the bytes on the wire were smaller than the file.
                assert response.content == on_disk, url
                raw = asset.encoding(encoding)
                assert decode(raw) == on_disk and int(response.headers["content-length"]) == len(raw)
                assert len(raw) < len(on_disk), url
    assert any(u.endswith(".css") for u in urls) and any("/-/static/codemirror" in u for u in urls)


def test_a_stale_hash_gets_the_current_file_briefly_and_plain_urls_still_work(client):
    current = client.get("/static/css/register.0000000000.css", headers=IDENTITY)
    assert current.status_code == 200
    assert current.content == (ROOT / "static" / "css" / "register.css").read_bytes()
    assert "immutable" not in current.headers["cache-control"]
    plain = client.get("/static/css/register.css", headers=IDENTITY)
    assert plain.status_code == 200 and plain.content == current.content
    assert client.get("/static/css/no-such.0000000000.css").status_code == 404


def test_pages_are_compressed_outside_the_response_cache(client):
    path = "/glossary?phone=1"  # a URL of its own: the first request fills the cache
    plain = client.get(path, headers=IDENTITY)
    assert plain.headers["x-cache"] == "MISS" and "content-encoding" not in plain.headers
    for encoding in ("br", "gzip"):
        packed = client.get(path, headers={"Accept-Encoding": encoding})
        assert packed.headers["x-cache"] == "HIT", encoding  # the same entry serves both
        assert packed.headers["content-encoding"] == encoding
        assert "accept-encoding" in packed.headers["vary"].lower()
        assert packed.text == plain.text
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
    # Not compressed: a CSV download (a file people save).
    csv = client.get("/register/projects.csv?_dl=1", headers={"Accept-Encoding": "br, gzip"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "content-encoding" not in csv.headers


def test_large_json_is_compressed_as_it_streams(client):
    response = client.get(
        "/register/coproduction_log.json?_shape=array&_stream=on", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()[0]["id"]


def test_one_inline_script_sets_the_js_class_before_the_first_paint(pages, client):
    from register.site.security import HEAD_SCRIPT, HEAD_SCRIPT_HASH

    response = client.get("/", headers=IDENTITY)
    assert f"<script>{HEAD_SCRIPT}</script>" in response.text
    assert HEAD_SCRIPT_HASH in response.headers["content-security-policy"]
    css = Path(ROOT / "static" / "css" / "register.css").read_text()
    assert ".js .site-nav__list { display: none; }" in css  # the menu is collapsed from the start
