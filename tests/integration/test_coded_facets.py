"""Facets of a table page filtered on several columns, or searched, are counted from the
codes the build stored (register/site/coded_facets.py): the same values and counts, in
the same order, as Datasette's own GROUP BY over the rows."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import quote

import pytest

from register.database.facet_codes import TABLE
from register.site import coded_facets
from register.site.facets import StoredColumnFacet
from register.site.serve import datasette_instance
from register.site.stored_answers import StoredAnswers
from tests.conftest import record_answers


def facet_results(client, path: str) -> dict:
    response = client.get(path, cookies={"fresh": "1"})
    assert response.status_code == 200, path
    body = response.json()
    found = {name: [(v["value"], v["count"]) for v in f["results"]] for name, f in body["facet_results"].items()}
    return {"rows": body["filtered_table_rows_count"], **found}


@pytest.fixture
def coded_used(monkeypatch) -> list:
    """For each page, the facets' answer from the codes, or None when counted live."""
    return record_answers(monkeypatch, StoredColumnFacet, "_coded")


def live(client, monkeypatch, path: str) -> dict:
    """The page's row count and facets as Datasette counts them, with the codes out of the way."""
    with monkeypatch.context() as m:
        m.setattr(StoredColumnFacet, "_coded", lambda self: _none())
        m.setattr(StoredColumnFacet, "_stored", lambda self: _none())
        m.setattr(StoredAnswers, "answer", lambda *args, **kwargs: _none())
        return facet_results(client, path)


async def _none():
    return None


@pytest.fixture
def counted_from_codes(monkeypatch) -> list:
    """For each count of a page's rows, the number its codes match, or None."""
    return record_answers(monkeypatch, StoredAnswers, "_coded_count")


def pages(build_dir) -> list[str]:
    """Pages of every coded table: two filters on values its rows have, a value it has
    not, a number given as text, searches alone and with a filter."""
    conn = sqlite3.connect(build_dir / "register.db")
    tables = [r[0] for r in conn.execute(f"select distinct table_name from [{TABLE}] order by 1")]
    found = []
    for table in tables:
        # Only a column an index leads with has its value looked up; the others count live.
        indexed = {
            conn.execute("select name from pragma_index_info(?) where seqno = 0", (i,)).fetchone()[0]
            for (i,) in conn.execute("select name from pragma_index_list(?)", (table,))
        }
        columns = [
            r[0]
            for r in conn.execute(
                f"select column_name from [{TABLE}] where table_name = ? and column_name <> ''", (table,)
            )
            if r[0] in indexed
        ]
        if not columns:
            continue
        for row in conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}] limit 3").fetchall():
            pairs = [(c, v) for c, v in zip(columns, row) if v is not None]
            for (a, x), (b, y) in zip(pairs, pairs[1:]):
                found.append(f"/register/{table}.json?{a}={quote(str(x))}&{b}={quote(str(y))}&_facet_size=max")
        found.append(f"/register/{table}.json?{columns[0]}=not-a-value&{columns[-1]}=1")
        if conn.execute("select 1 from sqlite_master where name = ?", (f"{table}_fts",)).fetchone():
            found.append(f"/register/{table}.json?_search=the")
            found.append(f"/register/{table}.json?_search=group&{columns[0]}={quote(str(row[0]))}")
            found.append(f"/register/{table}.json?_search=nosuchword")
    # The dated view: its `overdue` worked out for today from one item of each pair of
    # due date and loop closed.
    theme, status = conn.execute("select theme, status from you_said_we_did_current limit 1").fetchone()
    found += [
        f"/register/you_said_we_did_current.json{q}"
        for q in (
            "?_facet_size=max",
            "?overdue=0",
            "?overdue=1",
            "?overdue=01",
            "?overdue=7",
            f"?theme={theme}",
            "?loop_closed=0",
            f"?status={status}&overdue=1",
            f"?theme={theme}&loop_closed=1&_facet_size=max",
        )
    ]
    found += [
        "/register/coproduction_log.json?reimbursement_offered=01&gate=plan",
        "/register/coproduction_log.json?reimbursement_offered=1&gate=plan&_facet_size=2",
        "/register/coproduction_log.json?_search=group&_searchmode=raw",
    ]
    return found


def test_filtered_and_searched_pages_count_what_datasette_counts(
    client, build_dir, monkeypatch, coded_used, counted_from_codes
):
    checked = 0
    for path in pages(build_dir):
        coded_used.clear()
        shown = facet_results(client, path)
        assert coded_used and all(coded_used), path
        assert shown == live(client, monkeypatch, path), path
        checked += 1
    assert checked > 20
    # Two filters, or a filter and a search, are counted from the codes; a search alone
    # is the full-text index's count (test_stored_answers.py).
    assert len([n for n in counted_from_codes if n is not None]) > 10


def test_other_filters_are_counted_live(client, coded_used):
    for path in (
        "/register/coproduction_log.json?gate__not=plan",
        "/register/coproduction_log.json?_where=gate%3D%27plan%27",
        "/register/coproduction_log.json?activity_date__gte=2025-01-01&gate=plan",
        "/register/gate_assurance.json?passed=1&gate=plan",
        "/register/corrections.json?field=title&resource=projects",
    ):
        coded_used.clear()
        facet_results(client, path)
        assert not any(coded_used), path


def test_a_filter_clause_is_read_only_when_it_is_all_understood():
    assert [c.group(1) for c in coded_facets.clauses(' where "gate" = :p0 and "a ""b""" = :p1 ')] == ["gate", 'a ""b""']
    assert coded_facets.clauses("") == []
    for where in ('where "gate" = :p0 or 1', 'where "gate" != :p0', "where gate = 'plan'", 'where "g" = :p0 and'):
        assert coded_facets.clauses(where) is None, where


def test_the_codes_are_read_before_the_first_page(build_dir):
    """The server reads every coded table's codes as it starts, so that no visitor's page pays for it."""
    fresh = datasette_instance(build_dir)
    asyncio.run(fresh.invoke_startup())
    kept = fresh.get_database("register").__dict__.get("_register_codes", {})
    conn = sqlite3.connect(build_dir / "register.db")
    coded = {r[0] for r in conn.execute(f"select distinct table_name from [{TABLE}]")}
    assert coded and set(kept) == coded
    assert kept["you_said_we_did_current"].__dict__.get("_today")  # the dated view worked out for today


def test_most_rows_are_counted_as_the_whole_column_less_the_rows_left_out():
    """coded_facets.counted counts a selection of more than half the rows as the whole
    column's counts less those of the rows it leaves out: the same counts either way."""
    import numpy as np

    rng = np.random.default_rng(7)
    values = ["plan", "assess", 3, None, "monitor"]
    codes = coded_facets.Codes({"c": values}, {"c": rng.integers(0, 5, 5000).astype("<i4")}, np.arange(1, 5001))
    for share in (1.0, 0.9, 0.51, 0.3, 0.0):
        rows = np.flatnonzero(rng.random(5000) < share)
        wanted: dict = {}
        for code in codes.codes["c"][rows]:
            if values[code] is not None:
                wanted[values[code]] = wanted.get(values[code], 0) + 1
        order = sorted(wanted.items(), key=lambda item: (-item[1], isinstance(item[0], str), item[0]))
        assert coded_facets.counted(codes, "c", rows, 10) == [{"value": v, "count": n} for v, n in order], share
