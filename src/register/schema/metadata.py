"""Datasette metadata: site text from metadata.yml, table and column text from the schemas.

metadata.yml holds what only the site needs (about, facets, sort
orders, canned queries, the text of the views that are not exported). Table titles,
descriptions and column descriptions are never written there: they are taken from the
Table Schemas (schemas/*.json, and schemas/views/*.json for the exported views) at
build time, so they cannot drift from the data or from the extracts. The site's title,
description and source name the publisher, so they come from publisher.yml, and the
publisher's details travel with the build ("publisher") for the templates
(register/site/publisher.py). The licence is the data package's (datapackage.json).
"""

from __future__ import annotations

import copy
import html
import json
import os
from pathlib import Path

from register.schema import publisher as publisher_mod
from register.schema.package import Package
from register.schema.views import views
from register.util import yaml_text

DATABASE = "register"


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def column_text(descriptor: dict) -> str:
    """A column's text as the site shows it (and register/site/pages.py reads it back)."""
    return f"{descriptor.get('title', descriptor['name'])}: {descriptor.get('description', '')}"


def derived_tables(package: Package) -> dict:
    tables = {}
    for res in package.resources:
        table = {
            "title": res.title,
            "description": res.description,
            "columns": {f.name: column_text(f.descriptor) for f in res.fields},
        }
        if "title" in res.field_names:
            table["label_column"] = "title"
        _yes_no(table, res.schema["fields"])
        tables[res.name] = table
        for f in res.fields:
            if f.list_of:
                tables[f"{res.name}_{f.name}"] = {
                    "title": f"{res.title}: {f.title.lower()}",
                    "description": f"One row per activity and code in its '{f.title}' list, "
                    f"so that the list can be filtered and faceted. Derived from {res.name}.{f.name}.",
                    "columns": {f"{res.name}_id": f"The {res.name} row.", "code": f"A code from {f.list_of}."},
                }
    for view in views(package):
        tables[view.name] = {
            "title": view.title,
            "description": view.description,
            "columns": {d["name"]: column_text(d) for d in view.schema["fields"]},
        }
        _yes_no(tables[view.name], view.schema["fields"])
    return tables


def _yes_no(table: dict, fields: list[dict]) -> None:
    """The boolean columns, stored as 0 and 1, which the site's facets show as Yes and No
    (register/site/facet_labels.py): SQLite's column types cannot tell them from counts."""
    names = [d["name"] for d in fields if d.get("type") == "boolean"]
    if names:
        table["yes_no"] = names


def publisher_text(package: Package) -> dict:
    who = publisher_mod.load(package.root)
    strategy = f"{who.short_name} {who.strategy.name}".strip() if who.strategy.name else who.short_name
    return {
        "title": "Co-production Register",
        "description_html": f"<p>{html.escape(who.about)}</p>",
        "source": f"{strategy} and related documents",
        "publisher": who.as_dict(),
    }


def licence_text(package: Package) -> dict:
    """The site's licence is the data package's: datapackage.json names it once, and the
    footer, the table pages and the feeds say what the downloads say."""
    titles = [lic.get("title") or lic.get("name", "") for lic in package.descriptor.get("licenses") or []]
    if len(titles) != 1:  # none, or several (the national site's metadata.yml says whose)
        return {"license": " or ".join(titles)} if titles else {}
    path = package.descriptor["licenses"][0].get("path")
    return {"license": titles[0], **({"license_url": path} if path else {})}


def build_metadata(package: Package) -> dict:
    site = yaml_text.safe_load((package.root / "metadata.yml").read_text("utf-8")) or {}
    derived = {
        **publisher_text(package),
        **licence_text(package),
        "databases": {DATABASE: {"tables": derived_tables(package)}},
    }
    return _merge(derived, site)


def write(package: Package, out_dir: Path) -> Path:
    out = out_dir / "metadata.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(build_metadata(package), indent=2, ensure_ascii=False), "utf-8")
    os.replace(tmp, out)
    return out
