"""A package on an older minor version of the standard builds with this one, as a minor
version promises: standard 1.2.0 added the impacts codelist's `assessed` column, and 1.3.0
the statuses codelist's `responds`, which the stored views read. A 1.1.0 package, without it, used to validate and then fail to
build with "no such column". Its build now takes the column from the standard's own
codelist, says so, and gives the same figures; its downloads keep its own columns."""

from __future__ import annotations

import csv
import sqlite3

from register.checks import validate
from register.database.build import build
from register.publishing.extracts import extract
from register.schema.package import Package
from tests.conftest import as_standard_1_1, copy_repo

FIGURES = {
    "measure_equality_coverage": "select * from measure_equality_coverage order by 1, 2, 3",
    "measure_eia_coproduced": "select * from measure_eia_coproduced order by 1",
    "project_figures": "select * from project_figures order by 1",
    "impacts": "select code, assessed from impacts order by code",
    "statuses": "select code, responds from statuses order by code",
    "you_said_we_did_status": "select * from you_said_we_did_status order by id",
    "gate_assurance": "select * from gate_assurance order by 1, 2",
}


def _figures(db) -> dict:
    with sqlite3.connect(db) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in FIGURES.items()}


def test_a_package_on_1_1_builds_with_the_standards_column_and_the_same_figures(tmp_path, capsys):
    newer = tmp_path / "newer"
    older = tmp_path / "older"
    newer.mkdir()
    older.mkdir()
    build(Package(copy_repo(newer)), newer / "build")
    rows = as_standard_1_1(copy_repo(older))
    assert {r["assessed"] for r in rows} == {"true", "false"}, "the sample needs both kinds of impact"

    assert validate.main(["--root", str(older)]) == 0
    assert "standard 1.1.0" in capsys.readouterr().out
    build(Package(older), older / "build")
    err = capsys.readouterr().err
    assert "Note: datasets/codelists/impacts.csv has no column 'assessed'" in err
    assert "taken from the standard's own impacts codelist" in err
    assert "Note: datasets/codelists/statuses.csv has no column 'responds'" in err

    want = _figures(newer / "build" / "register.db")
    got = _figures(older / "build" / "register.db")
    assert want["measure_equality_coverage"], "the sample has equality impacts to count"
    assert got == want

    # Its downloads are its own package's: the impacts codelist without the column.
    extract(Package(older), older / "build" / "register.db", older / "build" / "extracts")
    with (older / "build" / "extracts" / "impacts.csv").open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == [k for k in rows[0] if k != "assessed"]


def test_a_package_on_this_version_gets_no_note(tmp_path, capsys):
    root = copy_repo(tmp_path)
    build(Package(root), tmp_path / "build")
    assert "Note:" not in capsys.readouterr().err
