"""The fast validator (src/register/checks/fastcheck.py) gives exactly the reference's answer.

The reference is frictionless with the Table Schemas, then src/register/checks/rules.py and
src/register/checks/privacy.py (validate.validate_reference). Both run over the same registers: the
real data, a generated one, and copies broken by seeded mutations of every kind staff
make (wrong types, impossible dates, unknown codes, broken references, duplicate ids,
missing required values, bad identifiers, text too long, bad booleans, personal data,
and each cross-row rule). They must report the same problems, row for row and word for
word. Each mutated register is checked twice: with small referenced tables held in
Python sets (as in normal use) and with every reference checked through SQL (as the
co-production log is at national scale).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path

import pytest

from register.bench.generate import generate
from register.checks import fastcheck
from register.checks.validate import validate, validate_reference
from register.schema.package import Package
from tests.conftest import copy_repo

TODAY = dt.date(2026, 6, 30)
MAIN = ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "register"
    generate(out, 120, seed=7, today=TODAY, progress=False)
    return out


def fast(root: Path, lookup_max: int | None = None, monkeypatch=None) -> list:
    if lookup_max is not None:
        monkeypatch.setattr(fastcheck, "LOOKUP_MAX", lookup_max)
    return fastcheck.check_package(Package(root), progress=False)


def read(root: Path, name: str) -> tuple[list[str], list[list[str]]]:
    path = Package(root).resource(name).path
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(root: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    path = Package(root).resource(name).path
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header] + rows)


# -- mutations: each changes one cell (or adds one row) the way a person might ---------

BAD_VALUES = {
    "integer": ["twelve", "1.5", "-1", " 7 ", "+3", "1_000", "\u0661\u0662", "", " "],
    # Today and the day after: the last day that is not in the future, and the first that is.
    "date": ["2024-02-30", "2024-1-5", "20240105", "2999-01-01", "", "01/02/2024", "2024-02-29", " 2024-01-05"]
    + [TODAY.isoformat(), (TODAY + dt.timedelta(days=1)).isoformat()],
    "boolean": ["maybe", "Y", "1", "", "TRUE", "No", "yes "],
    "string": [
        "",
        " ",
        "x" * 201,
        "y" * 4001,
        "PRJ-1",
        "prj-0001",
        "zz_unknown",
        "A;b",
        "my_life_choices;nope",
        "Contact jo.bloggs@example.org",
        "Ring 0115 496 0000 please",
        "NHS 943 476 5919",
        "postcode NG7 2UH",
        "NI AB123456C",
        "about 12 people came",
        "caf\u00e9 \u0663\u0664",
        "PRJ-0001\n",
    ],
}


def mutations(root: Path, rng: random.Random, count: int) -> list[str]:
    """Apply `count` seeded mutations to the main resources of `root`; return what was done."""
    package = Package(root)
    tables = {name: read(root, name) for name in MAIN + ("gates",)}
    done = []
    for _ in range(count):
        name = rng.choice(MAIN + ("gates",))
        header, rows = tables[name]
        if not rows:
            continue
        res = package.resource(name)
        kind = rng.random()
        i = rng.randrange(len(rows))
        if kind < 0.55:  # a bad or borderline value in one cell
            f = rng.choice(res.fields)
            value = rng.choice(BAD_VALUES[f.type] + (BAD_VALUES["string"] if rng.random() < 0.2 else []))
            rows[i][header.index(f.name)] = value
            done.append(f"{name} row {i + 2} {f.name}={value[:20]!r}")
        elif kind < 0.65:  # a duplicate identifier (sometimes three of them, or an empty one)
            pk = header.index(res.primary_key[0])
            j = rng.randrange(len(rows))
            rows[j][pk] = rows[i][pk] if rng.random() < 0.8 else ""
            if rng.random() < 0.3:
                rows.append(list(rows[i]))
            done.append(f"{name} duplicate id at rows {i + 2}, {j + 2}")
        elif kind < 0.75:  # a reference to something that is not there, or elsewhere
            refs = [f for f in res.fields if f.reference]
            f = rng.choice(refs)
            other = tables.get(f.reference[0])
            if other and rng.random() < 0.6:
                value = rng.choice(other[1])[other[0].index(f.reference[1])]  # exists, maybe wrong project
            else:
                value = rng.choice(["PRJ-999999", "LOG-999999", "YS-999999", "approve", "nowhere", "nope"])
            rows[i][header.index(f.name)] = value
            done.append(f"{name} row {i + 2} {f.name}->{value}")
        else:  # break a cross-row rule
            row = dict(zip(header, rows[i]))
            if name == "equality_impacts":
                choice = rng.choice(["negative", "not_assessed", "pair", "review"])
                if choice == "negative":
                    row.update(impact="negative", mitigation=rng.choice(["", " "]))
                elif choice == "not_assessed":
                    row.update(impact="not_assessed", not_assessed_reason="")
                elif choice == "pair":
                    other = rows[rng.randrange(len(rows))]
                    row.update(
                        project_id=other[header.index("project_id")],
                        characteristic=other[header.index("characteristic")],
                    )
                else:
                    row.update(assessed_date="2025-05-05", review_date="2025-05-04")
            elif name == "you_said_we_did_updates":
                choice = rng.choice(["done", "ntf", "early"])
                if choice == "done":
                    row.update(status=rng.choice(["done", "planned", "in_progress"]), we_did="")
                elif choice == "ntf":
                    row.update(status="not_taken_forward", reason="")
                else:
                    row.update(update_date=rng.choice(["2000-01-01", "20000101", "2021-07-01"]))
            elif name == "projects":
                row.update(start_date="2025-01-10", end_date=rng.choice(["2025-01-09", "2025-01-10", "2024-13-01"]))
            elif name == "you_said_we_did":
                items = tables["coproduction_log"][1]
                log_header = tables["coproduction_log"][0]
                row.update(
                    activity_id=rng.choice(items)[log_header.index("id")], target_date=rng.choice(["2000-01-01", ""])
                )
            elif name == "coproduction_log":
                row.update(
                    groups=rng.choice(
                        [
                            "my_life_choices;healthwatch",
                            "healthwatch;;our_voice",
                            "healthwatch;healthwatch",
                            "bogus",
                            "healthwatch;bogus",
                        ]
                    )
                )
            else:
                row.update(sort_order="-3")
            rows[i] = [row[h] for h in header]
            done.append(f"{name} row {i + 2} rule")
    for name, (header, rows) in tables.items():
        write(root, name, header, rows)
    return done


def assert_same(root: Path, monkeypatch, context: str = "") -> list:
    reference = validate_reference(Package(root))
    for lookup_max in (fastcheck.LOOKUP_MAX, 0):
        got = fast(root, lookup_max, monkeypatch)
        missing = sorted(set(reference) - set(got))
        extra = sorted(set(got) - set(reference))
        assert not missing and not extra, (
            f"{context}\nLOOKUP_MAX={lookup_max}\nonly in the reference:\n"
            + "\n".join(map(str, missing[:20]))
            + "\nonly in the fast path:\n"
            + "\n".join(map(str, extra[:20]))
        )
        assert sorted(got) == sorted(reference), "the same problems, the same number of times"
    return reference


def test_real_data_agrees(tmp_path, monkeypatch):
    assert assert_same(copy_repo(tmp_path), monkeypatch) == []


def test_generated_register_agrees_and_is_valid(synthetic, monkeypatch):
    assert assert_same(synthetic, monkeypatch) == []


@pytest.mark.parametrize("seed", range(6))
def test_mutated_generated_register_agrees(synthetic, tmp_path, monkeypatch, seed):
    root = tmp_path / "r"
    shutil.copytree(synthetic, root)
    done = mutations(root, random.Random(seed), 40)
    problems = assert_same(root, monkeypatch, "\n".join(done))
    assert problems, "forty mutations must break something"
    kinds = {p.message.split(" ")[-1] for p in problems}
    assert len(kinds) > 3


@pytest.mark.parametrize("seed", range(2))
def test_mutated_real_data_agrees(tmp_path, monkeypatch, seed):
    root = copy_repo(tmp_path)
    done = mutations(root, random.Random(100 + seed), 25)
    assert assert_same(root, monkeypatch, "\n".join(done))


def test_every_kind_of_problem_is_covered(synthetic, tmp_path, monkeypatch):
    """The mutations above do reach every check: one register broken every way at once."""
    root = tmp_path / "r"
    shutil.copytree(synthetic, root)
    done = mutations(root, random.Random(99), 400)
    problems = assert_same(root, monkeypatch, "\n".join(done))
    text = "\n".join(str(p) for p in problems)
    for expected in (
        "is not a whole number",
        "is not a date the register can read",
        "must be yes or no",
        "is required",
        "is not in the right form",
        "characters long; the most allowed is",
        "is less than 0",
        "must be unique",
        "is not a code in",
        "there is no record",
        "is required when",
        "is earlier than",
        "is in the future",
        "before the item was said",
        "belongs to project",
        "the same project_id and characteristic",
        "contains an email address",
    ):
        assert expected in text, expected


def test_ragged_rows_and_odd_headers_use_the_reference(synthetic, tmp_path):
    """What the fast path does not model, it hands over: the answer is the reference's."""
    root = tmp_path / "r"
    shutil.copytree(synthetic, root)
    header, rows = read(root, "coproduction_log")
    rows[3] = rows[3][:5]
    rows[4] = rows[4] + ["extra"]
    rows.insert(6, [])
    write(root, "coproduction_log", header, rows)
    with pytest.raises(fastcheck.Fallback):
        fastcheck.check_package(Package(root), progress=False)
    problems = validate(Package(root))
    assert problems == validate_reference(Package(root))
    assert any("too few cells" in p.message for p in problems)
    path = Package(root).resource("projects").path
    path.write_text(path.read_text("utf-8").replace("summary", "sumary", 1), "utf-8")
    assert validate(Package(root)) == validate_reference(Package(root))


