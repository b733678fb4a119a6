"""`make append` reads what it needs of the existing rows from the built database while
the database vouches for the files (src/register/database/known_rows.py), and reads the files
otherwise. Both ways must find exactly the same problems and give the same identifiers.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_append import VALUE_CASES

from register.database import known_rows
from register.database.build import build
from register.schema.package import ROOT, Package
from register.staff import append as appendmod
from tests.conftest import copy_repo
from tests.staff_helpers import STAFF, TODAY, digest, exit_code, make

SCAN = {"REGISTER_APPEND_SCAN": "1"}


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory):
    repo = copy_repo(tmp_path_factory.mktemp("indexed"))
    build(Package(repo), repo / "build", progress=False)
    return repo


@pytest.fixture
def fresh_built_repo(tmp_path):
    repo = copy_repo(tmp_path)
    build(Package(repo), repo / "build", progress=False)
    return repo


def append_no_build(repo, table, file, env=None):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "register.staff.append",
            "--root",
            str(repo),
            "--table",
            table,
            "--file",
            str(file),
            "--no-build",
            "--allow-duplicates",  # these tests offer the same rows again on purpose
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "REGISTER_TODAY": TODAY, **(env or {})},
        timeout=120,
    )


def existing(repo, table, rows):
    package = Package(repo)
    batch = appendmod.Batch(package.resource(table), "new.csv", [(i + 2, dict(r)) for i, r in enumerate(rows)])
    return appendmod.scan_existing(package, batch)


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_bad_files_get_the_same_problems_from_the_database_as_from_the_files(built_repo, name):
    table, _ = VALUE_CASES[name]
    before = digest(built_repo)
    index = known_rows.Index.open(Package(built_repo))
    assert index is not None and index.covered(Package(built_repo).resource(table)) is not None
    index.close()
    with_db = make("append", built_repo, TABLE=table, FILE=STAFF / name)
    with_scan = make("append", built_repo, TABLE=table, FILE=STAFF / name, env=SCAN)
    assert exit_code(with_db) == exit_code(with_scan) == 1
    assert with_db.stderr == with_scan.stderr
    assert digest(built_repo) == before


def test_the_database_is_trusted_only_for_the_bytes_it_was_built_from(fresh_built_repo, tmp_path):
    repo = fresh_built_repo
    package = Package(repo)
    log = package.resource("coproduction_log")
    size = log.path.stat().st_size
    new = tmp_path / "one.csv"
    new.write_text((STAFF / "log_good.csv").read_text("utf-8"), "utf-8")

    # Built just now: the database vouches for the whole file.
    assert existing(repo, "coproduction_log", []).covered == size
    first = append_no_build(repo, "coproduction_log", new)
    assert first.returncode == 0, first.stderr
    given = first.stdout.split(": ", 1)[1].split(".\n")[0].split(", ")

    # Appended without a rebuild: still vouched for up to the old size; the rest is read.
    ex = existing(repo, "coproduction_log", [{"id": given[0]}])
    assert ex.covered == size
    assert ex.taken["id"] == {given[0]}, "an id given by the last append must be seen as taken"
    assert ex.max_number == int(given[-1].split("-")[1])

    second = append_no_build(repo, "coproduction_log", new)
    assert second.returncode == 0, second.stderr
    numbers = [int(x.split("-")[1]) for x in second.stdout.split(": ", 1)[1].split(".\n")[0].split(", ")]
    assert numbers[0] == int(given[-1].split("-")[1]) + 1

    # Changed any other way (an edit in a spreadsheet): the files are read instead.
    text = log.path.read_text("utf-8")
    log.path.write_text(text, "utf-8")
    assert existing(repo, "coproduction_log", []).covered is None
    # ...and a rebuild makes the database vouch for every byte again.
    build(Package(repo), repo / "build", progress=False)
    assert existing(repo, "coproduction_log", []).covered == log.path.stat().st_size


def test_good_files_land_the_same_with_or_without_the_database(tmp_path):
    """Four appends in a row without a rebuild (the later ones read the database for
    the old bytes and the files for the new), against the same appends reading files."""
    files = [
        ("coproduction_log", "log_good.csv"),
        ("you_said_we_did", "yswd_cp1252.csv"),
        ("projects", "projects_bom_crlf.csv"),
        ("coproduction_log", "log_good.csv"),
    ]
    outcomes = []
    for env, sub in ((None, "db"), (SCAN, "scan")):
        (tmp_path / sub).mkdir()
        repo = copy_repo(tmp_path / sub)
        build(Package(repo), repo / "build", progress=False)
        said = []
        for table, name in files:
            r = append_no_build(repo, table, STAFF / name, env)
            assert r.returncode == 0, r.stderr
            said.append(r.stdout.split("(")[0].replace(str(repo), "<copy>"))  # each names its own ROOT=
        outcomes.append((said, digest(repo)))
    assert outcomes[0] == outcomes[1]
