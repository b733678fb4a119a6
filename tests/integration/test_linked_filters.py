"""A row page links to the rows of other tables that point at it (`?source=...`). A
column with few values, such as the one source of a generated register, is such a
filter on most of a table: its codes are stored (register/database/facet_counts.py,
_codes_only), so the page's facets and row count come from them, and its first rows too
when the filter keeps many (register/site/search_rows.py). The planner's statistics of
such a column are exact (register/database/planner_stats.py), so SQLite walks the
primary key for a page sorted by it instead of sorting every row."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3

import pytest
from conftest import Client, record_answers
from test_coded_facets import facet_results
from test_coded_facets import live as live_facets
from test_search_rows import live as live_rows
from test_search_rows import rows_of, same_rows

from register.bench.generate import generate
from register.database import planner_stats
from register.database.build import build
from register.database.facet_codes import TABLE
from register.schema.package import Package
from register.site import search_rows
from register.site.facets import StoredColumnFacet
from register.site.serve import datasette_instance
from register.site.stored_answers import StoredAnswers


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked")
    generate(root, 2000, seed=3, today=dt.date(2026, 6, 30), progress=False)
    build(Package(root), root / "build")
    return root / "build"


@pytest.fixture(scope="module")
def gclient(generated) -> Client:
    return Client(datasette_instance(generated))


def coded(build_dir) -> set[tuple[str, str]]:
    conn = sqlite3.connect(build_dir / "register.db")
    return set(conn.execute(f"select table_name, column_name from [{TABLE}]"))


def test_a_linked_column_with_few_values_is_coded_and_one_with_many_is_not(generated):
    found = coded(generated)
    conn = sqlite3.connect(generated / "register.db")
    assert conn.execute("select count(distinct source) from coproduction_log").fetchone()[0] == 1
    for table in ("coproduction_log", "equality_impacts", "projects", "you_said_we_did", "you_said_we_did_updates"):
        assert (table, "source") in found, table
    # Nearly one item to each update: each value is rare, and its index finds it.
    assert ("you_said_we_did_updates", "you_said_id") not in found
    assert ("coproduction_log", "title") not in found  # not linked, not a facet


def test_a_page_filtered_on_a_linked_column_comes_from_the_codes_as_sqlite_gives_it(gclient, monkeypatch, answered):
    monkeypatch.setattr(search_rows, "SORTED_ROWS", 100)
    from_codes = record_answers(monkeypatch, StoredColumnFacet, "_coded")
    counted = record_answers(monkeypatch, StoredAnswers, "_coded_count")
    source = "synthetic_register"
    for path, sort in (
        (f"/register/coproduction_log.json?source={source}", "activity_date"),
        (f"/register/coproduction_log.json?source={source}&gate=plan", "activity_date"),
        (f"/register/you_said_we_did.json?source={source}&_size=7", "said_date"),
        (f"/register/equality_impacts.json?source={source}", None),  # sorted by id: SQLite's
    ):
        for found in (from_codes, counted, answered):
            found.clear()
        shown = facet_results(gclient, path)
        assert from_codes and all(from_codes), path
        assert [n for n in counted if n is not None], path
        assert shown == live_facets(gclient, monkeypatch, path), path
        answered.clear()
        rows = rows_of(gclient, path)
        if sort:
            assert any(a is not None for a in answered), path
            same_rows(rows, live_rows(gclient, monkeypatch, path), sort, path)
        else:
            assert not any(answered), path
            assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_a_filter_keeping_fewer_rows_than_sorted_rows_is_left_to_sqlite(gclient, answered):
    rows_of(gclient, "/register/coproduction_log.json?source=synthetic_register")
    assert answered and not any(answered)  # 2,000 rows, under SORTED_ROWS


def test_the_planner_knows_how_many_rows_a_coded_column_s_value_matches(generated):
    conn = sqlite3.connect(generated / "register.db")
    stat = dict(conn.execute("select idx, stat from sqlite_stat1"))
    impacts = conn.execute("select count(*) from equality_impacts").fetchone()[0]
    assert stat["idx_equality_impacts_source"] == f"{impacts} {impacts}"
    log = conn.execute("select count(*), count(distinct gate) from coproduction_log").fetchone()
    figures = stat["idx_coproduction_log_gate_activity_date"].split()
    assert figures[:2] == [str(log[0]), str(math.ceil(log[0] / log[1]))]
    assert int(figures[2]) <= int(figures[1])
    # Every index is given its table's true row count, which ANALYZE samples too.
    for table, index, found in conn.execute("select tbl, idx, stat from sqlite_stat1 where idx is not null"):
        rows = conn.execute(f'select count(*) from "{table}"').fetchone()[0]
        assert found.split()[0] == str(rows), (table, index, found)
    # So a page sorted by the primary key walks it, and stops at the page's last row.
    plan = " ".join(
        r[3]
        for r in conn.execute(
            "explain query plan select * from equality_impacts where source = ? order by id limit 51", ("x",)
        )
    )
    assert "sqlite_autoindex_equality_impacts_1" in plan and "TEMP B-TREE" not in plan


def test_a_statistic_is_rewritten_with_later_figures_no_higher_than_earlier():
    assert planner_stats._rewritten("680400 1001 8", 1002005, 250502) == "1002005 250502 8"
    assert planner_stats._rewritten("335386 1001", 452328, 452328) == "452328 452328"
    assert planner_stats._rewritten("500 1001 900 unordered", 600, 40) == "600 40 40 unordered"
    assert planner_stats._rewritten("500 1", 600, None) == "600 1"
