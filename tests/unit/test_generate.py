"""src/register/bench/generate.py: a synthetic national register that is deterministic and valid."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import shutil
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from register.bench.generate import generate
from register.checks import fastcheck
from register.checks.sideload import side_share
from register.checks.validate import validate, validate_reference
from register.database import build as build_mod
from register.database import facet_counts, search
from register.database.build import build
from register.schema.package import ROOT, Package
from tests.unit.test_fast_validation import mutations

TODAY = dt.date(2026, 6, 30)


def digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


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
    hits = conn.execute("SELECT COUNT(*) FROM you_said_we_did_fts WHERE you_said_we_did_fts MATCH 'jargon'").fetchone()[
        0
    ]
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


def in_a_second_process(monkeypatch) -> list:
    """Builds from here on share their work with a second process, whatever their size;
    returns the list that gets what each second process worked out (search.Derived)."""
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_BYTES", 0)
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_ROWS_BYTES", 0)
    worked_out = []

    class Derived(search.Derived):
        def __init__(self, result):
            super().__init__(result)
            worked_out.append(self)

    monkeypatch.setattr(search, "Derived", Derived)
    return worked_out


def test_search_built_in_a_second_process_is_the_same_index(register, tmp_path, monkeypatch):
    """Big registers build their search indexes in a second process (build.SearchSide)
    and copy them in: the copy must be the index the build would have made itself."""

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    build(Package(register), tmp_path / "here", progress=False)
    worked_out = in_a_second_process(monkeypatch)
    fastcheck.TIMINGS.clear()
    build(Package(register), tmp_path / "side", progress=False)
    assert "search indexes from the second process" in build_mod.LAST_TIMINGS
    assert "tables from the second process" in fastcheck.TIMINGS
    here = sqlite3.connect(tmp_path / "here" / "register.db")
    side = sqlite3.connect(tmp_path / "side" / "register.db")
    for name in ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"):
        side.execute(f"INSERT INTO {name}_fts({name}_fts) VALUES ('integrity-check')")
        for shadow in ("data", "idx", "docsize", "config"):
            sql = f"SELECT * FROM {name}_fts_{shadow} ORDER BY 1, 2"
            assert here.execute(sql).fetchall() == side.execute(sql).fetchall(), (name, shadow)
        query = f"SELECT rowid FROM {name}_fts WHERE {name}_fts MATCH 'people' ORDER BY rank"
        assert here.execute(query).fetchall() == side.execute(query).fetchall()
    assert not list((tmp_path / "side").glob(".register-*"))
    # What the second process worked out from its tables (register/database/side_derived.py)
    # is what this one would have written, at the same rowids: every table is the same.
    assert "views: waiting for the second process" in build_mod.LAST_TIMINGS
    tables = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts_%' ORDER BY name"
    assert here.execute(tables).fetchall() == side.execute(tables).fetchall()
    for name, ddl in here.execute(tables).fetchall():
        # In key order (the planner's statistics, written in the order the tables were
        # made, the search indexes last here); the others at their rowids.
        keyed = "WITHOUT ROWID" in ddl.upper() or name == "sqlite_stat1"
        every = ", ".join(str(i + 1) for i, _ in enumerate(here.execute(f"SELECT * FROM pragma_table_info('{name}')")))
        sql = f"SELECT * FROM [{name}] ORDER BY {every}" if keyed else f"SELECT rowid, * FROM [{name}] ORDER BY 1"
        assert here.execute(sql).fetchall() == side.execute(sql).fetchall(), name
    schema = "SELECT type, name, sql FROM sqlite_master WHERE type <> 'table' OR name NOT LIKE '%_fts_%' ORDER BY 1, 2"
    assert here.execute(schema).fetchall() == side.execute(schema).fetchall()
    (derived,) = worked_out
    assert derived.due_dates and "you_said_we_did_status" in derived.views
    assert {"you_said_we_did", "equality_impacts", "you_said_we_did_current"} <= derived.facets


def test_a_build_shared_between_two_processes_refuses_bad_rows_as_validate_does(register, tmp_path, monkeypatch):
    """With big registers a second process checks and loads some tables; the problems
    must still be exactly those `make validate` reports."""

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_BYTES", 0)
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_ROWS_BYTES", 0)
    root = tmp_path / "r"
    shutil.copytree(register, root)
    mutations(root, random.Random(5), 60)
    expected = validate_reference(Package(root))
    assert expected
    refused = []
    monkeypatch.setattr(
        build_mod, "_refuse", lambda problems: (refused.extend(problems), (_ for _ in ()).throw(SystemExit(1)))
    )

    fastcheck.TIMINGS.clear()
    with pytest.raises(SystemExit):
        build(Package(root), tmp_path / "b", progress=False)
    assert "tables from the second process" in fastcheck.TIMINGS  # the shared path was taken
    assert sorted(refused) == sorted(expected)


def test_a_small_resource_may_refer_to_a_shared_one(register, tmp_path, monkeypatch):
    """Partners' verdicts refer to the updates, which a second process loads: the first
    process checks those references in SQL after copying the updates in, with the same
    problems as `make validate` (a missing update, a verdict dated before its claim)."""

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    root = tmp_path / "r"
    shutil.copytree(register, root)
    update = rows(root, "you_said_we_did_updates")[0]
    header = ["id", "update_id", "log_id", "partner", "verdict", "in_their_words", "verdict_date", "source"]
    with Package(root).resource("partner_verdicts").path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + ["source_section"])
        common = ["my_life_choices", "agrees", "We saw it done.", TODAY.isoformat(), "synthetic_register", "generated"]
        w.writerow(["VER-0001", update["id"], "", *common])
        w.writerow(["VER-0002", "UPD-99999999", "", *common])
        w.writerow(["VER-0003", update["id"], "", *common[:3], "2000-01-01", *common[4:]])
    package = Package(root)
    small = package.resource("partner_verdicts").path.stat().st_size + 1
    assert all(package.resource(n).path.stat().st_size >= small for n in ("you_said_we_did_updates", "projects"))
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_BYTES", 0)
    monkeypatch.setattr(search, "SEARCH_SIDE_MIN_ROWS_BYTES", small)
    loads, _ = side_share(package, small)
    assert "you_said_we_did_updates" in loads and "partner_verdicts" not in loads
    expected = validate_reference(package)
    assert {(p.row, p.field) for p in expected} == {(3, "update_id"), (4, "verdict_date")}
    refused = []
    monkeypatch.setattr(
        build_mod, "_refuse", lambda problems: (refused.extend(problems), (_ for _ in ()).throw(SystemExit(1)))
    )
    fastcheck.TIMINGS.clear()
    with pytest.raises(SystemExit):
        build(package, tmp_path / "b", progress=False)
    assert "tables from the second process" in fastcheck.TIMINGS
    assert sorted(refused) == sorted(expected)


OLD_CURRENT = """
WITH ranked AS (
  SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.you_said_id ORDER BY u.update_date DESC, CAST(substr(u.id, length(rtrim(u.id, '0123456789')) + 1) AS INTEGER) DESC, u.id DESC) AS rn
  FROM you_said_we_did_updates u
),
first_response AS (
  SELECT you_said_id, MIN(update_date) AS first_response_date
  FROM you_said_we_did_updates WHERE status <> 'open' GROUP BY you_said_id
),
history AS (SELECT you_said_id, COUNT(*) AS updates FROM you_said_we_did_updates GROUP BY you_said_id),
closed_since AS (
  SELECT c.you_said_id, MIN(c.update_date) AS closed_date FROM ranked c
  WHERE c.rn < COALESCE((SELECT MIN(o.rn) FROM ranked o
                         WHERE o.you_said_id = c.you_said_id AND o.status NOT IN ('done', 'not_taken_forward')), 1e18)
  GROUP BY c.you_said_id
),
status_since AS (
  SELECT c.you_said_id, MIN(c.update_date) AS since_date FROM ranked c
  JOIN ranked top ON top.you_said_id = c.you_said_id AND top.rn = 1
  WHERE c.rn < COALESCE((SELECT MIN(o.rn) FROM ranked o
                         WHERE o.you_said_id = c.you_said_id AND o.status <> top.status), 1e18)
  GROUP BY c.you_said_id
)
SELECT y.id, y.project_id, y.activity_id, y.said_date, y.theme, y.you_said,
  COALESCE(r.status, 'open') AS status, ss.since_date AS status_date, r.we_did, r.reason, y.target_date,
  fr.first_response_date,
  CAST(julianday(fr.first_response_date) - julianday(y.said_date) AS INTEGER) AS days_to_response,
  COALESCE(r.status, 'open') IN ('done', 'not_taken_forward') AS loop_closed,
  (d.due_date < date('now', 'localtime')
   AND COALESCE(r.status, 'open') NOT IN ('done', 'not_taken_forward')) AS overdue,
  COALESCE(h.updates, 0) AS updates,
  d.response_rule, d.due_date, d.due_date_basis,
  CAST(julianday(CASE WHEN COALESCE(r.status, 'open') IN ('done', 'not_taken_forward') THEN cs.closed_date
                 ELSE date('now', 'localtime') END) - julianday(y.said_date) AS INTEGER) AS days_open
