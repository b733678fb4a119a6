"""Citable releases: two builds in a row leave two releases, each listed, downloadable at
its fixed address, citable, and still matching its checksums after the later build.

A scratch register is built and extracted, one record is changed, and it is built and
extracted again; the site is then served from the scratch build in-process.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
import zipfile

import pytest

from register.database.build import build
from register.publishing.extract_tables import day_of
from register.publishing.extracts import extract
from register.publishing.report import release_cell, release_of
from register.schema import standard as standard_mod
from register.schema.package import ROOT, Package
from register.site.downloads import WORKBOOK_NAME
from register.site.releases import RELEASE_RE, read_sums
from register.site.serve import datasette_instance
from tests.conftest import copy_repo, rewrite_dataset

STANDARD = standard_mod.load(ROOT / "schemas")
STANDARD_FILES = {f"standard/{rel}" for rel in (standard_mod.STANDARD_FILE, "CHANGELOG.md", *STANDARD.schemas)}
FIRST = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
SECOND = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _snapshot(directory):
    """Every file under directory (standard/ included) by its path in the set."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("releases"))
    package = Package(root)
    db, out = root / "build" / "register.db", root / "build" / "extracts"
    build(package, root / "build")
    first = extract(package, db, out, now=FIRST)
    first_files = _snapshot(root / "build" / "releases" / first["release"])
    path = root / "datasets" / "projects.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    rows[0]["title"] = rows[0]["title"] + " – revised"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    package = Package(root)
    build(package, root / "build")
    second = extract(package, db, out, now=SECOND)
    ds = datasette_instance(root / "build")
    return {
        "root": root,
        "package": package,
        "first": first,
        "second": second,
        "first_files": first_files,
        "changed_id": rows[0]["id"],
        "get": lambda path, **kw: asyncio.run(ds.client.get(path, **kw)),
    }


def test_each_build_is_a_release_named_by_date_and_inputs(two_builds):
    a, b = two_builds["first"]["release"], two_builds["second"]["release"]
    assert RELEASE_RE.match(a) and RELEASE_RE.match(b) and a != b
    assert a.startswith("2026-11-30-") and b.startswith("2026-12-01-")
    releases = two_builds["root"] / "build" / "releases"
    assert sorted(p.name for p in releases.iterdir()) == [a, b]
    assert two_builds["first"]["release_new"] and two_builds["second"]["release_new"]


def test_a_release_still_matches_its_checksums_after_a_later_build(two_builds):
    releases = two_builds["root"] / "build" / "releases"
    first = releases / two_builds["first"]["release"]
    assert _snapshot(first) == two_builds["first_files"]
    for r in (first, releases / two_builds["second"]["release"]):
        sums = read_sums(r)
        assert set(sums) == set(_snapshot(r)) - {"SHA256SUMS"}
        assert WORKBOOK_NAME in sums and "coproduction-register.zip" in sums and "projects.excel.csv" in sums
        # The standard travels with every release, in its zip too.
        assert {n for n in sums if n.startswith("standard/")} == STANDARD_FILES
        with zipfile.ZipFile(r / "coproduction-register.zip") as z:
            assert {n for n in z.namelist() if "/standard/" in n} == {
                f"coproduction-register/{n}" for n in STANDARD_FILES
            }
        for name, digest in sums.items():
            assert hashlib.sha256((r / name).read_bytes()).hexdigest() == digest, (r.name, name)
        if shutil.which("sha256sum"):
            check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=r, capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr


