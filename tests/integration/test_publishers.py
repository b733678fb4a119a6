"""Two publishers from one repository: North Cumbria's package builds on its own, and a
second publisher made only by changing publisher.yml and datasets/ serves a register in
which no page names Nottingham."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from register.database.build import build
from register.publishing import report
from register.publishing.extracts import extract
from register.schema import datapackage
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance
from tests.conftest import Client

CUMBRIA = ROOT / "publishers" / "north-cumbria"
EXAMPLE = """code: example_vale
name: Example Vale Health and Care Partnership
short_name: Example Vale Health and Care
area: Example Vale Health and Care
homepage: https://register.example.org/
licence_holder: Example Vale Health and Care Partnership
team: Example Vale Involvement Team
contact_team: the Example Vale Involvement Team
contact_email: involvement@example.org
about: >-
  This is the public record of how Example Vale Health and Care involves people in its decisions.
strategy:
  source: example_strategy
  name: example involvement strategy
  section: "1"
contributors: []
"""


def rewrite(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0]) if rows else next(csv.reader(path.open(encoding="utf-8")))
    rows = [change(r) for r in rows]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(r for r in rows if r)


@pytest.fixture(scope="module")
def example(example_root) -> Client:
    return Client(datasette_instance(example_root / "build"))


@pytest.fixture(scope="module")
def example_root(tmp_path_factory) -> Path:
    """Another organisation's register: North Cumbria's package as a starting point, its own
    publisher.yml, and every record citing its own (synthetic) strategy document."""
    root = tmp_path_factory.mktemp("example-vale")
    for name in ("datapackage.json", "metadata.yml", "schemas", "datasets"):
        src = CUMBRIA / name
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, root / name)
    (root / "publisher.yml").write_text(EXAMPLE, "utf-8")
    sources = root / "datasets" / "sources.csv"
    rewrite(
        sources,
        lambda r: (
            {
                **r,
                "code": "example_strategy",
                "title": "Example involvement strategy",
                "description": "A synthetic document for this test.",
                "publisher": "Example Vale",
            }
            if r["code"] == "north_cumbria_strategy"
            else None
        ),
    )
    for path in (root / "datasets").rglob("*.csv"):
        if path != sources:
            rewrite(path, lambda r: {**r, "source": "example_strategy", "source_section": "1"} if "source" in r else r)
    assert datapackage.main(["--write", "--root", str(root)]) == 0
    out = root / "build"
    build(Package(root), out)
    extract(Package(root), out / "register.db", out / "extracts")
    return root


def test_no_page_of_another_publishers_register_names_nottingham(example):
    home = example.get("/")
    assert home.status_code == 200 and "Example Vale Health and Care" in home.text
    project = re.search(r'href="/projects/(PRJ-[0-9]+)"', example.get("/projects").text)[1]
    measure = re.search(r'href="/measures/([a-z_]+)"', example.get("/measures").text)[1]
    pages = [
        "/",
        "/projects",
        f"/projects/{project}",
        "/measures",
        f"/measures/{measure}",
        "/gate-assurance",
        "/glossary",
        "/search?q=co-production",
        "/downloads",
        "/accessibility",
        "/register",
        "/register/projects",
        f"/register/projects/{project}",
        "/register/sources",
        "/register/gates",
        "/feeds/you-said.atom",
        "/feeds/status-changes.atom",
        "/nonexistent-page",
    ]
    for path in pages:
        r = example.get(path)
        assert r.status_code == (404 if path == "/nonexistent-page" else 200), path
        assert "Nottingham" not in r.text, f"{path} names Nottingham"
    assert "involvement@example.org" in example.get("/accessibility").text
    # Nor does it tell Nottingham's listening events as its own: what people told a
    # publisher is its publisher.yml's to say (heard), and this one says nothing of it.
    assert "listening events" not in home.text


def test_north_cumbria_builds_on_its_own_with_only_its_records(tmp_path):
    summary = build(Package(CUMBRIA), tmp_path)
    ds = Client(datasette_instance(tmp_path))
    rows = ds.get("/register/projects.json?_shape=array").json()
    assert {r["id"] for r in rows} == {"PRJ-0011", "PRJ-0012", "PRJ-0013"}, summary
    home = ds.get("/").text
    assert "North Cumbria Health and Care" in home and "Nottingham" not in home


def test_the_guides_copy_command_gives_a_package_that_builds_anywhere(tmp_path):
    """docs/publishing.md step 1, run as written, into a folder outside the repository:
    the copy carries real schemas and metadata.yml (not links that point nowhere) and builds."""
    guide = (ROOT / "docs" / "publishing.md").read_text("utf-8")
    command = re.search(r"^\s*(cp [^\n]*publishers/north-cumbria path/to/package)\s*$", guide, re.M)
    assert command, "docs/publishing.md gives no command to copy North Cumbria's package"
    package = tmp_path / "elsewhere" / "package"
    package.parent.mkdir()
    argv = [package.as_posix() if a == "path/to/package" else a for a in command[1].split()]
    subprocess.run(argv, cwd=ROOT, check=True)
    for name in ("metadata.yml", "schemas"):
        assert (package / name).exists() and not (package / name).is_symlink(), name
    summary = build(Package(package), tmp_path / "build")
    assert summary


def test_a_kit_copied_without_its_links_says_to_copy_them(tmp_path):
    """Copied with plain `cp -r`, the kit's schemas are a link that points nowhere outside
    the repository: `make validate` says so and how to copy, rather than only that a
    schema file is missing."""
    package = tmp_path / "package"
    subprocess.run(["cp", "-r", str(CUMBRIA), str(package)], check=True)
    assert (package / "schemas").is_symlink() and not (package / "schemas").exists()
    done = subprocess.run(
        ["make", "--no-print-directory", "validate", f"ROOT={package}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert f"{package / 'schemas'} is a link to ../../schemas, which does not exist from there" in done.stderr
    assert "cp -rL" in done.stderr and "Traceback" not in done.stderr


def test_the_guides_copy_leaves_out_north_cumbrias_own_build(tmp_path):
    """After `make serve ROOT=publishers/north-cumbria`, the kit holds North Cumbria's build/:
    its releases and changes. docs/publishing.md step 1, run as written, leaves them out."""
    guide = (ROOT / "docs" / "publishing.md").read_text("utf-8")
    step = guide.split("1. Copy `publishers/north-cumbria/`", 1)[1].split("\n2. ", 1)[0]
    commands = re.search(r"```\n(.*?)```", step, re.S)[1].split("\n")
    kit = tmp_path / "publishers" / "north-cumbria"
    shutil.copytree(ROOT / "publishers" / "north-cumbria", kit, symlinks=False)
    (kit / "build" / "releases" / "2026-01-01-north-cumbria").mkdir(parents=True)
    (tmp_path / "path" / "to").mkdir(parents=True)
    for line in filter(None, (c.strip() for c in commands)):
        subprocess.run(line, shell=True, cwd=tmp_path, check=True)
    package = tmp_path / "path" / "to" / "package"
    assert (package / "publisher.yml").is_file()
    assert not (package / "build").exists()


def test_another_publishers_impact_report_is_its_own(example_root, tmp_path):
    """`make report ROOT=<package>` reports on that package, in its own build/, naming its
    publisher, its licence and citing its own release (it used to write this repository's
    report, and every report said Open Government Licence, and "The ICB does not mark its
    own homework" of a partnership)."""
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "report", f"ROOT={example_root}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "register.publishing.report --root=" in dry.stdout
    root = tmp_path / "example-vale"
    shutil.copytree(example_root, root)
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["licenses"] = [
        {
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        }
    ]
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), "utf-8")
    assert report.main(["--root", str(root)]) == 0
    page = (root / "build" / "reports" / "impact_report.html").read_text("utf-8")
    assert "Published by Example Vale Health and Care Partnership." in page
    assert "Nottingham" not in page
    # Not every publisher is an Integrated Care Board (North Cumbria's is a partnership).
    assert "ICB" not in page
    assert "Data: Creative Commons Attribution 4.0." in page and "Open Government Licence" not in page
    figures = json.loads((root / "build" / "reports" / "impact_report_figures.json").read_text("utf-8"))
    assert figures["release"] and "Example Vale" in figures["citation"]


