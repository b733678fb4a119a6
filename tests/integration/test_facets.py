"""Facet counts on table pages: read from the counts stored at build time for a whole
table, counted live for a filtered or searched one, the same either way."""

from __future__ import annotations

import sqlite3

import pytest

from register.site.facets import StoredColumnFacet


def facets_of(client, path: str) -> dict[str, list[tuple]]:
    response = client.get(path, cookies={"fresh": "1"})
    assert response.status_code == 200, path
    return {
        name: [(v["value"], v["count"]) for v in f["results"]] for name, f in response.json()["facet_results"].items()
    }


def counted(build_dir, table: str, column: str, where: str = "", params=(), limit: int = 30) -> list[tuple]:
    conn = sqlite3.connect(build_dir / "register.db")
    return conn.execute(
        f"select [{column}] as value, count(*) as n from [{table}] where [{column}] is not null {where} "
        f"group by [{column}] order by n desc, value limit {limit}",
        params,
    ).fetchall()


@pytest.fixture
def stored_used(monkeypatch) -> list:
    """Whether each facet of the next pages was read from the stored counts (True) or
    counted live (False)."""
    used = []
    original = StoredColumnFacet._stored

    async def spy(self):
        used.append(await original(self))
        return used[-1]

    monkeypatch.setattr(StoredColumnFacet, "_stored", spy)
    return used


@pytest.mark.parametrize(
    "table", ["coproduction_log", "projects", "equality_impacts", "measure_equality_coverage", "measure_balance"]
)
def test_a_whole_table_shows_the_stored_counts_which_are_the_live_ones(client, build_dir, table, stored_used):
    facets = facets_of(client, f"/register/{table}.json")
    assert facets and stored_used and all(stored_used)
    for column, values in facets.items():
        assert values == counted(build_dir, table, column), column


def test_a_filtered_table_counts_live(client, build_dir, stored_used):
    conn = sqlite3.connect(build_dir / "register.db")
    gate = conn.execute("select gate from coproduction_log group by gate order by count(*) limit 1").fetchone()[0]
    facets = facets_of(client, f"/register/coproduction_log.json?gate={gate}")
    assert stored_used and not any(stored_used)
    assert facets["participation_level"] == counted(
        build_dir, "coproduction_log", "participation_level", "and gate = ?", (gate,)
    )
    assert (
        sum(n for _, n in facets["gate"])
        == conn.execute("select count(*) from coproduction_log where gate = ?", (gate,)).fetchone()[0]
    )


def test_as_many_values_as_a_page_can_show_are_right(client, build_dir):
    facets = facets_of(client, "/register/coproduction_log.json?_facet_size=max")
    assert facets["project_id"] == counted(build_dir, "coproduction_log", "project_id", limit=1000)


def test_each_facet_is_shown_once(client):
    facets = facets_of(client, "/register/coproduction_log.json")
    assert set(facets) == {
        "project_id",
        "gate",
        "participation_level",
        "activity_type",
        "format",
        "place",
        "reimbursement_offered",
    }


def test_a_view_that_reads_todays_date_counts_live(client, build_dir, stored_used):
    facets = facets_of(client, "/register/you_said_we_did_current.json")
    assert stored_used and not any(stored_used)
    assert facets["overdue"] == counted(build_dir, "you_said_we_did_current", "overdue")
