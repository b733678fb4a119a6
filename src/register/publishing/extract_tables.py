"""What the extracts hold and how each table's rows become files.

Every table of the data package and every exported view (schemas/views/) becomes one CSV
and one JSON file, described in the extract's datapackage.json by the same Table Schema
the register is validated against: a field's type, title, description and codes come
from the schemas through register/schema/, never written twice here.

- Streaming: rows go from the database cursor straight to the files, so memory does not
  grow with the number of rows.
- CSV safety (OWASP "CSV injection"): a text cell starting with = + - @ tab or carriage
  return gets a leading single quote in the CSV, so a spreadsheet does not run it as a
  formula. The JSON keeps the exact text.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from register.database.facet_counts import dated_columns
from register.database.views import VIEWS_SQL
from register.schema.package import Field, Package
from register.schema.views import views, without_rules
from register.util.spreadsheet_safety import FORMULA_TRIGGERS, neutralise

# The files of the set, besides one CSV and one JSON per table.
ZIP_NAME = "coproduction-register.zip"
ZIP_FOLDER = "coproduction-register"  # files sit in this folder inside the zip
SUMS_NAME = "SHA256SUMS"
DESCRIPTOR_NAME = "datapackage.json"
DICTIONARY_CSV = "data-dictionary.csv"
DICTIONARY_HTML = "data-dictionary.html"
CHANGELOG_MD = "CHANGELOG.md"
CHANGES_JSON = "changes.json"
# The day the columns that depend on it were worked out for, in the extract's data package.
AS_OF_KEY = "x-as-of"

LINE_TERMINATOR = "\r\n"  # RFC 4180

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
    "numbers, true/false and null; a table with no rows yet is an empty array, []. "
    "Its field names are in its schema here (and in the header of its CSV file); its "
    "JSON resource is described as a plain data resource (and the package, while it has "
    "one, as a data package), because Frictionless cannot read an empty JSON array as a "
    "table."
)


# --------------------------------------------------------------------------------------
# What is extracted: the package's resources and its exported views.


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
def tables(package: Package) -> list[Table]:
    """Every resource of the data package, then the exported views (schemas/views/)."""
    out = []
    for res in package.resources:
        schema = without_rules(res.schema)
        schema["fields"] = [without_rules(d) for d in res.schema["fields"]]
        out.append(Table(res.name, res.title, res.description, schema))
    for view in views(package):
        out.append(Table(view.name, view.title, view.description, view.schema, is_view=True))
    return out


def dated_fields(all_tables: list[Table]) -> dict[str, list[str]]:
    """{table: its columns worked out on the day of the extract}, in schema order.

    views.sql names them on its `-- build: dated (...)` lines (overdue, days_open): a
    download states them for one day only, which the release must record (x-as-of)."""
    dated = dated_columns(VIEWS_SQL.read_text("utf-8"))
    found = {t.name: [n for n in t.field_names if n in dated.get(t.name, ())] for t in all_tables}
    return {name: cols for name, cols in found.items() if cols}


def day_of(conn: sqlite3.Connection) -> str:
    """Today as the database's views see it (date('now', 'localtime')), YYYY-MM-DD."""
    return conn.execute("SELECT date('now', 'localtime')").fetchone()[0]


def as_of_note(dated: dict[str, list[str]], as_of: str) -> str:
    """The sentence every file that carries day-dependent figures says them with."""
    cols = "; ".join(f"{name}: {', '.join(c)}" for name, c in dated.items())
    return (
        f"Figures that depend on the day ({cols}) are as of {as_of}, the day of this "
        "extract; the site works them out afresh each day."
    )


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


def select_sql(table: Table, extra: str | None = None) -> str:
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
    cur = conn.execute(select_sql(table, json_sql))
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
                        out[i] = neutralise(v)
                fc.write(",".join(map(cell, out)) + LINE_TERMINATOR)
            rows += len(batch)
        # A table with no rows yet (partner_verdicts, corrections) is [], as every reader
        # of "an array of objects" expects; its field names are in the data package.
        fj.write("\n]\n" if rows else "]\n")
    return rows


def descriptor(package: Package, written: list[dict], created: str, build_info: dict, as_of: str | None = None) -> dict:
    """The extract's datapackage.json: the register's package metadata, these files, and
    the day its day-dependent columns are for (as_of, None when it has none)."""
    base = {k: copy.deepcopy(v) for k, v in package.descriptor.items() if k != "resources"}
    base["name"] = package.descriptor.get("name", "coproduction-register")
    base["description"] = (
        package.descriptor.get("description", "") + "\n\n"
        "This data package is the downloadable extract of the register: each "
        "table as a CSV file and as a JSON file, described by the same Table "
        "Schemas the register is validated against.\n\n" + FORMAT_NOTE + "\n\n" + NEUTRALISATION_NOTE
    )
    dated = dated_fields([w["table"] for w in written]) if as_of else {}
    if dated:
        base["description"] += "\n\n" + as_of_note(dated, as_of)
    base["created"] = created
    if build_info.get("inputs_sha256"):
        base["x-inputs-sha256"] = build_info["inputs_sha256"]
    if as_of:
        base[AS_OF_KEY] = as_of
    if any(not w["rows"] for w in written):
        # An empty table's JSON is a plain data resource (below), which a package with
        # the "tabular-data-package" profile may not hold; its tables are still tables.
        base["profile"] = "data-package"
    resources = []
    for w in written:
        t: Table = w["table"]
        common = {
            "title": t.title,
            "description": t.description
            + (" (This table is a view of the register, worked out from the tables above.)" if t.is_view else "")
            + (" " + as_of_note({t.name: dated[t.name]}, as_of) if t.name in dated else ""),
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
                # Frictionless cannot read [] as a table ("cannot extract JSON tabular
                # data"): an empty table's JSON is a plain data resource, same schema.
                **({} if w["rows"] else {"profile": "data-resource"}),
                "schema": copy.deepcopy(t.schema),
                # No bytes/hash here: frictionless cannot count them for JSON (it reports
                # "None"); SHA256SUMS covers these files.
                "x-row-count": w["rows"],
            }
        )
    base["resources"] = resources
    return base
