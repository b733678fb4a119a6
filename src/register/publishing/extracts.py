"""`make extracts`: complete downloads of the register for journalists and analysts.

Writes build/extracts/ from build/register.db: one CSV and one JSON per resource (and
per useful view), a Frictionless data package describing exactly those files, a data
dictionary (CSV and HTML), a changelog against the previous extract, one zip of it all
and SHA256SUMS. Datasette's own CSV/JSON endpoints truncate large results (PITFALLS),
so complete downloads come from here.

Why it is built the way it is:
- Every field's type, title, description and codes come from the Table Schemas through
  register/schema/package.py, never written twice.
- Streaming: rows go from the database cursor straight to the files, the changelog is a
  merge of two files sorted by primary key, and the zip is written file by file, so
  memory does not grow with the number of rows.
- Atomic: the whole set is written into a temporary directory beside build/extracts and
  swapped into place, so the site never serves a half-written set.
- CSV safety (OWASP "CSV injection"): a text cell starting with = + - @ tab or carriage
  return gets a leading single quote in the CSV, so a spreadsheet does not run it as a
  formula. The JSON keeps the exact text.
"""

from __future__ import annotations

import argparse
import copy
import csv
import ctypes
import datetime as dt
import html
import json
import os
import resource as _resource
import shutil
import sqlite3
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from register.schema.package import ROOT, Field, Package
from register.util.files import sha256_file

ZIP_NAME = "coproduction-register.zip"
ZIP_FOLDER = "coproduction-register"  # files sit in this folder inside the zip
SUMS_NAME = "SHA256SUMS"
DESCRIPTOR_NAME = "datapackage.json"
DICTIONARY_CSV = "data-dictionary.csv"
DICTIONARY_HTML = "data-dictionary.html"
CHANGELOG_MD = "CHANGELOG.md"
CHANGES_JSON = "changes.json"

# OWASP CSV injection guidance: cells starting with these are run as formulas by
# spreadsheets (tab and carriage return can hide a formula after them).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LINE_TERMINATOR = "\r\n"  # RFC 4180
# How many row identifiers of each kind (added, changed, removed) the changelog lists
# per resource; the counts are always complete.
CHANGELOG_ID_LIMIT = 1000

NEUTRALISATION_NOTE = (
    "CSV safety: in the CSV files, a text cell that begins with =, +, -, @, a tab or a "
    "carriage return has a single quote (') added in front of it, following the OWASP "
    "guidance on CSV injection, so that a spreadsheet shows the text instead of running "
    'it as a formula. This applies only to text fields marked "x-formula-neutralised" '
    "(free text with no fixed pattern); their maxLength in the CSV schema is one more "
    "than in the register's own schema to allow for the quote. Identifiers, codes, "
    "numbers, dates and true/false values are never changed. The JSON files keep the "
    "exact text."
)
FORMAT_NOTE = (
    "CSV files are UTF-8 without a byte order mark, comma-separated with a header row of "
    "field names, quoted as in RFC 4180, with CRLF line endings. Dates are ISO 8601 "
    "(YYYY-MM-DD); true/false fields are written true or false; an empty cell means no "
    "value. JSON files are UTF-8 arrays of objects, one per row, with typed values: "
    "numbers, true/false and null."
)


# --------------------------------------------------------------------------------------
# What is extracted: the package's resources and the views worth having as files.


@dataclass
class ViewResource:
    """Just enough of a package Resource for package.Field to describe a view's columns."""

    name: str
    schema: dict

    @property
    def primary_key(self) -> list[str]:
        return self.schema.get("primaryKey", [])


@dataclass
class Table:
    """One table or view to extract: its name, text and Table Schema."""

    name: str
    title: str
    description: str
    schema: dict  # the register's own schema (the JSON file is valid against it)
    is_view: bool = False
    fields: list[Field] = dc_field(init=False)

    def __post_init__(self):
        owner = ViewResource(self.name, self.schema)
        self.fields = [Field(d, owner) for d in self.schema["fields"]]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.schema["fields"]]

    @property
    def primary_key(self) -> list[str]:
        return list(self.schema.get("primaryKey", []))