def test_releases_page_lists_both_with_rows_changes_checksums_and_citation(two_builds):
    get, desc = two_builds["get"], two_builds["package"].descriptor
    page = get("/releases")
    assert page.status_code == 200
    html = page.text
    a, b = two_builds["first"]["release"], two_builds["second"]["release"]
    assert html.index(b) < html.index(a)  # newest first
    for summary in (two_builds["first"], two_builds["second"]):
        r = summary["release"]
        assert f"{desc['publisher']} ({r[:4]}). {desc['title']}, release {r}. http://localhost/releases/{r}" in html
        assert f"{sum(summary['rows'][t] for t in summary['rows']):,} rows" in html
        for digest in read_sums(two_builds["root"] / "build" / "releases" / r).values():
            assert digest in html
    # What changed in the second release: one project's title.
    section = html[html.index(f'id="release-{b}"') : html.index(f'id="release-{a}"')]
    assert ">projects<" in section and 'data-label="Changed" class="numeric">1<' in section
    assert "This was the first release" in html[html.index(f'id="release-{a}"') :]
    one = get(f"/releases/{a}")
    assert (
        one.status_code == 200
        and f"release {a}" in one.text
        and b not in one.text.split("<main")[1].split("</main>")[0]
    )
    assert get("/releases/2020-01-01-0000000").status_code == 404


def test_the_extract_compared_with_is_dated_in_words_as_the_release_is(two_builds):
    """ "Compared with the extract made on 30 November 2026 at 9am", as "Built on"
    and "These files were made on" say it, not the data package's raw time."""
    get, b = two_builds["get"], two_builds["second"]["release"]
    first_made = f'<time datetime="{two_builds["first"]["created"]}">30 November 2026 at 9am</time>'
    for page in (get("/releases").text, get(f"/releases/{b}").text, get("/downloads").text):
        assert f"Compared with the extract made on {first_made}" in page


def test_release_files_are_served_at_fixed_addresses_without_redirect(two_builds):
    get = two_builds["get"]
    releases = two_builds["root"] / "build" / "releases"
    for r in (two_builds["first"]["release"], two_builds["second"]["release"]):
        for name, digest in read_sums(releases / r).items():
            served = get(f"/downloads/releases/{r}/{name}")
            assert served.status_code == 200, (r, name)
            assert hashlib.sha256(served.content).hexdigest() == digest, (r, name)
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert served.headers["etag"] == f'"{digest}"'
        etag = f'"{read_sums(releases / r)["projects.csv"]}"'
        assert get(f"/downloads/releases/{r}/projects.csv", headers={"if-none-match": etag}).status_code == 304
        assert get(f"/downloads/releases/{r}/SHA256SUMS").content == (releases / r / "SHA256SUMS").read_bytes()
    first = two_builds["first"]["release"]
    assert get(f"/downloads/releases/{first}/no-such-file.csv").status_code == 404
    assert get(f"/downloads/releases/{first}/..%2Fextracts%2Fprojects.csv").status_code == 404
    assert get(f"/downloads/releases/{first}/standard/.hidden").status_code == 404
    assert get("/downloads/releases/2020-01-01-0000000/projects.csv").status_code == 404


def test_a_release_serves_its_standard_folder_too(two_builds):
    r = two_builds["second"]["release"]
    sums = read_sums(two_builds["root"] / "build" / "releases" / r)
    for name in sorted(STANDARD_FILES):
        served = two_builds["get"](f"/downloads/releases/{r}/{name}")
        assert served.status_code == 200, name
        assert hashlib.sha256(served.content).hexdigest() == sums[name]


def test_pages_and_downloads_say_which_release_with_citation(two_builds):
    get, desc = two_builds["get"], two_builds["package"].descriptor
    current = two_builds["second"]["release"]
    cite = (
        f"{desc['publisher']} ({current[:4]}). {desc['title']}, release {current}. http://localhost/releases/{current}"
    )
    for path in ("/", "/downloads", "/register/projects"):
        html = get(path).text
        footer = html[html.index('<footer class="site-footer"') :]
        assert cite in footer, path
        assert f'href="/releases/{current}"' in footer, path
    assert "Suggested citation" in get("/downloads").text.split("<footer")[0]


def test_the_notebook_page_cites_the_release_at_its_full_address(two_builds):
    """The .Notebook page of a table (code to load its rows) gives the same citation as
    every other page: it gave the release as /releases/<release>, an address without the
    site's, which a reader cannot follow from a paper or a notebook."""
    get, current = two_builds["get"], two_builds["second"]["release"]
    for path in ("/register/projects.Notebook", "/register/you_said_we_did_current.Notebook"):
        html = get(path).text
        footer = html[html.index('<footer class="site-footer"') :]
        assert f"release {current}. http://localhost/releases/{current}</cite>" in footer, path


