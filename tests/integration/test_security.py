"""Security of the public site, in-process: headers on every kind of response, a strict
Content-Security-Policy that the templates actually keep to, a read-only site, and free
text escaped wherever it is shown."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from datasette.utils import tilde_encode

from register.database.build import build
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.browser.pages import register_pages
from tests.conftest import Client, copy_repo

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}

RESPONSES = {
    "HTML database page": ("/register", 200),
    "HTML table page": ("/register/coproduction_log?gate=assess", 200),
    "HTML row page": ("/register/projects/PRJ-0001", 200),
    "HTML query page": ("/register?" + urlencode({"sql": "select 1 as one"}), 200),
    "HTML SQL error": ("/register?" + urlencode({"sql": "select * from no_such_table"}), 400),
    "HTML 404": ("/register/no_such_table", 404),
    "HTML 404 outside the database": ("/no-such-page", 404),
    "JSON": ("/register/projects.json", 200),
    "JSON 404": ("/register/no_such_table.json", 404),
    "CSV": ("/register/projects.csv", 200),
    "CSV streamed": ("/register/projects.csv?_stream=on", 200),
    "SQLite download": ("/register.db", 200),
    "static file (ours)": ("/static/css/register.css", 200),
    "static file (Datasette)": ("/-/static/app.css", 200),
    "static file (plugin)": ("/-/static-plugins/datasette_vega/main.2acbb312.css", 200),
    "static 404": ("/static/css/no-such-file.css", 404),
    "Datasette metadata JSON": ("/-/versions.json", 200),
}


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def check_headers(response, where: str) -> dict[str, list[str]]:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (where, name, response.headers.get(name))
    assert "camera=()" in response.headers.get("permissions-policy", ""), where
    csp = response.headers.get("content-security-policy")
    assert csp, f"{where}: no Content-Security-Policy"
    d = csp_directives(csp)
    assert d["default-src"] == ["'self'"], where
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"], where
    assert d["base-uri"] == ["'self'"] and d["form-action"] == ["'self'"], where
    for name, sources in d.items():
        for source in sources:
            # Only this origin, hashes, nonces and the named keywords: no other origin,
            # no scheme wildcards (data: only for images), no inline script or style.
            assert (
                source in ("'self'", "'none'", "'unsafe-eval'")
                or source.startswith(("'nonce-", "'sha256-"))
                or (name == "img-src" and source == "data:")
            ), f"{where}: {name} allows {source}"
    return d


@pytest.mark.parametrize("kind", list(RESPONSES))
def test_security_headers_on_every_kind_of_response(client, kind):
    path, status = RESPONSES[kind]
    response = client.get(path)
    assert response.status_code == status, (kind, response.status_code)
    check_headers(response, kind)


def test_eval_is_allowed_only_where_vega_loads(client):
    """Vega 4 (datasette-vega) compiles expressions with new Function: 'unsafe-eval' is
    needed where its bundle loads, and nowhere else."""
    with_vega = ["/register/coproduction_log", "/register?" + urlencode({"sql": "select 1"})]
    without = [
        "/register",
        "/register/projects/PRJ-0001",
        "/register/no_such_table",
        "/register/projects.json",
        "/static/css/register.css",
    ]
    for path in with_vega:
        response = client.get(path)
        assert "/-/static-plugins/datasette_vega/" in response.text, path
        assert "'unsafe-eval'" in csp_directives(response.headers["content-security-policy"])["script-src"], path
    for path in without:
        response = client.get(path)
        assert "datasette_vega/main" not in response.text, path
        assert "'unsafe-eval'" not in response.headers["content-security-policy"], path
    # The register's own pages, charts included, as far as they exist yet.
    for path in ("/", "/measures", "/measures/depth_by_gate", "/gate-assurance", "/projects"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-eval'" not in response.headers["content-security-policy"], path


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts without the nonce or a hash
    the CSP allows, <style> elements, style attributes and inline event handlers."""

    def __init__(self, nonce: str | None, hashes: frozenset = frozenset()):
        super().__init__()
        self.nonce = nonce
        self.hashes = hashes
        self.problems: list[str] = []
        self.inline: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and not (self.nonce and attrs.get("nonce") == self.nonce):
            if attrs.get("type") not in ("application/json", "application/ld+json"):
                self.inline = []
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in attrs:
            self.problems.append(f"style attribute on <{tag}>")
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            if (
                tag in ("script", "link", "img", "iframe", "form")
                and re.match(r"^(https?:)?//", value)
                and not (tag == "link" and attrs.get("rel") in ("license", "alternate"))
            ):
                self.problems.append(f"<{tag} {name}={value}> loads from another origin")

    def handle_data(self, data):
        if self.inline is not None:
            self.inline.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self.inline is not None:
            digest = base64.b64encode(hashlib.sha256("".join(self.inline).encode()).digest()).decode()
            if f"'sha256-{digest}'" not in self.hashes:
                self.problems.append("inline <script> without the response's nonce or an allowed hash")
            self.inline = None


def test_datasette_pages_keep_to_the_csp(client, build_dir):
    """Every Datasette page type: no inline script (unless nonced), no inline style, no
    handler attributes, no resource from another origin."""
    failures = []
    for page in register_pages(build_dir):
        response = client.get(page.path)
        assert response.status_code == page.status, (page.path, response.status_code)
        script_src = csp_directives(response.headers["content-security-policy"])["script-src"]
        nonce = next((s[len("'nonce-") : -1] for s in script_src if s.startswith("'nonce-")), None)
        parser = InlineCode(nonce, frozenset(s for s in script_src if s.startswith("'sha256-")))
        parser.feed(response.text)
        if parser.problems:
            failures.append(f"{page}: {sorted(set(parser.problems))}")
    assert not failures, "\n".join(failures)