# Views extracted as files. A column is either copied from a table's field (its
# descriptor comes from that schema, with any overrides) or computed by the view (its
# descriptor is here, beside the view's name, because the view has no schema file).
# The view itself is defined once in register/database/views.sql.
VIEWS: dict[str, dict] = {
    "you_said_we_did_current": {
        "title": '"You said, we did": current status',
        "primaryKey": ["id"],
        "columns": [
            ("id", "you_said_we_did.id", {}),
            ("project_id", "you_said_we_did.project_id", {}),
            ("activity_id", "you_said_we_did.activity_id", {}),
            ("said_date", "you_said_we_did.said_date", {}),
            ("theme", "you_said_we_did.theme", {}),
            ("you_said", "you_said_we_did.you_said", {}),
            (
                "status",
                "you_said_we_did_updates.status",
                {
                    "title": "Current status",
                    "description": "The item's current status: the status of its latest update, "
                    "or open when it has no update.",
                },
            ),
            (
                "status_date",
                "you_said_we_did_updates.update_date",
                {
                    "title": "Status since",
                    "description": "The date of the latest update (YYYY-MM-DD). Empty when the item has no update.",
                    "constraints": {},
                },
            ),
            (
                "we_did",
                "you_said_we_did_updates.we_did",
                {"description": "What was done, or what is planned or under way, as the latest update says."},
            ),
            (
                "reason",
                "you_said_we_did_updates.reason",
                {"description": "Why the item was not taken forward, as the latest update says."},
            ),
            ("target_date", "you_said_we_did.target_date", {}),
            (
                "first_response_date",
                {
                    "type": "date",
                    "title": "First response",
                    "description": "The date of the first update with a status other than open (YYYY-MM-DD).",
                },
                {},
            ),
            (
                "days_to_response",
                {
                    "type": "integer",
                    "title": "Days to first response",
                    "description": "Days from when it was said to the first response. Empty when there is no response yet.",
                },
                {},
            ),
            (
                "loop_closed",
                {
                    "type": "boolean",
                    "title": "Loop closed",
                    "description": "true when the current status is done or not taken forward (with the reason).",
                },
                {},
            ),
            (
                "overdue",
                {
                    "type": "boolean",
                    "title": "Overdue",
                    "description": "true when the response date has passed (on the day of the extract) and the loop is still open.",
                },
                {},
            ),
            (
                "updates",
                {
                    "type": "integer",
                    "title": "Updates",
                    "description": "How many status updates the item has had.",
                    "constraints": {"minimum": 0},
                },
                {},
            ),
        ],
    },
}


def _clean(descriptor: dict) -> dict:
    """A field descriptor without the register's x- rules (they are checked at validation)."""
    return {k: copy.deepcopy(v) for k, v in descriptor.items() if not k.startswith("x-")}


def view_table(package: Package, name: str, spec: dict, site_metadata: dict) -> Table:
    """A view's Table Schema, its copied columns described by their source fields."""
    fields, foreign_keys = [], []
    for column, source, overrides in spec["columns"]:
        if isinstance(source, str):
            res_name, field_name = source.split(".")
            src = package.resource(res_name).field(field_name)
            d = _clean(src.descriptor)
            ref = src.reference
            if ref:
                foreign_keys.append({"fields": [column], "reference": {"resource": ref[0], "fields": [ref[1]]}})
        else:
            d = copy.deepcopy(source)
        d.update(copy.deepcopy(overrides))
        d["name"] = column
        if column in spec["primaryKey"]:
            d.setdefault("constraints", {})["required"] = True
        fields.append(d)
    meta = site_metadata.get(name, {})
    schema = {
        "fields": fields,
        "primaryKey": list(spec["primaryKey"]),
        "foreignKeys": foreign_keys,
        "missingValues": [""],
    }
    return Table(name, meta.get("title") or spec["title"], meta.get("description", ""), schema, is_view=True)


def tables(package: Package, site_metadata: dict | None = None) -> list[Table]:
    """Every resource of the data package, then the views in VIEWS."""
    out = []
    for res in package.resources:
        schema = {k: copy.deepcopy(v) for k, v in res.schema.items() if not k.startswith("x-")}
        schema["fields"] = [_clean(d) for d in res.schema["fields"]]
        out.append(Table(res.name, res.title, res.description, schema))
    for name, spec in VIEWS.items():
        out.append(view_table(package, name, spec, site_metadata or {}))
    return out


