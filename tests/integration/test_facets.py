"""Facet counts on table pages: read from the counts stored at build time for a whole
table or one filtered on a common value, counted live for any other filter or a search,
the same either way."""

from __future__ import annotations

import json
import shutil
import sqlite3
from urllib.parse import quote

import pytest

from register.database.facet_counts import TABLE, configured_facets, store
from register.database.views import VIEWS_SQL
from register.site.facets import StoredColumnFacet
from register.site.serve import datasette_instance
from register.site.stored_answers import StoredAnswers
from tests.conftest import Client, record_answers


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
    """Whether each facet of the next pages was read from the stored counts (the page's
    filter) or counted live (None)."""
    return record_answers(monkeypatch, StoredColumnFacet, "_stored")


@pytest.mark.parametrize(
    "table", ["coproduction_log", "projects", "equality_impacts", "measure_equality_coverage", "measure_balance"]
)
def test_a_whole_table_shows_the_stored_counts_which_are_the_live_ones(client, build_dir, table, stored_used):
    facets = facets_of(client, f"/register/{table}.json")
    assert facets and stored_used and all(stored_used)
    for column, values in facets.items():
        assert values == counted(build_dir, table, column), column


def test_a_table_filtered_on_a_rare_value_counts_live(client, build_dir, stored_used):
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


def test_a_view_that_reads_todays_date_counts_only_those_columns_live(client, build_dir, stored_used):
    facets = facets_of(client, "/register/you_said_we_did_current.json")
    assert stored_used and all(stored_used)
    for column in ("overdue", "status", "theme", "loop_closed", "project_id"):
        assert facets[column] == counted(build_dir, "you_said_we_did_current", column), column


@pytest.fixture(scope="module")
def every_value_common(build_dir, tmp_path_factory):
    """The sample register served with facet counts stored under every value of its
    columns with few values, as the build stores them under common values at scale."""
    out = tmp_path_factory.mktemp("every_value_common")
    for name in ("register.db", "inspect.json", "metadata.json"):
        shutil.copy2(build_dir / name, out / name)
    conn = sqlite3.connect(out / "register.db")
    conn.execute(f"DELETE FROM [{TABLE}]")
    store(
        conn,
        configured_facets(json.loads((out / "metadata.json").read_text("utf-8"))),
        views_sql=VIEWS_SQL.read_text("utf-8"),
        common_rows=1,
    )
    conn.commit()
    filters = conn.execute(
        f"select distinct table_name, filter_column, filter_value from [{TABLE}] "
        "where filter_column <> '' and filter_column not like '[%'"  # one filter, not a pair
    ).fetchall()
    conn.close()
    return out, Client(datasette_instance(out)), filters


def test_a_table_filtered_on_a_common_value_shows_the_stored_counts_which_are_the_live_ones(
    every_value_common, stored_used
):
    out, served, filters = every_value_common
    assert len(filters) > 50
    for table, column, value in filters:
        stored_used.clear()
        facets = facets_of(served, f"/register/{table}.json?{column}={value}")
        assert stored_used and all(used == (column, value) for used in stored_used), (table, column, value)
        for name, values in facets.items():
            assert values == counted(out, table, name, f"and [{column}] = ?", (value,)), (table, column, value, name)


