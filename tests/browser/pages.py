"""The Datasette pages to scan: one URL per page type, worked out from the built register.

Page types (issue 5): the database page, every table and view with its facets shown and
a filter applied (the codelists share one shape: one of them stands for all), one row
page per table (every main table, one codelist, one stored measure), the SQL
page, a failing SQL query, every canned query in the metadata, and error pages; and the
"You said" pages (designed_pages). The
list follows the data: a new table, view or canned query is scanned without editing
this file.

For the register's own pages (home, project pages, gate assurance, measures, glossary,
search, downloads, accessibility statement, feeds) write a separate test file, e.g.
tests/browser/test_accessibility_pages.py, that lists those URLs and reuses the fixtures
of tests/browser/conftest.py:

    from tests.browser.pages import describe

    def test_my_page(visit, axe):
        page = visit("/gate-assurance")        # fails on another-origin request or a CSP block
        violations = axe(page)                  # axe-core, WCAG 2.0-2.2 A and AA
        assert violations == [], describe(violations)

`axe` prints the count per page (run pytest with -s to see it). Other fixtures there:
`page` (1280 px wide), `narrow_page` (320 px: `visit(path, target=narrow_page)`),
`site_url`, `browser`. Every page records its requests and CSP violations; after
clicking through a page, call `visit.check(page)` to assert it stayed clean.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from datasette.utils import tilde_encode

from register.database.views import MATERIALISE, VIEWS_SQL
from register.schema.package import ROOT, Package

DATABASE = "register"


@dataclass(frozen=True)
class Page:
    kind: str  # database, table, view, row, query, canned, error, designed (the register's own)
    path: str  # path and query string, from the site root
    status: int = 200

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def _metadata(build_dir: Path) -> dict:
    meta = json.loads((build_dir / "metadata.json").read_text("utf-8"))
    return meta.get("databases", {}).get(DATABASE, {})


def _names(conn: sqlite3.Connection, kind: str) -> list[str]:
    return [
        n
        for (n,) in conn.execute(
            "select name from sqlite_master where type = ? and name not like 'sqlite_%' "
            "and name not like '%_fts' and name not like '%_fts_%' order by name",
            (kind,),
        )
    ]


def _columns(conn: sqlite3.Connection, name: str) -> list[tuple[str, bool]]:
    return [(r[1], bool(r[5])) for r in conn.execute(f"pragma table_info([{name}])")]


def _filtered(conn: sqlite3.Connection, name: str, config: dict) -> str:
    """The table or view with facets shown and a filter on its first facet applied."""
    columns = _columns(conn, name)
    facets = list(config.get("facets") or [])
    params: list[tuple[str, str]] = []
    if not facets:
        # No configured facets: facet by the first column that is not the key.
        plain = [c for c, pk in columns if not pk] or [c for c, _ in columns]
        facets = plain[:1]
        params.append(("_facet", facets[0]))
    column = facets[0] if isinstance(facets[0], str) else next(iter(facets[0].values()))
    row = conn.execute(
        f"select [{column}], count(*) as n from [{name}] where [{column}] is not null "
        f"group by 1 order by n desc, 1 limit 1"
    ).fetchone()
    if row is not None:
        params.append((column, str(row[0])))
    return f"/{DATABASE}/{tilde_encode(name)}" + ("?" + urlencode(params) if params else "")


def _row_path(conn: sqlite3.Connection, name: str) -> str | None:
    pks = [c for c, pk in _columns(conn, name) if pk]
    select = ", ".join(f"[{c}]" for c in pks) if pks else "rowid"
    row = conn.execute(f"select {select} from [{name}] order by 1 limit 1").fetchone()
    if row is None:
        return None
    return f"/{DATABASE}/{tilde_encode(name)}/" + ",".join(tilde_encode(str(v)) for v in row)


def register_pages(build_dir: Path | str) -> list[Page]:
    """Every Datasette page type of the built register at build_dir."""
    build_dir = Path(build_dir)
    meta = _metadata(build_dir)
    tables_meta = meta.get("tables", {})
    package = Package(ROOT)
    known = {r.name for r in package.resources}
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    try:
        tables = [t for t in _names(conn, "table") if not tables_meta.get(t, {}).get("hidden")]
        views = _names(conn, "view")
        pages = [
            Page("database", f"/{DATABASE}"),
            Page(
                "query",
                f"/{DATABASE}?"
                + urlencode(
                    {
                        "sql": "select id, title, gate, participation_level from coproduction_log order by activity_date desc"
                    }
                ),
            ),
            Page("query", f"/{DATABASE}?" + urlencode({"sql": "select 1"})),
            Page("query-error", f"/{DATABASE}?" + urlencode({"sql": "select * from no_such_table"}), status=400),
            Page("error", f"/{DATABASE}/no_such_table", status=404),
            Page("error", "/no-such-page/at-all", status=404),
            Page("table", f"/{DATABASE}/projects"),
        ]
        codelist_done = False
        for name in tables:
            is_codelist = name in known and package.is_codelist(name)
            if is_codelist and codelist_done:
                continue  # codelists share one shape: one of them is enough
            pages.append(Page("table", _filtered(conn, name, tables_meta.get(name, {}))))
            codelist_done = codelist_done or is_codelist
        for name in views:
            pages.append(Page("view", _filtered(conn, name, tables_meta.get(name, {}))))
        codelist_done = stored_done = False
        stored = set(MATERIALISE.findall(VIEWS_SQL.read_text("utf-8")))
        for name in tables:
            is_codelist = name in known and package.is_codelist(name)
            if (is_codelist and codelist_done) or (name in stored and stored_done):
                # Codelists share one shape, and so do the stored measures' rows (a row
                # of numbers and codes): one of each is enough.
                continue
            path = _row_path(conn, name)
            if path:
                pages.append(Page("row", path))
                codelist_done = codelist_done or is_codelist
                stored_done = stored_done or name in stored
        pages.append(Page("error", f"/{DATABASE}/projects/NO-SUCH-ROW", status=404))
        pages += designed_pages(conn)
        for name, query in (meta.get("queries") or {}).items():
            params = {p: "" for p in (query.get("params") or [])} if isinstance(query, dict) else {}
            pages.append(
                Page("canned", f"/{DATABASE}/{tilde_encode(name)}" + ("?" + urlencode(params) if params else ""))
            )
        return pages
    finally:
        conn.close()


def designed_pages(conn: sqlite3.Connection) -> list[Page]:
    """The register's "You said" pages (issue 15): the list with and without filters, the
    explainer, one item page (they share one shape), and the errors a visitor can cause."""
    first = conn.execute("select id from you_said_we_did order by id limit 1").fetchone()
    pages = [
        Page("designed", "/you-said"),
        Page("designed", "/you-said?" + urlencode({"status": "open", "sort": "due"})),
        Page("designed", "/you-said/how-to-follow"),
        Page("error", "/you-said?" + urlencode({"status": "no-such-status"}), status=400),
        Page("error", "/you-said/NO-SUCH-ITEM", status=404),
    ]
    if first is not None:
        pages.append(Page("designed", f"/you-said/{tilde_encode(first[0])}"))
    return pages


def describe(violations: list[dict]) -> str:
    """A readable account of axe violations, for assertion messages."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{len(v['nodes'])} element(s)]")
        for node in v["nodes"][:5]:
            summary = (node.get("failureSummary") or "").strip().splitlines()
            lines.append(f"    {node['target']}: {summary[-1] if summary else ''}")
    return "\n".join(lines)