def neutralised(table: Table) -> set[str]:
    """Text fields whose CSV cells are neutralised: free text, never keys or patterns.

    Identifiers and codes (primary and foreign keys, fields with a pattern) are left as
    they are: their patterns cannot start with a trigger, and changing them would break
    the links between files.
    """
    keys = set(table.primary_key)
    for fk in table.schema.get("foreignKeys", []):
        keys.update(fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]])
    return {
        d["name"]
        for d in table.schema["fields"]
        if d.get("type", "string") == "string" and "pattern" not in d.get("constraints", {}) and d["name"] not in keys
    }


def csv_schema(table: Table) -> dict:
    """The Table Schema of the CSV file: the register's, allowing for the added quote."""
    schema = copy.deepcopy(table.schema)
    safe = neutralised(table)
    for d in schema["fields"]:
        if d["name"] in safe:
            d["x-formula-neutralised"] = True
            if "maxLength" in d.get("constraints", {}):
                d["constraints"]["maxLength"] += 1
    return schema


# --------------------------------------------------------------------------------------
# Writing the files.


def _csv_cell(value) -> str:
    """One RFC 4180 cell, quoted only when it must be (as csv.QUOTE_MINIMAL does).

    Written by hand because the csv module is about six times slower on long free text,
    and the extracts must stay quick at a million rows. The tests read every file back
    with the csv module and compare it with the database.
    """
    if value is None:
        return ""
    if type(value) is str:
        if '"' in value:
            return '"' + value.replace('"', '""') + '"'
        if "," in value or "\n" in value or "\r" in value:
            return '"' + value + '"'
        return value
    return str(value)


def _json_sql(table: Table) -> str | None:
    """SQLite's json_object() for a row, or None when Python must encode it.

    SQLite writes JSON in C, about three times faster than json.dumps per row; it writes
    real numbers with 15 significant digits, so tables with number fields use Python.
    """
    types = [d.get("type", "string") for d in table.schema["fields"]]
    if "number" in types or len(types) > 60:  # json_object takes at most 127 arguments
        return None
    parts = []
    for d, t in zip(table.schema["fields"], types):
        col = f"[{d['name']}]"
        if t == "boolean":
            col = f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN json('true') ELSE json('false') END"
        key = d["name"].replace("'", "''")
        parts.append(f"'{key}', {col}")
    return "json_object(" + ", ".join(parts) + ")"


def _select(table: Table, extra: str | None = None) -> str:
    cols = ", ".join([f"[{n}]" for n in table.field_names] + ([extra] if extra else []))
    order = ", ".join(f"[{n}]" for n in table.primary_key) or "rowid"
    return f"SELECT {cols} FROM [{table.name}] ORDER BY {order}"


def write_table(conn: sqlite3.Connection, table: Table, csv_path: Path, json_path: Path) -> int:
    """Stream one table from the database into its CSV and JSON files; returns the rows."""
    names = table.field_names
    width = len(names)
    types = [d.get("type", "string") for d in table.schema["fields"]]
    bool_idx = [i for i, t in enumerate(types) if t == "boolean"]
    safe = neutralised(table)
    text_idx = [i for i, n in enumerate(names) if n in safe]
    json_sql = _json_sql(table)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    cell = _csv_cell
    rows = 0
    cur = conn.execute(_select(table, json_sql))
    with (
        csv_path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as fc,
        json_path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as fj,
    ):
        fc.write(",".join(map(cell, names)) + LINE_TERMINATOR)
        fj.write("[")
        sep = "\n"
        while True:
            batch = cur.fetchmany(2000)
            if not batch:
                break
            for row in batch:
                out = list(row[:width])
                if json_sql:
                    fj.write(sep + row[width])
                else:
                    jrow = list(out)
                    for i in bool_idx:
                        if jrow[i] is not None:
                            jrow[i] = bool(jrow[i])
                    fj.write(sep + encode(dict(zip(names, jrow))))
                sep = ",\n"
                for i in bool_idx:
                    v = out[i]
                    if v is not None:
                        out[i] = "true" if v else "false"
                for i in text_idx:
                    v = out[i]
                    if v and v[0] in FORMULA_TRIGGERS:
                        out[i] = "'" + v
                fc.write(",".join(map(cell, out)) + LINE_TERMINATOR)
            rows += len(batch)
        fj.write("\n]\n" if rows else "]\n")
    return rows