def test_a_view_filtered_on_two_columns_shows_the_stored_pair_counts_which_are_the_live_ones(
    client, build_dir, stored_used, monkeypatch
):
    pair_counted = record_answers(monkeypatch, StoredAnswers, "_pair_count")
    conn = sqlite3.connect(build_dir / "register.db")
    pairs = conn.execute(
        f"select distinct table_name, filter_column, filter_value from [{TABLE}] where filter_column like '[%'"
    ).fetchall()
    tables = {table for table, _, _ in pairs}
    assert {"measure_balance", "measure_equality_coverage", "gate_assurance"} <= tables
    assert "coproduction_log" not in tables  # a table's codes count any filters
    checked = 0
    for table, key, value in pairs:
        columns, values = json.loads(key), json.loads(value)
        # As a facet link gives them, the second filter added to the first, values as text.
        query = "&".join(f"{c}={quote(str(v))}" for c, v in reversed(list(zip(columns, values))))
        stored_used.clear()
        pair_counted.clear()
        response = client.get(f"/register/{table}.json?{query}", cookies={"fresh": "1"})
        assert response.status_code == 200, query
        body = response.json()
        assert stored_used and all(used == (key, value) for used in stored_used), (table, query)
        where = " ".join(f"and [{c}] = ?" for c in columns)
        for name, found in body["facet_results"].items():
            shown = [(v["value"], v["count"]) for v in found["results"]]
            assert shown == counted(build_dir, table, name, where, values), (table, query, name)
        rows = conn.execute(f"select count(*) from [{table}] where 1 {where}", values).fetchone()[0]
        assert body["filtered_table_rows_count"] == rows > 0, (table, query)
        assert pair_counted and pair_counted[-1] is not None, (table, query)
        checked += 1
    assert checked > 20


def test_a_filter_given_as_text_on_a_number_column_is_matched_as_sqlite_matches_it(every_value_common, stored_used):
    out, served, _ = every_value_common
    facets = facets_of(served, "/register/gate_assurance.json?passed=1")
    assert stored_used and all(used == ("passed", 1) for used in stored_used)
    assert facets["gate"] == counted(out, "gate_assurance", "gate", "and passed = 1")
    # Written another way, the value is counted live: still the rows SQLite matches.
    facets = facets_of(served, "/register/gate_assurance.json?passed=01")
    assert facets["gate"] == counted(out, "gate_assurance", "gate", "and passed = 1")


def test_two_filters_or_a_search_count_live(every_value_common, stored_used):
    out, served, _ = every_value_common
    conn = sqlite3.connect(out / "register.db")
    gate, level = conn.execute("select gate, participation_level from coproduction_log limit 1").fetchone()
    facets = facets_of(served, f"/register/coproduction_log.json?gate={gate}&participation_level={level}")
    assert stored_used and not any(stored_used)
    assert facets["format"] == counted(
        out, "coproduction_log", "format", "and gate = ? and participation_level = ?", (gate, level)
    )
    stored_used.clear()
    facets_of(served, "/register/coproduction_log.json?_search=group")
    assert stored_used and not any(stored_used)


def test_every_facet_link_shows_the_rows_it_counts(client, build_dir):
    """A facet link filters on the value as text (`?passed=1`): it must match the rows
    the facet counted, in a stored view's yes/no columns and a live view's alike."""
    metadata = json.loads((build_dir / "metadata.json").read_text("utf-8"))
    conn = sqlite3.connect(build_dir / "register.db")
    checked = 0
    for table, columns in configured_facets(metadata).items():
        for column in columns:
            try:
                values = counted(build_dir, table, column, limit=3)
            except sqlite3.OperationalError:  # a facet of a table this register does not have
                continue
            for value, n in values:
                shown = conn.execute(f"select count(*) from [{table}] where [{column}] = ?", (str(value),)).fetchone()
                assert shown == (n,), (table, column, value)
                checked += 1
    assert checked > 60
    body = client.get("/register/gate_assurance.json?passed=1&_size=1", cookies={"fresh": "1"}).json()
    assert body["filtered_table_rows_count"] == counted(build_dir, "gate_assurance", "passed", "and passed = 1")[0][1]