FROM you_said_we_did y
JOIN you_said_due_dates d ON d.you_said_id = y.id
LEFT JOIN ranked r ON r.you_said_id = y.id AND r.rn = 1
LEFT JOIN first_response fr ON fr.you_said_id = y.id
LEFT JOIN history h ON h.you_said_id = y.id
LEFT JOIN closed_since cs ON cs.you_said_id = y.id
LEFT JOIN status_since ss ON ss.you_said_id = y.id
"""

OLD_MEASURE = """
SELECT s.code AS status, s.title AS status_title, s.sort_order, COUNT(c.id) AS items,
  SUM(c.loop_closed) AS loop_closed, SUM(c.overdue) AS overdue,
  ROUND(AVG(c.days_to_response), 1) AS average_days_to_response,
  MAX(c.days_to_response) AS longest_days_to_response
FROM statuses s LEFT JOIN ({current}) c ON c.status = s.code
GROUP BY s.code ORDER BY s.sort_order
"""


def test_status_views_written_for_scale_give_the_window_formulation_s_rows(register, tmp_path, monkeypatch):
    """src/register/database/views.sql stores each item's status at build time (a table) and adds
    `overdue` live; together they must give exactly what one window over the whole history
    gives: ties on a date, 'open' updates and items without updates included."""

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    root = tmp_path / "r"
    shutil.copytree(register, root)
    items = rows(root, "you_said_we_did")[:40]
    path = Package(root).resource("you_said_we_did_updates").path
    with path.open("a", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        for n, item in enumerate(items):
            status = ("open", "planned", "done", "not_taken_forward")[n % 4]
            w.writerow(
                [
                    f"UPD-9{n:06d}",
                    item["id"],
                    item["said_date"],
                    status,
                    "" if status == "not_taken_forward" else "x",
                    "r" if status == "not_taken_forward" else "",
                    "synthetic_register",
                    "t",
                ]
            )
            w.writerow(
                [f"UPD-8{n:06d}", item["id"], item["said_date"], "in_progress", "y", "", "synthetic_register", "t"]
            )  # the same date: a tie
        # Closed, then closed again (the loop closed the first time), closed, reopened and
        # closed again (it closed the last time), and done twice (done since the first).
        updated = {u["you_said_id"] for u in rows(root, "you_said_we_did_updates")}
        earlier = [i for i in rows(root, "you_said_we_did")[40:] if i["said_date"] < "2025-01-01"]
        earlier = [i for i in earlier if i["id"] not in updated][:20]
        assert len(earlier) == 20
        for n, item in enumerate(earlier):
            said = dt.date.fromisoformat(item["said_date"])
            steps = (
                (("done", 1), ("planned", 3), ("done", 7)),
                (("done", 1), ("not_taken_forward", 5)),
                (("planned", 1), ("done", 2), ("done", 6)),
            )[n % 3]
            for k, (status, days) in enumerate(steps):
                w.writerow(
                    [
                        f"UPD-7{n:04d}{k}",
                        item["id"],
                        (said + dt.timedelta(days=days)).isoformat(),
                        status,
                        "" if status == "not_taken_forward" else "x",
                        "r" if status == "not_taken_forward" else "",
                        "synthetic_register",
                        "t",
                    ]
                )
    build(Package(root), tmp_path / "b", progress=False)
    conn = sqlite3.connect(tmp_path / "b" / "register.db")
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'you_said_we_did_status'").fetchone() == ("table",)
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'you_said_we_did_current'").fetchone() == ("view",)
    new = conn.execute("SELECT * FROM you_said_we_did_current ORDER BY id").fetchall()
    old = conn.execute(f"SELECT * FROM ({OLD_CURRENT}) ORDER BY id").fetchall()
    assert new == old
    closed = dict(
        conn.execute("SELECT id, julianday(loop_closed_date) - julianday(said_date) FROM you_said_we_did_status")
    )
    assert [closed[i["id"]] for i in earlier] == ([7, 1, 2] * 7)[:20]  # not the last closing update's 5
    since = dict(conn.execute("SELECT id, julianday(status_date) - julianday(said_date) FROM you_said_we_did_status"))
    assert [since[i["id"]] for i in earlier] == ([7, 5, 2] * 7)[:20]  # done twice: since the first
    assert (
        conn.execute("SELECT * FROM measure_you_said_we_did").fetchall()
        == conn.execute(OLD_MEASURE.format(current=OLD_CURRENT)).fetchall()
    )
    assert {r[6] for r in new} >= {"open", "planned", "in_progress", "done", "not_taken_forward"}


def test_depth_by_gate_counts_as_joining_every_pair_to_the_log_does(register, tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    build(Package(register), tmp_path / "b", progress=False)
    conn = sqlite3.connect(tmp_path / "b" / "register.db")
    old = conn.execute("""
        SELECT g.code, g.sort_order, pl.code, pl.sort_order, COUNT(l.id)
        FROM gates g CROSS JOIN participation_levels pl
        LEFT JOIN coproduction_log l ON l.gate = g.code AND l.participation_level = pl.code
        GROUP BY g.code, pl.code ORDER BY g.sort_order, pl.sort_order""").fetchall()
    assert conn.execute("SELECT * FROM measure_depth_by_gate").fetchall() == old
    assert sum(r[4] for r in old) == 2000


def test_an_older_packages_second_process_works_out_what_reads_the_standards_new_columns(
    register, tmp_path, monkeypatch
):
    """A package on 1.1.0 lacks the statuses codelist's `responds`, which the items' status
    reads. The second process fills it from the standard as the first does, and works the
    status out itself: left to the first process, a build at a million log rows took 9 s
    more. What it stores is what the first process stores alone."""
    from tests.conftest import as_standard_1_1

    monkeypatch.setenv("REGISTER_TODAY", TODAY.isoformat())
    root = tmp_path / "older"
    shutil.copytree(register, root)
    as_standard_1_1(root)
    build(Package(root), tmp_path / "here", progress=False)
    worked_out = in_a_second_process(monkeypatch)
    build(Package(root), tmp_path / "side", progress=False)
    (derived,) = worked_out
    assert "you_said_we_did_status" in derived.views and "you_said_we_did_current" in derived.facets
    here = sqlite3.connect(tmp_path / "here" / "register.db")
    side = sqlite3.connect(tmp_path / "side" / "register.db")
    for table in ("statuses", "you_said_we_did_status", "gate_assurance"):
        sql = f"SELECT rowid, * FROM {table} ORDER BY 1"
        assert here.execute(sql).fetchall() == side.execute(sql).fetchall(), table
    counts = f"SELECT * FROM {facet_counts.TABLE} ORDER BY 1, 2, 3"
    assert here.execute(counts).fetchall() == side.execute(counts).fetchall()
