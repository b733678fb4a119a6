"""Property tests of the one checking path (src/register/checks/).

- The fast checker and the frictionless reference report the same problems, word for
  word, on the real sample data with cells changed the ways people get them wrong:
  wrong types, unknown codes, impossible dates, numbers too large, too long or not
  whole, empty required fields, duplicate ids.
- Every integer is bounded by its schema, within what SQLite holds, and both checkers
  agree on every value around those bounds.
- The fast-path build and the reference build give the same database.

Bounded (a few dozen examples, no deadline) so the file runs in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from register.bench.generate import generate
from register.checks import fastcheck
from register.checks.reference import validate_reference
from register.checks.supported import Fallback
from register.checks.validate import validate
from register.database.build import build
from register.schema.package import ROOT, SQLITE_MAX_INTEGER, Package
from tests.conftest import copy_repo

TODAY = dt.date(2026, 6, 30)
MAIN = ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates")
# No shrinking: a failing example is reported as found, and the file stays bounded.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
BOUNDED = settings(max_examples=8, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())


def read(root: Path, name: str) -> tuple[list[str], list[list[str]]]:
    with Package(root).resource(name).path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(root: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    with Package(root).resource(name).path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header] + rows)


def same_problems(root: Path) -> list:
    """Both checkers' problems, required to be the same; returns them. Where the fast
    path hands over (a stray carriage return makes rows ragged), the answer is the
    reference's by construction: the hand-over is what is checked."""
    reference = validate_reference(Package(root))
    try:
        fast = fastcheck.check_package(Package(root), progress=False)
    except Fallback:
        assert validate(Package(root)) == reference
        return reference
    assert [str(p) for p in fast] == [str(p) for p in reference]
    return reference


# -- values people type where the schema wants something else -------------------------

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            str(2**63),
            str(2**63 - 1),
            "1000000",
            "1000001",
            "9" * 4301,
            "-" + "9" * 4301,
            "0" * 4300 + "7",
            "1e20",
            "3.5",
            "1.0",
            " 12 ",
            "+3",
            "twelve",
            "",
        ]
    ),
)
DATES = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["2024-02-30", "2024-13-01", "06/08/2024", "2024-8-6", "20240105", "next week", ""]),
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "x" * 4001, "zz_unknown", "PRJ-9999", "LOG-1", "call 0115 883 9000", "a@b.co.uk"]),
)
BOOLEANS = st.sampled_from(["true", "false", "yes", "no", "maybe", "1", "Y", ""])
BY_TYPE = {"integer": NUMBERS, "date": DATES, "boolean": BOOLEANS, "string": TEXT}


@st.composite
def mutation(draw):
    """(resource, row index, field, new value): one cell changed, or one id duplicated."""
    package = Package(ROOT)
    name = draw(st.sampled_from(MAIN))
    res = package.resource(name)
    _, rows = read(ROOT, name)
    row = draw(st.integers(0, len(rows) - 1))
    f = draw(st.sampled_from(res.fields))
    if f.name == "id" and draw(st.booleans()):
        return name, row, f.name, rows[(row + 1) % len(rows)][0]  # a duplicate id
    return name, row, f.name, draw(BY_TYPE[f.type])


@BOUNDED
@given(st.lists(mutation(), min_size=1, max_size=6))
def test_fast_and_reference_agree_on_mutated_real_data(changes):
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp))
        for name, row, field, value in changes:
            header, rows = read(root, name)
            rows[row][header.index(field)] = value
            write(root, name, header, rows)
        same_problems(root)


@BOUNDED
@given(st.lists(NUMBERS, min_size=1, max_size=20))
def test_every_integer_value_is_judged_alike_and_out_of_range_is_refused(values):
    """Values of a count of people, each in a new row of the co-production log."""
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp))
        header, rows = read(root, "coproduction_log")
        col = header.index("lived_experience_count")
        for i, value in enumerate(values):
            new = list(rows[0])
            new[0], new[col] = f"LOG-{9000 + i}", value
            rows.append(new)
        write(root, "coproduction_log", header, rows)
        problems = same_problems(root)
        for i, value in enumerate(values):
            mine = [p for p in problems if p.row == len(rows) - len(values) + i + 2]
            text = value.strip()
            digits = text.lstrip("+-")
            whole = digits.isascii() and digits.isdigit()
            if not text or (whole and len(digits) <= 4300 and 0 <= int(text) <= 1_000_000):
                assert mine == [], (value, mine)
            else:
                assert len(mine) == 1, (value, mine)
                assert mine[0].field == "lived_experience_count"
                assert mine[0].file == "datasets/coproduction_log.csv"
                assert mine[0].allowed == "a whole number from 0 to 1,000,000"
                if whole:
                    assert mine[0].message.split(" is ")[-1] in ("more than 1,000,000", "less than 0")


def test_every_integer_field_is_bounded_within_sqlite():
    """Counts of people up to a million; every other integer, codelists' included,
    within SQLite's 64 bits."""
    package = Package(ROOT)
    for res in package.resources:
        for f in res.fields:
            if f.type != "integer":
                continue
            high = f.constraints.get("maximum")
            assert high is not None and high <= SQLITE_MAX_INTEGER, (res.name, f.name)
            if f.name.endswith("_count"):
                assert high == 1_000_000, (res.name, f.name)


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@settings(max_examples=3, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=5, max_value=40))
def test_fast_build_and_reference_build_give_the_same_database(seed, size):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "r"
        generate(root, size, seed=seed, today=TODAY, progress=False)
        build(Package(root), root / "fast", progress=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("REGISTER_VALIDATOR", "reference")
            build(Package(root), root / "reference", progress=False)
        assert dump(root / "fast" / "register.db") == dump(root / "reference" / "register.db")


def test_fast_build_and_reference_build_of_the_real_data_are_the_same(tmp_path, monkeypatch):
    root = copy_repo(tmp_path)
    build(Package(root), tmp_path / "fast", progress=False)
    monkeypatch.setenv("REGISTER_VALIDATOR", "reference")
    build(Package(root), tmp_path / "reference", progress=False)
    fast, reference = dump(tmp_path / "fast" / "register.db"), dump(tmp_path / "reference" / "register.db")
    assert len(fast) > 1000
    assert fast == reference


@pytest.mark.parametrize("validator", ["fast", "reference"])
def test_the_build_refuses_a_number_sqlite_cannot_hold_with_a_message(tmp_path, monkeypatch, capsys, validator):
    """Issue 14: 2^63 in a count was accepted and then crashed every build."""
    monkeypatch.setenv("REGISTER_VALIDATOR", validator)
    root = copy_repo(tmp_path)
    header, rows = read(root, "coproduction_log")
    rows[0][header.index("lived_experience_count")] = str(2**63)
    write(root, "coproduction_log", header, rows)
    with pytest.raises(SystemExit) as stop:
        build(Package(root), tmp_path / "out", progress=False)
    assert stop.value.code == 1
    assert (
        "datasets/coproduction_log.csv, row 2, field lived_experience_count: People with lived experience is "
        "more than 1,000,000 (value: '9223372036854775808'); allowed: a whole number from 0 to 1,000,000"
    ) in capsys.readouterr().err
    assert not (tmp_path / "out" / "register.db").exists()
