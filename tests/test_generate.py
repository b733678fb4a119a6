"""scripts/generate.py: a synthetic national register that is deterministic and valid."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from scripts.build import build
from scripts.generate import generate
from scripts.package import Package, ROOT
from scripts.validate import validate

TODAY = dt.date(2026, 6, 30)


def digest(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def rows(root: Path, name: str) -> list[dict]:
    with Package(root).resource(name).path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "2000"
    generate(out, 2000, seed=3, today=TODAY, progress=False)
    return out


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path):
    before = digest(ROOT / "datasets")
    generate(tmp_path / "a", 300, seed=11, today=TODAY, progress=False)
    generate(tmp_path / "b", 300, seed=11, today=TODAY, progress=False)
    generate(tmp_path / "c", 300, seed=12, today=TODAY, progress=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert digest(ROOT / "datasets") == before  # the real datasets are never touched


def test_size_is_the_rows_of_the_largest_resource(register):
    counts = json.loads((register / "synthetic.json").read_text())["rows"]
    assert counts["coproduction_log"] == 2000 == max(counts.values())
    for name, n in counts.items():
        assert len(rows(register, name)) == n, name


def test_generated_register_is_valid_and_builds(register, tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    assert validate(Package(register)) == []
    counts = build(Package(register), tmp_path / "build", progress=False)
    assert counts["coproduction_log"] == 2000
    conn = sqlite3.connect(tmp_path / "build" / "register.db")
    assert conn.execute("SELECT COUNT(*) FROM coproduction_log_groups").fetchone()[0] > 0
    conn.execute("INSERT INTO coproduction_log_fts(coproduction_log_fts) VALUES ('integrity-check')")
    hits = conn.execute("SELECT COUNT(*) FROM you_said_we_did_fts WHERE you_said_we_did_fts MATCH 'jargon'").fetchone()[0]
    assert hits == sum("jargon" in r["you_said"].lower() for r in rows(register, "you_said_we_did")) > 0


def test_distributions_look_like_a_national_register(register):
    package = Package(register)
    icbs = [c for c in package.codes("organisations") if c.endswith("_icb")]
    assert len(icbs) == 42
    projects = rows(register, "projects")
    assert len({p["organisation"] for p in projects}) > 30
    dates = [dt.date.fromisoformat(r["activity_date"]) for r in rows(register, "coproduction_log")]
    assert min(dates) >= TODAY.replace(year=TODAY.year - 5) and max(dates) <= TODAY
    assert (max(dates) - min(dates)).days > 3 * 365
    log = rows(register, "coproduction_log")
    assert set(Counter(r["gate"] for r in log)) == {"assess", "plan", "procure", "monitor_evaluate"}
    assert len(Counter(r["participation_level"] for r in log)) == 5
    counted = [r for r in log if r["staff_count"] and r["lived_experience_count"]]
    outnumbered = sum(int(r["staff_count"]) > int(r["lived_experience_count"]) for r in counted)
    assert 0.05 < outnumbered / len(counted) < 0.5
    eia = defaultdict(set)
    for r in rows(register, "equality_impacts"):
        eia[r["project_id"]].add(r["characteristic"])
    assert eia and all(len(c) == 12 for c in eia.values())
    updates = rows(register, "you_said_we_did_updates")
    assert {u["status"] for u in updates} == {"planned", "in_progress", "done", "not_taken_forward"}
    assert all(u["reason"] for u in updates if u["status"] == "not_taken_forward")
    assert all(u["we_did"] for u in updates if u["status"] != "not_taken_forward")
    assert {r["source"] for r in log} == {"synthetic_register"}


def test_search_built_in_a_second_process_is_the_same_index(register, tmp_path, monkeypatch):
    """Big registers build their search indexes in a second process (build.SearchSide)
    and copy them in: the copy must be the index the build would have made itself."""
    from scripts import build as build_mod

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    build(Package(register), tmp_path / "here", progress=False)
    monkeypatch.setattr(build_mod, "SEARCH_SIDE_MIN_BYTES", 0)
    monkeypatch.setattr(build_mod, "SEARCH_SIDE_MIN_ROWS_BYTES", 0)
    build(Package(register), tmp_path / "side", progress=False)
    assert "search indexes from the second process" in build_mod.LAST_TIMINGS
    here = sqlite3.connect(tmp_path / "here" / "register.db")
    side = sqlite3.connect(tmp_path / "side" / "register.db")
    for name in ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"):
        side.execute(f"INSERT INTO {name}_fts({name}_fts) VALUES ('integrity-check')")
        for shadow in ("data", "idx", "docsize", "config"):
            sql = f"SELECT * FROM {name}_fts_{shadow} ORDER BY 1, 2"
            assert here.execute(sql).fetchall() == side.execute(sql).fetchall(), (name, shadow)
        query = f"SELECT rowid FROM {name}_fts WHERE {name}_fts MATCH 'people' ORDER BY rank"
        assert here.execute(query).fetchall() == side.execute(query).fetchall()
    assert not list((tmp_path / "side").glob(".register-search.*"))
