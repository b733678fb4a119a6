"""The extract's data dictionary: one row per field of every file, as CSV and as HTML.

Generated from the Table Schemas and the codelists in the database, so it says what the
schemas say; the HTML page is standalone (no script, no inline style) and works from
the zip too.
"""

from __future__ import annotations

import csv
import html
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from register.publishing.extract_tables import FORMAT_NOTE, LINE_TERMINATOR, NEUTRALISATION_NOTE, Table, neutralised
from register.schema.package import Field, Package
from register.util.words import uk_moment

DICTIONARY_COLUMNS = [
    "resource",
    "field",
    "title",
    "type",
    "required",
    "allowed_codes",
    "description",
    "allowed_values",
    "csv_formula_neutralised",
]


def _codelist_for(f: Field, package: Package) -> str | None:
    ref = f.reference
    if ref and ref[0] in package.names and package.is_codelist(ref[0]):
        return ref[0]
    return f.list_of


def _codes(conn: sqlite3.Connection, codelist: str) -> list[tuple[str, str]]:
    order = (
        "sort_order, code"
        if "sort_order" in [r[1] for r in conn.execute(f"PRAGMA table_info([{codelist}])")]
        else "code"
    )
    return [(c, t) for c, t in conn.execute(f"SELECT code, title FROM [{codelist}] ORDER BY {order}")]


def dictionary_rows(package: Package, conn: sqlite3.Connection, all_tables: list[Table]) -> Iterator[dict]:
    """One row per field of every extracted file, from the schemas and the codelists."""
    cache: dict[str, list[tuple[str, str]]] = {}
    for t in all_tables:
        safe = neutralised(t)
        for f in t.fields:
            codelist = _codelist_for(f, package)
            codes = []
            if codelist:
                if codelist not in cache:
                    cache[codelist] = _codes(conn, codelist)
                codes = cache[codelist]
            yield {
                "resource": t.name,
                "field": f.name,
                "title": f.title,
                "type": f.type,
                "required": "yes" if f.required else "no",
                "allowed_codes": "; ".join(f"{c} = {title}" for c, title in codes),
                "codes": codes,
                "codelist": codelist,
                "description": f.description,
                "allowed_values": f.allowed(package, published=True),
                "csv_formula_neutralised": "yes" if f.name in safe else "no",
            }


def write_dictionary_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, DICTIONARY_COLUMNS, extrasaction="ignore", lineterminator=LINE_TERMINATOR)
        w.writeheader()
        w.writerows(rows)


def write_dictionary_html(path: Path, package: Package, rows: list[dict], written: list[dict], created: str) -> None:
    """A standalone, accessible page: no script, no inline style, works from the zip too."""
    e = html.escape
    title = package.descriptor.get("title", "Co-production Register")
    lic = (package.descriptor.get("licenses") or [{}])[0]
    by_table: dict[str, list[dict]] = {}
    for r in rows:
        by_table.setdefault(r["resource"], []).append(r)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Data dictionary – {e(title)}</title>",
        # The site's stylesheet when served from /downloads/; unstyled but complete
        # when opened from the zip.
        '<link rel="stylesheet" href="../static/css/register.css">',
        "</head>",
        "<body>",
        '<a href="#main" class="skip-link">Skip to the data dictionary</a>',
        '<div class="width-container page-body">',
        "<header>",
        f'<p><a href="../downloads">{e(title)}: downloads</a></p>',
        "</header>",
        '<main id="main" class="content">',
        "<h1>Data dictionary</h1>",
        f"<p>Every field of every file in the {e(title)} extract: what it means, its type, "
        "whether it is always filled in and, for coded fields, every code with its meaning. "
        "It is generated from the register's Table Schemas.</p>",
        f'<p>Extract created <time datetime="{e(created)}">{e(uk_moment(created))}</time>, '
        f"version {e(str(package.descriptor.get('version', '')))}. "
        f'Licence: <a href="{e(lic.get("path", ""))}">{e(lic.get("title", lic.get("name", "")))}</a>.</p>',
        '<h2 id="about-files">About the files</h2>',
        f"<p>{e(FORMAT_NOTE)}</p>",
        '<h3 id="csv-safety">CSV safety: cells that begin with a formula character</h3>',
        f"<p>{e(NEUTRALISATION_NOTE)}</p>",
        "<p>The column “Neutralised in CSV” below says which fields this can apply to.</p>",
        '<h2 id="contents">Tables</h2>',
        '<nav aria-labelledby="contents"><ul>',
    ]
    for w in written:
        t = w["table"]
        out.append(f'<li><a href="#table-{e(t.name)}">{e(t.title)}</a> (<code>{e(t.name)}</code>)</li>')
    out.append("</ul></nav>")
    for w in written:
        t: Table = w["table"]
        out += [
            f'<section aria-labelledby="table-{e(t.name)}">',
            f'<h2 id="table-{e(t.name)}">{e(t.title)} (<code>{e(t.name)}</code>)</h2>',
            f"<p>{e(t.description)}</p>" if t.description else "",
            f'<p>Files: <a href="{e(w["csv"])}">{e(w["csv"])}</a> and '
            f'<a href="{e(w["json"])}">{e(w["json"])}</a>; {w["rows"]:,} rows. '
            f"Each row is identified by {', '.join(f'<code>{e(k)}</code>' for k in t.primary_key)}."
            + (" This is a view, worked out from the tables." if t.is_view else "")
            + "</p>",
            f'<div class="table-wrapper" role="region" aria-label="Fields of {e(t.title)}" tabindex="0">',
            '<table class="data">',
            f"<caption>Fields of {e(t.title)}</caption>",
            "<thead><tr>"
            '<th scope="col">Field</th><th scope="col">Title</th><th scope="col">Type</th>'
            '<th scope="col">Required</th><th scope="col">What it means</th>'
            '<th scope="col">Allowed values</th><th scope="col">Neutralised in CSV</th>'
            "</tr></thead>",
            "<tbody>",
        ]
        for r in by_table.get(t.name, []):
            if r["codes"]:
                allowed = (
                    f"<p>{e(r['allowed_values'])}</p>"
                    f"<details><summary>{len(r['codes'])} codes of "
                    f"<code>{e(r['codelist'])}</code> and what they mean</summary><dl>"
                    + "".join(f"<dt><code>{e(c)}</code></dt><dd>{e(ti)}</dd>" for c, ti in r["codes"])
                    + "</dl></details>"
                )
            else:
                allowed = e(r["allowed_values"])
            out.append(
                f'<tr><th scope="row"><code>{e(r["field"])}</code></th><td>{e(r["title"])}</td>'
                f"<td>{e(r['type'])}</td><td>{r['required']}</td><td>{e(r['description'])}</td>"
                f"<td>{allowed}</td><td>{r['csv_formula_neutralised']}</td></tr>"
            )
        out += ["</tbody>", "</table>", "</div>", "</section>"]
    out += [
        "</main>",
        "<footer>",
        f"<p>Published by {e(str(package.descriptor.get('publisher', '')))} under the "
        f'<a href="{e(lic.get("path", ""))}">{e(lic.get("title", ""))}</a>.</p>',
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
    ]
    path.write_text("\n".join(x for x in out if x) + "\n", "utf-8")