def descriptor(package: Package, written: list[dict], created: str, build_info: dict) -> dict:
    """The extract's datapackage.json: the register's package metadata, these files."""
    base = {k: copy.deepcopy(v) for k, v in package.descriptor.items() if k != "resources"}
    base["name"] = package.descriptor.get("name", "coproduction-register")
    base["description"] = (
        package.descriptor.get("description", "") + "\n\n"
        "This data package is the downloadable extract of the register: each "
        "table as a CSV file and as a JSON file, described by the same Table "
        "Schemas the register is validated against.\n\n" + FORMAT_NOTE + "\n\n" + NEUTRALISATION_NOTE
    )
    base["created"] = created
    if build_info.get("inputs_sha256"):
        base["x-inputs-sha256"] = build_info["inputs_sha256"]
    resources = []
    for w in written:
        t: Table = w["table"]
        common = {
            "title": t.title,
            "description": t.description
            + (" (This table is a view of the register, worked out from the tables above.)" if t.is_view else ""),
            "encoding": "utf-8",
            "profile": "tabular-data-resource",
        }
        resources.append(
            {
                "name": t.name,
                "path": w["csv"],
                **common,
                "format": "csv",
                "mediatype": "text/csv",
                "dialect": {
                    "delimiter": ",",
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "lineTerminator": LINE_TERMINATOR,
                    "header": True,
                },
                "schema": csv_schema(t),
                "bytes": w["csv_bytes"],
                "hash": "sha256:" + w["csv_sha256"],
                "x-row-count": w["rows"],
            }
        )
        resources.append(
            {
                "name": f"{t.name}_json",
                "path": w["json"],
                **common,
                "title": t.title + " (JSON)",
                "format": "json",
                "mediatype": "application/json",
                "schema": copy.deepcopy(t.schema),
                # No bytes/hash here: frictionless cannot count them for JSON (it reports
                # "None"); SHA256SUMS covers these files.
                "x-row-count": w["rows"],
            }
        )
    base["resources"] = resources
    return base


# --------------------------------------------------------------------------------------
# The data dictionary.

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
                "allowed_values": f.allowed(package),
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
        f'<p>Extract created <time datetime="{e(created)}">{e(_human_time(created))}</time>, '
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


def _human_time(iso: str) -> str:
    try:
        t = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return f"{t.day} {t:%B %Y}, {t:%H:%M} UTC"


# --------------------------------------------------------------------------------------
# The changelog: a merge of the previous and new CSV files, both sorted by primary key.


class NotSorted(Exception):
    pass


def _keyed_rows(path: Path, pk: list[str], types: dict[str, str]) -> tuple[list[str], Iterator[tuple[tuple, list]]]:
    """(header, iterator of (key, row)) for a CSV extract, checking it is in key order."""
    fh = path.open(newline="", encoding="utf-8")
    reader = csv.reader(fh)
    header = next(reader, [])
    if not set(pk) <= set(header):
        fh.close()
        raise NotSorted(f"the previous file has no {', '.join(pk)} column")
    key_idx = [(header.index(k), types.get(k) == "integer") for k in pk]

    def conv(v, is_int):
        if is_int:
            try:
                return (0, int(v))
            except ValueError:
                return (1, v)
        return (0, v)

    def gen():
        last = None
        try:
            for row in reader:
                key = tuple(conv(row[i], is_int) for i, is_int in key_idx)
                if last is not None and key <= last:
                    raise NotSorted(f"{path.name} is not in order of {', '.join(pk)}")
                last = key
                yield key, row
        finally:
            fh.close()

    return header, gen()


