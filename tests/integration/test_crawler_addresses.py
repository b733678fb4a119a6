"""Addresses a crawler or a careless client makes that no page of the site links to:
each is a 4xx with the site's own page and a plain message, never a 500."""

from __future__ import annotations

import asyncio
import html

import pytest

from register.database.build import build
from register.publishing.extracts import extract
from register.site.serve import datasette_instance
from tests.conftest import Client
from tests.integration.test_client_mistakes import assert_plain_error


@pytest.fixture(scope="module")
def with_files(tmp_path_factory, package) -> Client:
    """The site with its downloads and a report, as `make serve` serves it."""
    out = tmp_path_factory.mktemp("crawled")
    build(package, out)
    extract(package, out / "register.db", out / "extracts")
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "impact_report.html").write_text("<p>report</p>", "utf-8")
    return Client(datasette_instance(out))


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/register.css/x",
        "/downloads/projects.csv/x",
        "/downloads/projects.csv/%2e%2e/",
        "/downloads/projects.csv/%F0%9F%98%80",
        "/reports/impact_report.html/index.html",
    ],
)
def test_a_files_address_with_more_after_it_is_not_found(with_files, path):
    """A file's name followed by more (a relative link resolved against a download, say)
    was a 500, "something went wrong on our side": Datasette looked inside the file as
    if it were a folder."""
    response = with_files.get(path)
    assert response.status_code == 404, (path, response.status_code)
    text = assert_plain_error(response, path)
    assert "<title>Page not found – Co-production Register</title>" in text
    assert "There is no file at this address: the name of a file is followed by more." in text
    head = asyncio.run(with_files.ds.client.head(path))
    assert head.status_code == 404


@pytest.mark.parametrize(
    "path, words",
    [
        ("/register.csv", "A CSV is made of a query's or a table's rows, and this address has no query."),
        ("/register.csv?_stream=on", "or take one table's rows at /register/projects.csv."),
        ("/register.csv?_where=1", "Complete downloads of every table are on the downloads page, /downloads."),
        ("/register.json?_shape=array", "_shape=array gives a query's or a table's rows"),
        ("/register.json?_shape=array&_nl=on", "such as /register/projects.json?_shape=array;"),
        ("/register.json?_shape=arrayfirst", "without _shape= this address lists the database's tables."),
    ],
)
def test_rows_of_the_database_without_a_query_say_a_query_is_needed(client, path, words):
    """The database's address in CSV, or its JSON as a list of rows, with no sql=, was a
    500, "something went wrong on our side": there are no rows without a query."""
    response = client.get(path)
    assert response.status_code == 400, (path, response.status_code)
    assert words in html.unescape(assert_plain_error(response, path))


def test_the_databases_json_and_a_querys_rows_are_answered_as_before(client):
    assert client.get("/register.json").json()["database"] == "register"
    assert client.get("/register.json?_shape=objects").status_code == 200
    assert client.get("/register.json?_shape=array&sql=select+1+as+one").json() == [{"one": 1}]
    assert client.get("/register.csv?sql=select+1+as+one").text == "one\r\n1\r\n"
    assert client.get("/register/projects.json?_shape=arrayfirst&_size=1").json() == ["PRJ-0001"]
    assert client.get("/nope.csv").status_code == 404


@pytest.mark.parametrize(
    "path, words",
    [
        # The ID alone on a table sorted by it: the first page came back, as if the next.
        (
            "/register/projects?_next=PRJ-0003&_size=3",
            "on this page 2 values separated by commas, the value of the column the page is sorted by (id) and then the row's key (id); this address has 1.",
        ),
        ("/register/projects.json?_next=PRJ-0003", "this address has 1."),
        (
            "/register/you_said_we_did.csv?_next=2024-08-06,YS-0001,x",
            "sorted by (said_date) and then the row's key (id)",
        ),
        # One value too many was "Invalid SQL: near ")": syntax error".
        ("/register/projects?_next=a,b,c", "this address has 3. Follow the link at the foot of the page"),
        ("/register/projects?_next=,,", "take _next= out of the address to start at the first page."),
        (
            "/register/coproduction_log_groups?_next=LOG-0001",
            "the row's key (coproduction_log_id, code); this address has 1",
        ),
        (
            "/register/gate_assurance?_next=1,2,3",
            "sorted by (project_id) and then the row's key (rowid); this address has 3",
        ),
        (
            "/register/gate_assurance?_next=5&_sort=rowid",
            "sorted by (rowid) and then the row's key (rowid); this address has 1.",
        ),
    ],
)
def test_a_next_marker_that_is_not_a_pages_start_is_refused(client, path, words):
    response = client.get(path)
    assert response.status_code == 400, (path, response.status_code, response.text[:300])
    text = html.unescape(assert_plain_error(response, path))
    assert words in text and "Invalid SQL" not in text, path


def test_every_next_page_link_of_every_table_still_gives_every_row(client):
    """Following "Next page" from the first page, two rows at a time, gives each row of
    each table once, as many rows as the table has."""
    listing = client.get("/register.json").json()
    for table in [t["name"] for t in listing["tables"] if not t["hidden"]]:
        url, seen = f"/register/{table}.json?_size=2&_shape=objects", []
        while url:
            data = client.get(url.replace("http://localhost", "")).json()
            assert "rows" in data, (table, url, data)
            seen.extend(repr(sorted(r.items())) for r in data["rows"])
            url = data["next_url"]
        total = client.get(f"/register/{table}.json?_size=0").json()["filtered_table_rows_count"]
        assert len(seen) == len(set(seen)) == total, table


@pytest.mark.parametrize("path, home", [("//", "/"), ("///", "/"), ("//?utm_x=1&a=b", "/?a=b")])
def test_an_address_of_slashes_alone_goes_to_the_home_page(client, path, home):
    """`//` was sent to an empty Location, the same address again: a redirect loop."""
    response = client.get(path)
    assert response.status_code == 302 and response.headers["location"] == home, response.headers
    assert client.get(home).status_code == 200


def test_other_addresses_ending_in_slashes_still_lose_them(client):
    for path, target in (("/projects//", "/projects"), ("/register/projects/", "/register/projects")):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        if response.status_code == 302:
            assert response.headers["location"] == target, path


def test_the_notebook_page_of_no_query_says_there_are_no_rows(client):
    """/register.Notebook gave code to paste that loaded /register.json?_shape=array,
    which failed: the database's own address has no rows without a query."""
    response = client.get("/register.Notebook")
    assert response.status_code == 400
    text = html.unescape(assert_plain_error(response, "/register.Notebook"))
    assert "this address has no query" in text and "/register/projects.Notebook" in text
    assert "_shape=array" not in text
    good = client.get("/register.Notebook?sql=select+1+as+one")
    assert good.status_code == 200 and "/register.json?sql=select+1+as+one&amp;_shape=array" in good.text
    assert client.get("/register/projects.Notebook").status_code == 200
