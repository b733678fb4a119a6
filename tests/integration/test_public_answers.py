"""What the site answers a visitor whose address is slightly wrong: the message says what
the site really does, and a record that is not there is a plain 404, never a 200 or a 500."""

from __future__ import annotations

import sqlite3
from html import unescape

import pytest

from register.site.serve import datasette_instance
from tests.conftest import Client


def test_size_message_says_what_sizes_are_taken(client):
    # 0 is taken (the count of rows, none shown), so the message says so.
    nothing = client.get("/register/projects.json?_size=0").json()
    assert nothing["rows"] == [] and nothing["filtered_table_rows_count"] > 0
    for size in ("-1", "abc", "1001"):
        response = client.get(f"/register/projects.json?_size={size}")
        assert response.status_code == 400, size
        assert response.json()["error"].startswith("_size= must be a whole number of rows from 0 to 1,000, or max."), (
            size
        )
    assert client.get("/register/projects.json?_size=1000").status_code == 200


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/register/projects/PRJ-0002,anything", "There is no record PRJ-0002,anything in projects."),
        ("/register/projects/PRJ-0002,", "ends with its id alone"),
        # A table keyed by two columns, asked for by one value: SQLite's error, a 500, before.
        ("/register/coproduction_log_groups/LOG-0001", "its coproduction_log_id and code separated by commas"),
        ("/register/coproduction_log_groups/LOG-0001,a,b", "There is no record LOG-0001,a,b"),
        # A table found by rowid has one value too.
        ("/register/projects_fts/1,2", "ends with its rowid alone"),
        # SQLite's "no such table", a 400, before; a canned query has no records.
        ("/register/nope/1", "There is no table called nope in the register"),
        ("/register/-/versions", "There is no table called - in the register"),
        # A view or a canned query has no page for each row: "Record not found", or a 400, before.
        ("/register/overdue_you_said/1", "overdue_you_said is worked out from the register's tables and has no page"),
        ("/register/you_said_we_did_current/YS-0001", "has no page for each of its rows: see /register/you_said_we_"),
    ],
)
def test_a_record_address_with_the_wrong_keys_is_a_plain_404(client, path, words):
    page = client.get(path)
    assert page.status_code == 404, (path, page.status_code)
    assert words in unescape(page.text) and '<html lang="en-GB"' in page.text
    data = client.get(path + ".json")
    assert data.status_code == 404 and data.headers["content-type"].startswith("application/json")
    assert words in data.json()["error"] and data.json()["title"] == "Page not found"


def test_real_record_addresses_still_answer(client, build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    log_id, group = conn.execute("select coproduction_log_id, code from coproduction_log_groups limit 1").fetchone()
    conn.close()
    assert client.get("/register/projects/PRJ-0002").status_code == 200
    assert client.get("/register/projects/PRJ-0002.json").json()["rows"]
    assert client.get(f"/register/coproduction_log_groups/{log_id},{group}").status_code == 200
    assert client.get("/register/projects_fts/1").status_code == 200
    # A comma inside a value is written ~2C; a %2C is sent there by Datasette, not refused.
    assert client.get("/register/projects/PRJ-0002~2Cx").status_code == 404
    assert "There is no record at this address" in client.get("/register/projects/PRJ-0002~2Cx").text
    moved = client.get("/register/projects/PRJ-0002%2Cx")
    assert moved.status_code == 302 and moved.headers["location"].endswith("/register/projects/PRJ-0002~2Cx")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (
            "/you-said.json",
            "This page is not made as .json. Its data is at /register/you_said_we_did_current.json",
        ),
        ("/projects.json", "Its data is at /register/projects.json"),
        ("/gate-assurance.json", "Its data is at /register/gate_assurance.json"),
        ("/measures/you_said_we_did.json", "Its data is at /register/measure_you_said_we_did.json"),
        ("/measures/nope.json", "There is no measure called 'nope'."),
        ("/glossary.json", "Every table of the register, each as .json and .csv, is listed at /register"),
        ("/projects/PRJ-0002.json", "PRJ-0002 as data is at /register/projects/PRJ-0002.json"),
        ("/you-said?page=999", "There is no page '999' of this list."),
        # Datasette's own words, put plainly.
        ("/nope.json", "There is no page at this address."),
        ("/feeds/you-said.atom.json", "There is no page at this address."),
        ("/-/threads.json", "There is no page at this address."),
        ("/register/nope.json", "There is no table with this name in the register."),
        ("/register/projects/PRJ-9999.json", "There is no record at this address in this table."),
    ],
)
def test_a_page_that_is_not_there_says_so_plainly_in_json_too(client, path, words):
    response = client.get(path)
    assert response.status_code == 404, path
    if ".json" not in path:
        assert words.replace("'", "&#39;") in response.text and "<title>Page not found" in response.text
        return
    assert response.headers["content-type"].startswith("application/json"), path
    said = response.json()
    assert words in said["error"] and said == {
        "ok": False,
        "status": 404,
        "title": "Page not found",
        "error": said["error"],
    }