def compare(old_path: Path, new_path: Path, table: Table, limit: int = CHANGELOG_ID_LIMIT) -> dict:
    """Rows added, changed and removed between two CSV extracts of one table.

    Both files are in primary-key order (the extract writes them so), so one pass over
    each, side by side, finds every difference without holding either in memory.
    """
    pk = table.primary_key
    types = {d["name"]: d.get("type", "string") for d in table.schema["fields"]}
    old_header, old_rows = _keyed_rows(old_path, pk, types)
    new_header, new_rows = _keyed_rows(new_path, pk, types)
    same_header = old_header == new_header
    common = [(c, old_header.index(c), i) for i, c in enumerate(new_header) if c in old_header and c not in pk]
    pk_idx = [new_header.index(k) for k in pk]
    old_pk_idx = [old_header.index(k) for k in pk]
    result = {
        "status": "compared",
        "added": 0,
        "changed": 0,
        "removed": 0,
        "added_ids": [],
        "changed_ids": [],
        "removed_ids": [],
        "fields_added": [c for c in new_header if c not in old_header],
        "fields_removed": [c for c in old_header if c not in new_header],
    }

    def ident(row, idx):
        return row[idx[0]] if len(idx) == 1 else [row[i] for i in idx]

    def note(kind, value):
        result[kind] += 1
        if len(result[kind + "_ids"]) < limit:
            result[kind + "_ids"].append(value)

    end = object()
    o = next(old_rows, end)
    n = next(new_rows, end)
    while o is not end or n is not end:
        if n is end or (o is not end and o[0] < n[0]):
            note("removed", ident(o[1], old_pk_idx))
            o = next(old_rows, end)
        elif o is end or n[0] < o[0]:
            note("added", ident(n[1], pk_idx))
            n = next(new_rows, end)
        else:
            if not (same_header and o[1] == n[1]):
                diff = [c for c, oi, ni in common if o[1][oi] != n[1][ni]]
                if diff:
                    note("changed", {"id": ident(n[1], pk_idx), "fields": diff})
            o = next(old_rows, end)
            n = next(new_rows, end)
    result["ids_truncated"] = any(result[k] > limit for k in ("added", "changed", "removed"))
    return result


def _unchanged(fields_added=(), fields_removed=()) -> dict:
    return {
        "status": "compared",
        "added": 0,
        "changed": 0,
        "removed": 0,
        "added_ids": [],
        "changed_ids": [],
        "removed_ids": [],
        "fields_added": list(fields_added),
        "fields_removed": list(fields_removed),
        "ids_truncated": False,
    }


def changes(previous_dir: Path, new_dir: Path, written: list[dict], created: str, version: str) -> dict:
    """What changed since the extract in previous_dir (None fields when there is none)."""
    prev_desc = previous_dir / DESCRIPTOR_NAME
    if not prev_desc.is_file():
        return {"created": created, "version": version, "previous": None, "resources": {}}
    prev = json.loads(prev_desc.read_text("utf-8"))
    prev_csv = {r["name"]: r for r in prev.get("resources", []) if r.get("format") == "csv"}
    prev_paths = {name: r["path"] for name, r in prev_csv.items()}
    out = {
        "created": created,
        "version": version,
        "previous": {"created": prev.get("created"), "version": prev.get("version")},
        "resources": {},
    }
    for w in written:
        t: Table = w["table"]
        old = prev_paths.get(t.name)
        if not old or not (previous_dir / old).is_file():
            out["resources"][t.name] = {"status": "new", "added": w["rows"], "changed": 0, "removed": 0}
            continue
        if prev_csv[t.name].get("hash") == "sha256:" + w["csv_sha256"]:
            out["resources"][t.name] = _unchanged()  # the same bytes: nothing to read
            continue
        try:
            out["resources"][t.name] = compare(previous_dir / old, new_dir / w["csv"], t)
        except NotSorted as exc:
            out["resources"][t.name] = {"status": f"not compared: {exc}"}
    for name in prev_paths:
        if name not in out["resources"]:
            out["resources"][name] = {"status": "removed from the extract"}
    return out


def _nothing_changed(c: dict) -> bool:
    return c["previous"] is not None and all(
        r.get("status") == "compared"
        and not (r["added"] or r["changed"] or r["removed"] or r["fields_added"] or r["fields_removed"])
        for r in c["resources"].values()
    )


def carry_forward(c: dict, previous_dir: Path) -> dict:
    """When no data changed, keep saying what the last real change was."""
    if not _nothing_changed(c):
        return c
    try:
        old = json.loads((previous_dir / CHANGES_JSON).read_text("utf-8"))
    except (OSError, ValueError):
        return c
    if old.get("previous") is None:
        return c
    old.setdefault("unchanged_since", old.get("created"))
    old["checked"] = c["created"]
    old["created"] = c["created"]
    old["version"] = c["version"]
    return old


