"""Drift in what a build and an extract write (tests/unit/test_drift.py checks the
committed files): the site metadata and the data dictionary say what the schemas say,
the exported views included.

The expected text is read from the JSON files in schemas/ directly, not through the
code that derives it.
"""

from __future__ import annotations

import csv
import json

from register.publishing.extracts import extract
from register.schema.metadata import build_metadata
from register.schema.views import VIEWS_DIR
from tests.schema_text import codelist_schema, own_schema, raw, view_columns_text


def test_built_metadata_json_is_what_metadata_yml_and_the_schemas_give(build_dir, package):
    built = json.loads((build_dir / "metadata.json").read_text("utf-8"))
    assert built == build_metadata(package), (
        f"{build_dir / 'metadata.json'} differs from metadata.yml and the schemas: run `make build`"
    )


def test_data_dictionary_text_is_the_schemas_text(build_dir, package, tmp_path):
    extract(package, build_dir / "register.db", tmp_path / "extracts")
    with (tmp_path / "extracts" / "data-dictionary.csv").open(newline="", encoding="utf-8") as f:
        found = {(r["resource"], r["field"]): (r["title"], r["description"]) for r in csv.DictReader(f)}
    want = {}
    for r in raw(package.descriptor_path)["resources"]:
        schema = own_schema(r["name"]) or codelist_schema(r["name"])
        for fld in schema["fields"]:
            want[(r["name"], fld["name"])] = (fld.get("title", fld["name"]), fld.get("description", ""))
    for path in sorted((package.root / VIEWS_DIR).glob("*.json")):
        for name, text in view_columns_text(raw(path)).items():
            want[(path.stem, name)] = text
    assert found == want, "data-dictionary.csv does not say what the schemas say: run `make extracts`"