def test_facet_values_and_headings_are_in_words_and_link_by_code(client, build_dir):
    """A view has no foreign keys for Datasette to label its codes by, and 0/1 is a yes/no:
    the facets say "In progress", "Yes" and "Current status", and filter by the code."""
    conn = sqlite3.connect(build_dir / "register.db")
    statuses = dict(conn.execute("select code, title from statuses"))
    project = conn.execute("select project_id from you_said_we_did group by 1 order by count(*) desc").fetchone()[0]
    title = conn.execute("select title from projects where id = ?", (project,)).fetchone()[0]
    path = f"/register/you_said_we_did_current?project_id={project}&_facet=status&_facet=loop_closed"
    answer = client.get(path.replace("?", ".json?"), cookies={"fresh": "1"}).json()["facet_results"]
    status = {v["value"]: v["label"] for v in answer["status"]["results"]}
    assert status and status == {code: statuses[code] for code in status}
    assert {v["label"] for v in answer["loop_closed"]["results"]} <= {"Yes", "No"}
    assert [v["label"] for v in answer["project_id"]["results"]] == [title]
    html = client.get(path, cookies={"fresh": "1"}).text
    for code, words in status.items():
        # Named by its column too, for a screen reader's list of links ("Current status: Done").
        assert f'&amp;status={code}"><span class="visually-hidden">Current status: </span>{words}</a>' in html, code
    assert '<span class="visually-hidden">Loop closed: </span>Yes</a>' in html or (
        '<span class="visually-hidden">Loop closed: </span>No</a>' in html
    )
    assert '<h3 class="facet-info-name" id="facet-heading-status">\n                Current status' in html
    assert f"filter Project: {title}</span>" in html
    # A base table's yes/no column and a measure view's, declared by their schema and measure.
    flags = client.get("/register/projects.json?_facet=via_strategic_group", cookies={"fresh": "1"}).json()
    assert {v["label"] for v in flags["facet_results"]["via_strategic_group"]["results"]} <= {"Yes", "No"}
    gates = client.get("/register/gate_assurance.json?_facet=passed", cookies={"fresh": "1"}).json()
    assert {v["label"] for v in gates["facet_results"]["passed"]["results"]} == {"Yes", "No"}
    # A number column is not a yes/no, however few its values.
    orders = client.get("/register/gate_assurance.json?_facet=gate_order", cookies={"fresh": "1"}).json()
    values = orders["facet_results"]["gate_order"]["results"]
    assert values and all(v["label"] == v["value"] for v in values) and {1} <= {v["value"] for v in values}


def test_a_facet_with_no_values_says_so_in_words(client):
    """A column none of the rows fills (here every row's reimbursement is not recorded)
    said only "0 values" above an empty list; it says the value is not recorded."""
    html = client.get("/register/coproduction_log?reimbursement_offered__isnull=1", cookies={"fresh": "1"}).text
    section = html.split('id="facet-heading-reimbursement_offered"', 1)[1].split("</section>", 1)[0]
    assert "0 values" in section
    assert '<p class="facet-none">Not recorded in any of these rows.</p>' in section
    assert "<ul" not in section


def test_a_facet_link_s_address_is_datasette_s(ds):
    """Facet links are made absolute without urljoin where nothing needs resolving
    (register/site/facets.py, _Answered.absolute_url): the same address either way."""
    from datasette.utils import PrefixedUrlString
    from datasette.utils.asgi import Request

    from register.site.facets import _Answered

    for host, https in (("localhost", False), ("register.example.nhs.uk", True)):
        scope = {
            "type": "http",
            "scheme": "http",
            "method": "GET",
            "path": "/register/coproduction_log",
            "query_string": b"_facet_size=max&gate=plan",
            "headers": [(b"host", host.encode())],
        }
        request = Request(scope, None)
        answered = _Answered(ds, "register", None)
        ds._settings["force_https_urls"], before = https, ds._settings.get("force_https_urls")
        try:
            for path in (
                "/register/coproduction_log?gate=plan&place=x%20y",
                PrefixedUrlString("/register/coproduction_log?_facet_size=max"),
                "/register/../register/t?a=1",
                "//elsewhere/x",
                "relative?x=1",
            ):
                assert answered.absolute_url(request, path) == ds.absolute_url(request, str(path)), (host, path)
                assert type(answered.absolute_url(request, path)) is str
        finally:
            ds._settings["force_https_urls"] = before