def changelog_markdown(c: dict, title: str) -> str:
    lines = [f"# Changes to the {title} extract", ""]
    lines.append(f"Extract created {c['created']} (version {c['version']}).")
    lines.append("")
    if c.get("unchanged_since"):
        lines += [
            f"No rows have changed since the extract of {c['unchanged_since']}; "
            "the changes below are the ones that extract made.",
            "",
        ]
    if c["previous"] is None:
        lines += ["This is the first extract: there is no previous extract to compare it with.", ""]
        return "\n".join(lines)
    lines += [
        f"Compared with the previous extract, created {c['previous']['created']} "
        f"(version {c['previous']['version']}). Rows are matched by their identifier "
        "(the primary key).",
        "",
        "| Table | Added | Changed | Removed |",
        "| --- | ---: | ---: | ---: |",
    ]
    if not any(
        r.get("added") or r.get("changed") or r.get("removed") or r.get("status") not in ("compared", "new")
        for r in c["resources"].values()
    ):
        lines.insert(-2, "No rows were added, changed or removed.\n")
    for name, r in c["resources"].items():
        if r.get("status") == "compared" or r.get("status") == "new":
            lines.append(
                f"| {name}{' (new)' if r['status'] == 'new' else ''} | {r['added']} | {r['changed']} | {r['removed']} |"
            )
        else:
            lines.append(f"| {name} | {r['status']} | | |")
    lines.append("")
    for name, r in c["resources"].items():
        if r.get("status") == "new":
            lines += [f"## {name}", "", f"New in this extract: {r['added']} rows.", ""]
            continue
        if r.get("status") != "compared" or not (
            r["added"] or r["changed"] or r["removed"] or r["fields_added"] or r["fields_removed"]
        ):
            continue
        lines += [f"## {name}", ""]
        if r["fields_added"]:
            lines.append("- Fields added: " + ", ".join(r["fields_added"]))
        if r["fields_removed"]:
            lines.append("- Fields removed: " + ", ".join(r["fields_removed"]))
        for kind in ("added", "removed"):
            if r[kind]:
                shown = ", ".join(str(i) for i in r[f"{kind}_ids"])
                more = r[kind] - len(r[f"{kind}_ids"])
                lines.append(f"- {kind.capitalize()} ({r[kind]}): {shown}" + (f" and {more} more" if more > 0 else ""))
        if r["changed"]:
            shown = "; ".join(f"{x['id']} ({', '.join(x['fields'])})" for x in r["changed_ids"])
            more = r["changed"] - len(r["changed_ids"])
            lines.append(f"- Changed ({r['changed']}): {shown}" + (f" and {more} more" if more > 0 else ""))
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Zip, checksums and the atomic swap.


def write_zip(directory: Path, names: list[str]) -> Path:
    """Every file of the set in one zip, written file by file (streamed, not in memory)."""
    path = directory / ZIP_NAME
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6, allowZip64=True) as z:
        for name in names:
            z.write(directory / name, f"{ZIP_FOLDER}/{name}")
    return path


def write_sums(directory: Path, names: list[str], known: dict[str, str]) -> None:
    """SHA256SUMS in the format `sha256sum -c SHA256SUMS` checks."""
    lines = []
    for name in sorted(names):
        digest = known.get(name) or sha256_file(directory / name)
        lines.append(f"{digest}  {name}\n")
    (directory / SUMS_NAME).write_text("".join(lines), "utf-8")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE), if possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def swap_into_place(tmp: Path, final: Path) -> None:
    """Put the new set where the site serves it; the old set is removed afterwards."""
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):
        shutil.rmtree(tmp)  # now holds the old set
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old)


# --------------------------------------------------------------------------------------


def _site_tables(build_dir: Path) -> dict:
    try:
        meta = json.loads((build_dir / "metadata.json").read_text("utf-8"))
        return meta["databases"]["register"]["tables"]
    except (OSError, ValueError, KeyError):
        return {}


