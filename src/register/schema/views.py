"""Table Schemas of the exported views (schemas/views/<view>.json): the one home of a
view's title, description and column text, as a table's is its schema in schemas/.

The view itself is SQL (register/database/views.sql). Its schema says what each column
means: a column the view copies from a table names that field with "x-from":
"resource.field" and takes its type, constraints, title, description and foreign key
from the table's schema (any key written beside "x-from" overrides the copy); a column
the view works out is described in full. The site metadata (metadata.py) and the
extracts read these files; tests/unit/test_drift.py holds them to the SQL.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from register.schema.package import Package

VIEWS_DIR = Path("schemas") / "views"
FROM = "x-from"


@dataclass
class View:
    """An exported view: its name (the file's), text and resolved Table Schema."""

    name: str
    title: str
    description: str
    schema: dict
    path: Path

    @property
    def field_names(self) -> list[str]:
        return [d["name"] for d in self.schema["fields"]]


def without_rules(descriptor: dict) -> dict:
    """A descriptor without the register's x- rules (they are checked at validation)."""
    return {k: copy.deepcopy(v) for k, v in descriptor.items() if not k.startswith("x-")}


def _resolve(package: Package, path: Path, raw: dict) -> dict:
    """The view's Table Schema with every "x-from" column copied from its table."""
    pk = list(raw.get("primaryKey", []))
    fields, foreign_keys = [], []
    for entry in raw["fields"]:
        name, source = entry["name"], entry.get(FROM)
        d: dict = {}
        if source:
            res_name, _, field_name = source.partition(".")
            try:
                src = package.resource(res_name).field(field_name)
            except KeyError:
                raise ValueError(
                    f"{path}: field {name!r} is copied from {source!r}, which is not a field of the data package"
                ) from None
            d = without_rules(src.descriptor)
            if src.reference:
                ref_res, ref_field = src.reference
                foreign_keys.append({"fields": [name], "reference": {"resource": ref_res, "fields": [ref_field]}})
        d.update(copy.deepcopy({k: v for k, v in entry.items() if k not in ("name", FROM)}))
        d["name"] = name
        if name in pk:
            d.setdefault("constraints", {})["required"] = True
        fields.append(d)
    return {"fields": fields, "primaryKey": pk, "foreignKeys": foreign_keys, "missingValues": [""]}


def load(package: Package, path: Path) -> View:
    raw = json.loads(path.read_text("utf-8"))
    return View(path.stem, raw["title"], raw.get("description", ""), _resolve(package, path, raw), path)


def views(package: Package) -> list[View]:
    """Every exported view of the package, in name order."""
    folder = package.root / VIEWS_DIR
    return [load(package, p) for p in sorted(folder.glob("*.json"))]