def test_a_publisher_yml_without_a_strategy_reads_as_sentences(example_root, tmp_path):
    """strategy is optional in publisher.yml (the national register's own has none): the
    home page and every footer said "In its  Example Vale ... promised" and "drawn from
    Example Vale Health and Care Partnership's  and related documents"."""
    root = tmp_path / "no-strategy"
    shutil.copytree(example_root, root, ignore=shutil.ignore_patterns("build"))
    (root / "publisher.yml").write_text(re.sub(r"strategy:\n(  .*\n)+", "", EXAMPLE), "utf-8")
    assert datapackage.main(["--write", "--root", str(root)]) == 0
    build(Package(root), root / "build")
    home = Client(datasette_instance(root / "build")).get("/").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", home))
    assert "<p>Example Vale Health and Care promised that," in re.sub(r"\s+", " ", home)
    assert "In its" not in text and "'s and related" not in text and "  " not in text
    assert "Source: records drawn from the documents, listed in source documents." in text


def test_a_datapackage_json_broken_by_hand_is_said_where_not_as_something_went_wrong(tmp_path):
    """docs/publishing.md step 2 has the `name` in datapackage.json changed by hand: a comma
    lost there was "Something went wrong ... Please report this" from `make validate` and
    `make build`, and a traceback from the command that regenerates the descriptor."""
    package = tmp_path / "package"
    subprocess.run(["cp", "-rL", str(CUMBRIA), str(package)], check=True)
    shutil.rmtree(package / "build", ignore_errors=True)
    path = package / "datapackage.json"
    text = path.read_text("utf-8")
    path.write_text(text.replace('"coproduction-register-north-cumbria",', '"coproduction-register-vale"', 1), "utf-8")
    line = text[: text.index('"coproduction-register-north-cumbria"')].count("\n") + 2
    said = f"{path} is not valid JSON: expecting ',' delimiter at line {line}, column 3"
    for target in ("validate", "build"):
        done = subprocess.run(
            ["make", "--no-print-directory", target, f"ROOT={package}"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode != 0
        assert said in done.stderr and "Something went wrong" not in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    derived = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "register.schema.datapackage",
            "--write",
            "--root",
            str(package),
        ],
        capture_output=True,
        text=True,
    )
    assert derived.returncode == 1 and said in derived.stderr and "Traceback" not in derived.stderr
    assert not (package / "build" / "register.db").exists()


def test_deriving_the_descriptor_of_a_folder_that_is_not_there_says_so(tmp_path, capsys):
    # It said "Not written: publisher.yml is missing" for a mistyped --root, and "Not
    # written" when it was only asked to check.
    nope = tmp_path / "nope"
    assert datapackage.main(["--root", str(nope)]) == 1
    assert capsys.readouterr().err == f"Not checked: {nope} is not a folder (give --root the register's folder).\n"
    assert datapackage.main(["--write", "--root", str(nope)]) == 1
    assert capsys.readouterr().err.startswith(f"Not written: {nope} is not a folder")
    assert not nope.exists()
