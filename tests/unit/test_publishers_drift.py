"""Each publisher package in this repository says only what its publisher.yml, sources and
schemas give, and the codelists the standard shares are the same in every package."""

from __future__ import annotations

import csv
import json

import pytest

from register.schema import datapackage, publisher
from register.schema.package import ROOT, Package

PACKAGES = [ROOT, ROOT / "publishers" / "north-cumbria"]
# The standard's shared vocabulary: copied into every package, kept equal to the root's.
SHARED_CODELISTS = (
    "activity_types",
    "characteristics",
    "formats",
    "gates",
    "glossary",
    "impacts",
    "participation_levels",
    "statuses",
    "themes",
    "organisation_kinds",
    "response_rules",
    "verdicts",
)


@pytest.mark.parametrize("root", PACKAGES, ids=lambda p: p.name)
def test_datapackage_is_derived_from_publisher_yml(root):
    assert datapackage.differences(root) == []
    who = publisher.load(root)
    desc = json.loads((root / "datapackage.json").read_text("utf-8"))
    assert desc["publisher"] == who.name
    assert desc["homepage"] == who.homepage and "127.0.0.1" not in desc["homepage"]
    assert desc["x-register-standard"] == json.loads((ROOT / "schemas" / "standard.json").read_text())["version"]


# Each publisher's own: its organisations, places and groups.
OWN_CODELISTS = ("groups", "organisations", "places")


@pytest.mark.parametrize("root", PACKAGES, ids=lambda p: p.name)
def test_every_codelist_is_shared_or_the_publishers_own(root):
    """A codelist added to the standard is held equal in every package once it is named
    above: one named in neither list would be copied and then drift unseen."""
    found = {p.stem for p in (root / "datasets" / "codelists").glob("*.csv")}
    named = set(SHARED_CODELISTS) | set(OWN_CODELISTS)
    assert found == named, (
        f"{root.name}: codelists named in neither SHARED_CODELISTS nor OWN_CODELISTS: {sorted(found - named)}; "
        f"named but not in the package: {sorted(named - found)}"
    )


@pytest.mark.parametrize("name", SHARED_CODELISTS)
def test_shared_codelists_are_the_roots(name):
    copy = ROOT / "publishers" / "north-cumbria" / "datasets" / "codelists" / f"{name}.csv"
    assert copy.read_bytes() == (ROOT / "datasets" / "codelists" / f"{name}.csv").read_bytes(), (
        f"{copy} differs from datasets/codelists/{name}.csv: copy the root's"
    )


def test_each_package_speaks_only_for_its_publisher():
    root, cumbria = (json.loads((p / "datapackage.json").read_text("utf-8")) for p in PACKAGES)
    # The root still cites North Cumbria's strategy: two activity types come from it.
    assert "Cumbria" not in json.dumps([root["contributors"], root["publisher"], root["title"]])
    assert "Nottingham" not in json.dumps([cumbria["contributors"], cumbria["publisher"], cumbria["title"]])
    root_projects, cumbria_projects = _project_ids(PACKAGES[0]), _project_ids(PACKAGES[1])
    assert cumbria_projects == {"PRJ-0011", "PRJ-0012", "PRJ-0013"}
    assert not root_projects & cumbria_projects


def _project_ids(root) -> set[str]:
    with Package(root).resource("projects").path.open(newline="", encoding="utf-8") as f:
        return {r["id"] for r in csv.DictReader(f)}


def test_a_bad_publisher_yml_is_refused_plainly(tmp_path):
    (tmp_path / "publisher.yml").write_text("code: Bad Code\nhomepage: http://127.0.0.1:8001/\n", "utf-8")
    with pytest.raises(publisher.PublisherError) as e:
        publisher.load(tmp_path)
    text = str(e.value)
    assert "publisher.yml" in text and "name is missing" in text and "code 'Bad Code'" in text
    assert "not this machine's" in text


def test_publishing_guide_names_every_shared_codelist():
    """docs/publishing.md tells a new publisher which codelists to keep as the standard has them."""
    guide = (ROOT / "docs" / "publishing.md").read_text("utf-8")
    listed = " ".join(guide.split("Keep the shared codelists (", 1)[1].split(")", 1)[0].split())
    named = {n.strip().replace(" ", "_") for n in listed.replace(" and ", ", ").split(",")}
    assert named == set(SHARED_CODELISTS), f"docs/publishing.md lists {sorted(named)}"


def key_comments(path) -> list[str]:
    """The comment lines just above each key of a publisher.yml (not its opening paragraph)."""
    body = path.read_text("utf-8").split("\n\n", 1)[1]
    return [line for line in body.splitlines() if line.startswith("#")]


def test_the_kit_explains_publisher_yml_as_the_root_does():
    """A new publisher starts from publishers/north-cumbria (docs/publishing.md): its
    publisher.yml says what each key is for, in the root's words."""
    root = key_comments(ROOT / "publisher.yml")
    assert len(root) >= 6
    assert key_comments(PACKAGES[1] / "publisher.yml") == root


@pytest.mark.parametrize("root", PACKAGES, ids=lambda p: p.name)
def test_each_source_published_online_is_linked_from_the_data_package(root):
    """An analyst reading datapackage.json (or the workbook's About sheet) can follow each
    source that is published online: its address is the source's `path`."""
    with (root / "datasets" / "sources.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    listed = json.loads((root / "datapackage.json").read_text("utf-8"))["sources"]
    assert any(r["url"] for r in rows)
    assert listed == [{"title": r["title"], **({"path": r["url"]} if r["url"] else {})} for r in rows]