@pytest.mark.parametrize(
    ("query", "words"),
    [
        # SQLite's "malformed JSON", under the title "Invalid SQL", before.
        ("id__arraycontains=x", "id__arraycontains= works only on a column whose every value is a list"),
        ("_facet_array=title", "_facet_array= works only on a column whose every value is a list"),
        # "inner.nope", the name of the array facet's subquery, before.
        ("_facet_array=nope", "This table has no column called nope, so it cannot be counted by _facet_array="),
        # "Cannot search by that column", with no title, before.
        ("_search_nope=x", "This table's search does not look in a column called nope."),
    ],
)
def test_a_table_filter_that_cannot_work_says_why_plainly(client, query, words):
    response = client.get(f"/register/projects.json?{query}")
    assert response.status_code == 400
    said = response.json()
    assert said["title"] == "This address could not be used" and said["error"].startswith(words), said
    assert words in unescape(client.get(f"/register/projects?{query}").text)


def test_the_internal_database_keeps_its_tables_to_itself(client):
    # Refused as before; the check of a record's keys never names an internal table's columns.
    for path in ("/_internal/tables/x,y,z", "/_internal/nope/x"):
        response = client.get(path)
        assert response.status_code == 403 and "table_name" not in response.text, path


def test_a_headline_with_nothing_left_to_count_says_so_in_words():
    from register.site import measures

    closed = {"of_total": 7, "figure": 7, "still_open": 0, "overdue": 0}
    assert measures.headline_you_said(closed) == 'All 7 "You said" items have closed the loop.'
    assert measures.headline_you_said({**closed, "of_total": 1, "figure": 1}) == (
        'The one "You said" item has closed the loop.'
    )
    assert "2 of 9" in measures.headline_you_said({**closed, "figure": 2, "of_total": 9, "still_open": 7})
    # One item still open is "the other one", overdue or not; none closed is "None of the ...".
    open_one = {"of_total": 10, "figure": 9, "still_open": 1, "overdue": 1}
    assert measures.headline_you_said(open_one) == (
        '9 of 10 "You said" items have closed the loop; for the other one the loop is not closed yet, and it is overdue.'
    )
    assert measures.headline_you_said({**open_one, "overdue": 0}).endswith("and it is not overdue.")
    none_closed = {"of_total": 5, "figure": 0, "still_open": 5, "overdue": 0}
    assert measures.headline_you_said(none_closed) == (
        'None of the 5 "You said" items has closed the loop yet; none of them is overdue.'
    )
    assert measures.headline_you_said({**none_closed, "overdue": 1}).endswith("; 1 of them is overdue.")
    assert measures.headline_you_said({"of_total": 1, "figure": 0, "still_open": 1, "overdue": 1}) == (
        'The one "You said" item has not closed the loop yet, and it is overdue.'
    )
    none = {"figure": 0, "of_total": 10, "gates": 0}
    assert measures.headline_gates(none) == (
        "None of the 10 projects moved past a gate without the evidence the strategy asks for."
    )
    assert measures.headline_gates({**none, "of_total": 1}).startswith("The one project did not move past a gate")
    assert measures.headline_gates({**none, "of_total": 0}) == "No project is recorded yet."
    assert "(1 gate in all)" in measures.headline_gates({**none, "figure": 1, "gates": 1})


def test_a_wrong_record_address_as_a_new_server_first_request_is_a_404(build_dir):
    # The check runs before Datasette has started up on a server's first request.
    first = Client(datasette_instance(build_dir)).get("/register/projects/PRJ-0002,anything")
    assert first.status_code == 404 and "There is no record PRJ-0002,anything" in first.text


def test_a_versioned_record_address_is_checked_too(client, ds):
    from register.site.hashed_urls import hashed_routes

    versioned = f"/register-{hashed_routes(ds)['register']}/projects"
    assert client.get(f"{versioned}/PRJ-0002").status_code == 200
    wrong = client.get(f"{versioned}/PRJ-0002,anything")
    assert wrong.status_code == 404 and "There is no record PRJ-0002,anything" in wrong.text
