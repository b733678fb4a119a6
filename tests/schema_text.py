"""The text of fields read straight from the JSON files in schemas/, for the drift tests:
not through the code that derives the site metadata, extracts and templates from them,
so that a fault in that code cannot hide itself."""

from __future__ import annotations

import json

from register.schema.package import ROOT

SCHEMAS = ROOT / "schemas"


def raw(path) -> dict:
    return json.loads(path.read_text("utf-8"))


def own_schema(name: str) -> dict | None:
    path = SCHEMAS / f"{name}.json"
    return raw(path) if path.is_file() else None


def codelist_schema(name: str) -> dict:
    """A codelist's schema: its own (schemas/codelists/<name>.json) or the shared one."""
    path = SCHEMAS / "codelists" / f"{name}.json"
    return raw(path if path.is_file() else SCHEMAS / "codelist.json")


def raw_field(source: str) -> dict:
    res, _, name = source.partition(".")
    return next(f for f in raw(SCHEMAS / f"{res}.json")["fields"] if f["name"] == name)


def view_columns_text(view_json: dict) -> dict[str, tuple[str, str]]:
    """(title, description) of every column of a view schema, copies read from the tables."""
    out = {}
    for entry in view_json["fields"]:
        base = raw_field(entry["x-from"]) if "x-from" in entry else {}
        merged = {**base, **entry}
        out[entry["name"]] = (merged.get("title", entry["name"]), merged.get("description", ""))
    return out


def column_title(table: str, column: str) -> str:
    """A column's title in its schema: schemas/views/<table>.json or schemas/<table>.json."""
    view = SCHEMAS / "views" / f"{table}.json"
    if view.is_file():
        return view_columns_text(raw(view))[column][0]
    return raw_field(f"{table}.{column}").get("title", column)