def test_pages_built_after_the_release_do_not_say_they_show_it(tmp_path):
    """After `make build` and before `make extracts` the pages show records the release
    has not got: they do not say they show it, while the downloads page still says
    which release its files are."""
    root = copy_repo(tmp_path)
    build(Package(root), root / "build")
    release = extract(Package(root), root / "build" / "register.db", root / "build" / "extracts")["release"]
    shows = f'This site shows release\n    <a href="/releases/{release}">'

    def page(path):
        return asyncio.run(datasette_instance(root / "build").client.get(path)).text

    assert shows in page("/")
    rewrite_dataset(root, "projects", lambda rows: [{**rows[0], "title": rows[0]["title"] + " – revised"}, *rows[1:]])
    build(Package(root), root / "build")
    for path in ("/", "/register/projects"):
        assert shows not in page(path) and "This site shows release" not in page(path), path
    assert f'These files are release <a href="/releases/{release}">' in page("/downloads")


def test_the_same_inputs_again_keep_the_same_release_unchanged(two_builds, tmp_path):
    root, package = two_builds["root"], two_builds["package"]
    releases = root / "build" / "releases"
    current = two_builds["second"]["release"]
    before = _snapshot(releases / current)
    again = extract(package, root / "build" / "register.db", root / "build" / "extracts")
    assert again["release"] == current and not again["release_new"]
    assert _snapshot(releases / current) == before
    # The downloads are the release's files, byte for byte: the workbook, the zip and the
    # data package too, though the set was made again at another time.
    extracts = root / "build" / "extracts"
    assert {name: (extracts / name).read_bytes() for name in before} == before
    response = two_builds["get"]("/downloads/coproduction-register.zip")
    assert response.status_code == 200 and response.content == before["coproduction-register.zip"]


def test_the_report_names_the_release_and_its_citation(two_builds):
    found = release_of(two_builds["root"] / "build" / "register.db")
    current = two_builds["second"]["release"]
    assert found["release"] == current
    assert found["citation"].endswith(f"release {current}. {found['release_url']}")
    # The author first, once: the title holds the publisher's short name.
    publisher = two_builds["root"].joinpath("datapackage.json").read_text("utf-8")
    assert found["citation"].startswith(json.loads(publisher)["publisher"] + f" ({current[:4]}). ")
    assert current in release_cell(found).source and found["citation"] in release_cell(found).source


def test_the_report_cites_no_release_of_another_day(two_builds, tmp_path):
    """A release states its overdue items for the day it was made (x-as-of): a report made
    on another day, from the same data, counts them for its own day and cites no release."""
    built, current = two_builds["root"] / "build", two_builds["second"]["release"]
    shutil.copy2(built / "register.db", tmp_path / "register.db")
    shutil.copytree(built / "releases", tmp_path / "releases")
    assert release_of(tmp_path / "register.db")["release"] == current
    path = tmp_path / "releases" / current / "datapackage.json"
    package = json.loads(path.read_text("utf-8"))
    assert package["x-as-of"] == day_of(sqlite3.connect(":memory:"))
    path.write_text(json.dumps({**package, "x-as-of": "2026-01-01"}), "utf-8")
    assert release_of(tmp_path / "register.db") is None
    assert "has not been published as a release on the day of this report" in release_cell(None).source


def test_older_releases_beyond_the_number_kept_are_removed(two_builds):
    root, package = two_builds["root"], two_builds["package"]
    summary = extract(package, root / "build" / "register.db", root / "build" / "extracts", keep_releases=1)
    assert summary["releases_removed"] == [two_builds["first"]["release"]]
    assert [p.name for p in (root / "build" / "releases").iterdir()] == [two_builds["second"]["release"]]
