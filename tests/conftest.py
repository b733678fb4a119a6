"""Shared fixtures: a register built by the real build, served in-process exactly as
`make serve` serves it, and scratch copies of the repository for bad-input tests."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from register.database.build import build
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance

REPO_FILES = ("datapackage.json", "metadata.yml", "publisher.yml")
REPO_DIRS = ("schemas", "datasets")


@pytest.fixture(scope="session")
def package() -> Package:
    return Package(ROOT)


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory, package) -> Path:
    """build/ written by the real build from the real datasets, in a scratch directory."""
    out = tmp_path_factory.mktemp("build")
    build(package, out)
    return out


@pytest.fixture(scope="session")
def ds(build_dir):
    return datasette_instance(build_dir)


class Client:
    """Synchronous front to `datasette.client`, so tests read like a person's visit."""

    def __init__(self, ds):
        self.ds = ds

    def get(self, path: str, **kwargs):
        return asyncio.run(self.ds.client.get(path, **kwargs))

    def post(self, path: str, **kwargs):
        return asyncio.run(self.ds.client.post(path, **kwargs))


@pytest.fixture(scope="session")
def client(ds) -> Client:
    return Client(ds)


def copy_repo(dest: Path) -> Path:
    """A scratch copy of the data, schemas and descriptor, to change without harm."""
    for name in REPO_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for name in REPO_DIRS:
        shutil.copytree(ROOT / name, dest / name)
    return dest


def rewrite_dataset(root: Path, name: str, change: Callable[[list[dict]], list[dict]]) -> None:
    """In a scratch copy: datasets/<name>.csv written again, same header, with the rows
    `change` makes of its rows."""
    path = root / "datasets" / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    rows = change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def set_codelist_flag(root: Path, codelist: str, column: str, true_codes: set[str]) -> None:
    """In a scratch copy: the codelist's yes/no column true for exactly these codes."""
    path = root / "datasets" / "codelists" / f"{codelist}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r[column] = "true" if r["code"] in true_codes else "false"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _without_column(path: Path, column: str) -> list[dict]:
    """The CSV written again without `column`; returns its rows as they were."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, [k for k in rows[0] if k != column], extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return rows


def as_standard_1_1(root: Path) -> list[dict]:
    """Make a scratch copy a package on standard 1.1.0: its impacts codelist has no
    `assessed` column (1.2.0 added it) and the generic codelist schema, and its statuses
    codelist no `responds` (1.3.0 added it). Returns the impacts rows `assessed` was
    taken from."""
    rows = _without_column(root / "datasets" / "codelists" / "impacts.csv", "assessed")
    _without_column(root / "datasets" / "codelists" / "statuses.csv", "responds")
    statuses = root / "schemas" / "codelists" / "statuses.json"
    schema = json.loads(statuses.read_text("utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "responds"]
    statuses.write_text(json.dumps(schema, indent=2), "utf-8")
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["x-register-standard"] = "1.1.0"
    for r in descriptor["resources"]:
        if r["name"] == "impacts":
            r["schema"] = "schemas/codelist.json"
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), "utf-8")
    return rows


def built_copy(dest: Path, dataset: str, change: Callable[[list[dict]], list[dict]]) -> sqlite3.Connection:
    """A scratch copy of the register with one dataset's rows changed, built by the real
    build; its database, rows read by column name. For data the sample never has."""
    root = copy_repo(dest)
    rewrite_dataset(root, dataset, change)
    build(Package(root), root / "build")
    conn = sqlite3.connect(root / "build" / "register.db")
    conn.row_factory = sqlite3.Row
    return conn


@pytest.fixture
def repo(tmp_path) -> Path:
    return copy_repo(tmp_path)


def record_answers(monkeypatch, cls, name: str) -> list:
    """What each call of cls's async method `name` gives, in order, as it goes on
    giving it: which of the site's shortcuts answered a page."""
    answers: list = []
    original = getattr(cls, name)

    async def recording(self, *args, **kwargs):
        answers.append(await original(self, *args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(cls, name, recording)
    return answers


@pytest.fixture
def answered(monkeypatch) -> list:
    """Each answer register/site/search_rows.py gave a table page's rows (None when
    SQLite found them)."""
    from register.site import search_rows

    found: list = []
    original = search_rows.answer

    async def recording(*args, **kwargs):
        found.append(await original(*args, **kwargs))
        return found[-1]

    monkeypatch.setattr(search_rows, "answer", recording)
    return found