def test_each_response_gets_a_fresh_nonce(client):
    a = client.get("/register").headers["content-security-policy"]
    b = client.get("/register").headers["content-security-policy"]
    assert "'nonce-" in a and a != b


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/register",
        "/register/projects",
        "/register/projects/PRJ-0001",
        "/-/logout",
        "/-/permissions",
        "/register/projects/-/insert",
    ],
)
def test_the_site_is_read_only(client, method, path):
    response = asyncio.run(client.ds.client.request(method, path))
    assert response.status_code == 405, (method, path, response.status_code)
    assert response.headers["allow"] == "GET, HEAD"
    assert "read-only" in response.text
    check_headers(response, f"{method} {path}")


def test_head_is_allowed(client):
    response = asyncio.run(client.ds.client.head("/register/projects"))
    assert response.status_code == 200
    check_headers(response, "HEAD")


@pytest.mark.parametrize("path", ["/\\evil.example/", "/\\\\evil.example/", "//evil.example/", "/\\/evil.example/"])
def test_a_redirect_never_leaves_the_site(client, path):
    """An address ending in "/" is redirected to the same address without it; a path that
    starts with a backslash was sent to 'Location: /\\evil.example', which a browser reads
    as another site's address."""
    response = client.get(path)
    assert response.status_code in (301, 302), response.status_code
    location = response.headers["location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert location == "/evil.example"
    check_headers(response, path)


def test_redirects_within_the_site_are_unchanged(client):
    assert client.get("/register/projects/").headers["location"] == "/register/projects"
    assert client.get("/projects/prj-0001").headers["location"] == "/projects/PRJ-0001"


# --- Free text is always escaped --------------------------------------------------

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
RAW = ("<script>alert(", "<img src=x")
ESCAPED = "&lt;script&gt;alert("


def _set(path: Path, key: str, key_value: str, field: str, value: str) -> None:
    """Set one cell of a CSV in the scratch copy, keeping its columns and other rows."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fieldnames = reader.fieldnames
        rows = list(reader)
    hits = [r for r in rows if r[key] == key_value]
    assert hits, f"{path.name}: no row with {key}={key_value}"
    hits[0][field] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A register built from a scratch copy whose free text carries an XSS payload: a
    project's title (shown as the label of every link to it), an activity's description
    and a "You said" item."""
    root = copy_repo(tmp_path_factory.mktemp("hostile-repo"))
    datasets = root / "datasets"
    _set(datasets / "projects.csv", "id", "PRJ-0001", "title", "Project " + PAYLOAD)
    first_log = next(csv.DictReader((datasets / "coproduction_log.csv").open(encoding="utf-8")))["id"]
    _set(datasets / "coproduction_log.csv", "id", first_log, "description", "Activity " + PAYLOAD)
    first_said = next(csv.DictReader((datasets / "you_said_we_did.csv").open(encoding="utf-8")))["id"]
    _set(datasets / "you_said_we_did.csv", "id", first_said, "you_said", "People said " + PAYLOAD)
    out = root / "build"
    build(Package(root), out)
    return Client(datasette_instance(out)), out, first_log, first_said


def test_free_text_is_escaped_on_every_datasette_page(hostile):
    client, out, first_log, first_said = hostile
    shown = {
        "table": "/register/projects",
        "table with facet on the text": "/register/projects?_facet=title",
        "table with the label of a link": "/register/coproduction_log",
        "table search": "/register/coproduction_log?_search=alert",
        "row": "/register/projects/PRJ-0001",
        "row of another table": f"/register/coproduction_log/{first_log}",
        "row linking to it": f"/register/you_said_we_did/{first_said}",
        "view": f"/register/you_said_we_did_current?id={first_said}",
        "query": "/register?" + urlencode({"sql": "select title, summary from projects"}),
        "query with the text in the SQL": "/register?" + urlencode({"sql": f"select '{PAYLOAD}' as x"}),
        "filter with the text as its value": "/register/projects?" + urlencode({"title__contains": PAYLOAD}),
    }
    not_found = "/register/" + tilde_encode('<script>alert("xss")<img src=x onerror=alert(1)>')
    for kind, path in {**shown, "404 with the text in the path": not_found}.items():
        response = client.get(path)
        assert response.status_code == (404 if path == not_found else 200), (kind, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), kind
        for raw in RAW:
            assert raw not in response.text, f"{kind} ({path}) shows {raw!r} unescaped"
    for kind, path in shown.items():
        assert ESCAPED in client.get(path).text, f"{kind} ({path}) does not show the text at all"


def test_free_text_is_never_raw_html_on_any_page(hostile):
    """Every Datasette page type, plus the register's own pages from the main navigation,
    as far as they exist: the payload never appears as markup."""
    client, out, first_log, first_said = hostile
    pages = [(p.path, p.status) for p in register_pages(out)]
    own = ("/", "/projects", "/projects/PRJ-0001", "/gate-assurance", "/measures", "/search?q=alert", "/glossary")
    pages += [(path, 200) for path in (*own, "/downloads", "/accessibility")]
    for path, status in pages:
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        for raw in RAW:
            assert raw not in response.text, f"{path} shows {raw!r} unescaped"


def test_json_and_csv_carry_the_text_as_data_not_html(hostile):
    client = hostile[0]
    response = client.get("/register/projects.json?_shape=array")
    assert response.headers["content-type"].startswith("application/json")
    assert any(PAYLOAD in row["title"] for row in response.json())
    response = client.get("/register/projects.csv")
    assert not response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