def test_the_build_refuses_what_validation_refuses(synthetic, tmp_path):
    """Validation is the first half of the build's single pass: a bad row stops it."""
    from register.database.build import build

    root = tmp_path / "r"
    shutil.copytree(synthetic, root)
    header, rows = read(root, "coproduction_log")
    rows[0][header.index("gate")] = "approve"
    write(root, "coproduction_log", header, rows)
    with pytest.raises(SystemExit):
        build(Package(root), tmp_path / "out")
    assert not (tmp_path / "out" / "register.db").exists()
    assert not list((tmp_path / "out").glob(".register.db.*"))


def test_rules_and_privacy_patterns_it_does_not_know_are_never_skipped(synthetic, tmp_path, monkeypatch):
    """A new x- rule in a schema hands over to the reference; a new privacy pattern turns
    off the digit-or-@ shortcut, so text is never waved through unread."""
    import json
    import re as _re

    from register.checks import privacy

    root = tmp_path / "r"
    shutil.copytree(synthetic, root)
    schema = root / "schemas" / "projects.json"
    data = json.loads(schema.read_text())
    data["fields"][1]["x-title-case"] = True
    schema.write_text(json.dumps(data))
    with pytest.raises(fastcheck.Fallback):
        fastcheck.check_package(Package(root), progress=False)
    assert privacy.prefilter_safe()
    monkeypatch.setattr(privacy, "NAME", _re.compile(r"\bMr [A-Z][a-z]+"), raising=False)
    assert not privacy.prefilter_safe()