def extract(package: Package, db_path: Path, out_dir: Path, now: dt.datetime | None = None) -> dict:
    """Write the complete extract set for db_path into out_dir, atomically.

    Everything is written into a temporary directory beside out_dir, then swapped into
    place; if anything fails, the temporary directory is removed and out_dir is left as
    it was. Returns a summary: created, rows per table, files and the changes found.
    """
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.is_file():
        raise FileNotFoundError(f"{db_path} does not exist: run `make build` first")
    created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    created_iso = created.isoformat().replace("+00:00", "Z")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        summary = _write_set(package, db_path, tmp, out_dir, created_iso)
        for p in tmp.iterdir():
            with p.open("rb") as f:
                os.fsync(f.fileno())
        swap_into_place(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _write_set(package: Package, db_path: Path, tmp: Path, previous: Path, created_iso: str) -> dict:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        build_info = {}
        try:
            build_info = dict(conn.execute("SELECT key, value FROM register_build"))
        except sqlite3.Error:
            pass
        all_tables = tables(package, _site_tables(db_path.parent))
        existing = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
        written = []
        for t in all_tables:
            if t.name not in existing:
                raise RuntimeError(f"{db_path} has no table or view {t.name!r}: rebuild with `make build`")
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{t.name}])")]
            if columns != t.field_names:
                raise RuntimeError(
                    f"{t.name} in {db_path} has columns {columns}, but its extract schema has "
                    f"{t.field_names}. Update VIEWS in register/publishing/extracts.py (or rebuild)."
                )
            csv_name, json_name = f"{t.name}.csv", f"{t.name}.json"
            rows = write_table(conn, t, tmp / csv_name, tmp / json_name)
            written.append(
                {
                    "table": t,
                    "rows": rows,
                    "csv": csv_name,
                    "json": json_name,
                    "csv_bytes": (tmp / csv_name).stat().st_size,
                    "csv_sha256": sha256_file(tmp / csv_name),
                    "json_bytes": (tmp / json_name).stat().st_size,
                    "json_sha256": sha256_file(tmp / json_name),
                }
            )
        desc = descriptor(package, written, created_iso, build_info)
        (tmp / DESCRIPTOR_NAME).write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", "utf-8")
        dict_rows = list(dictionary_rows(package, conn, all_tables))
    finally:
        conn.close()
    write_dictionary_csv(tmp / DICTIONARY_CSV, dict_rows)
    write_dictionary_html(tmp / DICTIONARY_HTML, package, dict_rows, written, created_iso)
    version = str(package.descriptor.get("version", ""))
    found = carry_forward(changes(previous, tmp, written, created_iso, version), previous)
    (tmp / CHANGES_JSON).write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (tmp / CHANGELOG_MD).write_text(
        changelog_markdown(found, package.descriptor.get("title", "register")) + "\n", "utf-8"
    )

    known = {}
    for w in written:
        known[w["csv"]], known[w["json"]] = w["csv_sha256"], w["json_sha256"]
    in_zip = [DESCRIPTOR_NAME, DICTIONARY_HTML, DICTIONARY_CSV, CHANGELOG_MD, CHANGES_JSON]
    in_zip += [n for w in written for n in (w["csv"], w["json"])]
    write_zip(tmp, in_zip)
    write_sums(tmp, in_zip + [ZIP_NAME], known)
    return {
        "created": created_iso,
        "rows": {w["table"].name: w["rows"] for w in written},
        "files": sorted(in_zip + [ZIP_NAME, SUMS_NAME]),
        "changes": found,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository whose schemas describe the data")
    parser.add_argument("--build-dir", default=None, help="where register.db is (default: ROOT/build)")
    parser.add_argument("--out", default=None, help="output directory (default: BUILD_DIR/extracts)")
    args = parser.parse_args(argv)
    package = Package(args.root)
    build_dir = Path(args.build_dir) if args.build_dir else package.root / "build"
    out = Path(args.out) if args.out else build_dir / "extracts"
    started = time.perf_counter()
    summary = extract(package, build_dir / "register.db", out)
    seconds = time.perf_counter() - started
    peak_mb = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(summary["rows"].values())
    print(
        f"Wrote {out}: {len(summary['files'])} files, {total:,} rows in {len(summary['rows'])} tables, "
        f"in {seconds:.1f} s (peak memory {peak_mb:.0f} MB)."
    )
    c = summary["changes"]
    if c["previous"] is None:
        print("First extract: no changelog to compare with.")
    else:
        added = sum(r.get("added", 0) for r in c["resources"].values())
        changed = sum(r.get("changed", 0) for r in c["resources"].values())
        removed = sum(r.get("removed", 0) for r in c["resources"].values())
        print(
            f"Since the previous extract: {added} row{'s' if added != 1 else ''} added, {changed} changed, {removed} removed "
            f"(see {out / CHANGELOG_MD})."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
