"""Every mistake a client can make in an address gets a 4xx with a plain-English page or
JSON error, never a 500; a refused or failed query never answers 200.

The named cases are the ones a fuzzer found (issue "Hardening, round two"); then a
generated set: every table and view, each of Datasette's special parameters and a
column filter, with bad values, in HTML, JSON and CSV.
"""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import quote

import pytest

from register.database.build import build
from register.publishing.extracts import extract
from register.site.hide_internals import GENERIC_500
from register.site.serve import datasette_instance
from tests.conftest import Client

SLOW_SQL = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
REFUSED_SQL = "select fts3_tokenizer('simple')"

CASES = {
    # Datasette's "Cannot sort table by nope" said what failed, not what to do about it.
    "sort by a column that does not exist": (
        "/register/projects?_sort=nonexistent",
        400,
        "cannot be sorted by nonexistent: it has no column of that name (_sort=). Take _sort= out",
    ),
    "sort down by a column that does not exist": (
        "/register/coproduction_log?_sort_desc=nope",
        400,
        "no column of that name (_sort_desc=). Take _sort_desc= out of the address",
    ),
    "sort by bytes that are not UTF-8": ("/register/projects?_sort=%FF", 400, "cannot be sorted by"),
    "sort both ways at once": (
        "/register/projects?_sort=rowid&_sort_desc=id",
        400,
        "two orders at once, _sort= and _sort_desc=. Keep one of them",
    ),
    "sort by a null character": ("/register/projects?_sort_desc=%00", 400, "null character"),
    "facet by a null character": ("/register/projects?_facet=%00", 400, "null character"),
    "where with a null character": ("/register/projects?_where=%00", 400, "null character"),
    # It was headed "Invalid SQL" with SQLite's words alone: 'near "order": syntax error'.
    "where that is not a condition": (
        "/register/projects?_where=1%3D",
        400,
        "_where= must be a condition in SQL on this table",
    ),
    "through that is not JSON": ("/register/projects?_through=garbage", 400, "_through= must be JSON"),
    "empty SQL as a JSON array": ("/register.json?_shape=array&sql=", 400, "sql= is empty"),
    "empty SQL as CSV": ("/register.csv?sql=", 400, "sql= is empty"),
    "CSV of SQL past the time limit": ("/register.csv?sql=" + quote(SLOW_SQL), 400, "second limit and was stopped"),
    "JSON of SQL past the time limit": ("/register.json?sql=" + quote(SLOW_SQL), 400, "second limit and was stopped"),
    "CSV of SQL the guard refuses": ("/register.csv?sql=" + quote(REFUSED_SQL), 400, "not authorized"),
    "CSV of SQL with a mistake": ("/register.csv?sql=" + quote("select nope from projects"), 400, "no such column"),
    "facet by a column that does not exist": (
        "/register/projects?_facet=nope",
        400,
        "no column called nope, so it cannot be counted by _facet=",
    ),
    "date facet by a column that does not exist": ("/register/projects?_facet_date=nope", 400, "by _facet_date="),
    "array facet by a column that does not exist": ("/register/projects?_facet_array=nope", 400, "by _facet_array="),
    "facet by JSON naming a column that does not exist": (
        "/register/projects.json?_facet=%7B%22simple%22:%22nope%22%7D",
        400,
        "no column called nope, so it cannot be counted by _facet=",
    ),
    "a view faceted by a column it does not have": ("/register/you_said_we_did_current?_facet=rowid", 400, "rowid"),
    # Datasette reads a JSON facet's "simple" as a column name: anything else was a 500.
    "facet by JSON that names no column": ("/register/projects?_facet=%7B%7D", 400, "_facet= must name a column"),
    "facet by JSON with a number": ("/register/projects.json?_facet=%7B%22simple%22:1%7D", 400, "must name a column"),
    "date facet by JSON of another key": ("/register/projects?_facet_date=%7B%22x%22:1%7D", 400, "_facet_date= must"),
    "array facet by JSON of another key": ("/register/projects?_facet_array=%7B%22x%22:1%7D", 400, "_facet_array="),
    "facet by nothing": ("/register/projects?_facet=", 400, "_facet= must name a column"),
    "show a column that does not exist": ("/register/projects?_col=nope", 400, "no column called nope to show"),
    "hide a column that does not exist": ("/register/projects?_nocol=nope", 400, "no column called nope to hide"),
    "a page size that is not a number": ("/register/projects?_size=abc", 400, "_size= must be a whole number"),
    # Datasette drops a facet size it cannot read without a word: the page showed the
    # default number of values, as if it had been asked for.
    "a facet size that is not a number": (
        "/register/projects?_facet=gate&_facet_size=abc",
        400,
        "_facet_size= must be a whole number of values to show for each facet, or max",
    ),
    "a facet size below nought": ("/register/projects.json?_facet=gate&_facet_size=-1", 400, "_facet_size= must"),
    # SQLite reads a double-quoted name that is no column as a string: these gave
    # "0 rows where source_name = newsletter", or every row, with a 200.
    "filter by a column that does not exist": (
        "/register/projects?source_name=newsletter",
        400,
        "no column called source_name, so it cannot be filtered by source_name=",
    ),
    "filter that matches its own name": ("/register/projects.json?nope=nope", 400, "no column called nope"),
    "the register's page number on a table": ("/register/you_said_we_did_current?page=2", 400, "no column called page"),
    "a view has no rowid": ("/register/you_said_we_did_current?rowid=1", 400, "no column called rowid"),
    "filter with a lookup that does not exist": ("/register/projects?id__bogus=1", 400, "bogus is not a way to filter"),
    "SQL naming a column that does not exist": (
        "/register?sql=" + quote("select nope from projects"),
        400,
        "no such column: nope",
    ),
    "a page of projects that is not a number": ("/projects?page=abc", 400, "There is no page"),
    "a page of projects past the end": ("/projects?page=999", 404, "There is no page"),
    "a page of gate assurance below one": ("/gate-assurance?page=-1", 400, "There is no page"),
    # Datasette renders a format it does not know as the HTML page, with a 200: a
    # spreadsheet saved from /register/projects.xlsx was a web page.
    "a table in a format the register does not make": (
        "/register/projects.xlsx",
        404,
        "This page is not made as .xlsx. The formats it is made in are: .json, .csv",
    ),
    "a row in a made-up format": ("/register/projects/PRJ-0002.foo", 404, "not made as .foo"),
    "the database in a made-up format": ("/register.foo?sql=select+1", 404, "not made as .foo"),
    "download with a name too long for a file": ("/downloads/" + "a" * 300, 404, "no file with that name"),
    "static file with a name too long": ("/static/" + "a" * 300, 404, "no file with that name"),
}


def assert_plain_error(response, where: str) -> str:
    """A 4xx whose body says what went wrong in words, as a page or as JSON."""
    assert 400 <= response.status_code < 500, (where, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and GENERIC_500 not in response.text, where
    if response.headers["content-type"].startswith("application/json"):
        message = response.json()["error"]
        assert isinstance(message, str) and message.strip(), where
        return message
    assert response.headers["content-type"].startswith("text/html"), where
    assert '<html lang="en-GB"' in response.text, where
    return response.text


@pytest.mark.parametrize("case", list(CASES))
def test_a_named_mistake_gets_a_plain_4xx(client, case):
    path, status, words = CASES[case]
    response = client.get(path)
    assert response.status_code == status, (case, response.status_code, response.text[:300])
    assert words in assert_plain_error(response, case), case


@pytest.mark.parametrize(
    "path",
    [
        "/register/projects.json?_sort=nonexistent",
        "/register.json?sql=" + quote(SLOW_SQL),
        "/register.json?sql=select+1&_shape=nope",
        "/register/projects.json?_shape=nope",
        # Datasette's own refusal of these came with a 200, which a script takes for data.
        "/register/you_said_we_did_current.json?_shape=object",
        "/register.json?sql=select+1&_shape=object",
    ],
)
def test_json_clients_get_json_errors(client, path):
    response = client.get(path)
    assert response.status_code == 400 and response.json()["ok"] is False
    assert assert_plain_error(response, path)


def test_a_refused_csv_says_why_rather_than_answering_empty(client):
    response = client.get("/register.csv?sql=" + quote(REFUSED_SQL))
    assert response.status_code == 400 and "fts3_tokenizer" in response.text
    good = client.get("/register.csv?sql=" + quote("select 1 as one"))
    assert good.status_code == 200 and good.text == "one\r\n1\r\n"


def test_filters_on_real_columns_still_filter(client):
    """Only a column the table or view lacks is refused: rowid on a table, a column of a
    view, and a filter with a lookup, still answer with the rows asked for."""
    assert client.get("/register/projects.json?rowid__gt=0&_size=1").json()["rows"]
    rows = client.get("/register/you_said_we_did_current.json?status=done&_shape=array").json()
    assert rows and {r["status"] for r in rows} == {"done"}
    assert client.get("/register/projects.json?id__startswith=PRJ-&_size=1").status_code == 200
    refused = client.get("/register/projects?source_name=newsletter")
    assert "<title>This address could not be used – " in refused.text


def test_a_facet_asked_for_twice_or_already_shown_is_shown_once(client):
    """Each facet once, so its element ids are unique; a JSON facet naming a column works."""
    shown = client.get("/register/you_said_we_did_current").text.count('id="facet-status"')
    assert shown == 1  # status is one of the view's own facets
    for query in ("_facet=status", "_facet=theme&_facet=theme", "_facet=%7B%22simple%22:%22status%22%7D"):
        html = client.get(f"/register/you_said_we_did_current?{query}").text
        assert html.count('id="facet-status"') == 1 and html.count('id="facet-theme"') == 1, query
    data = client.get("/register/you_said_we_did.json?_facet=%7B%22simple%22:%22activity_id%22%7D&_facet=theme").json()
    assert data["facet_results"]["activity_id"]["results"] and "theme_2" not in data["facet_results"]


def test_the_query_form_with_nothing_typed_still_shows_the_database_page(client):
    assert client.get("/register?sql=").status_code == 200


# --- generated: every table, every special parameter, bad values -------------------

PARAMETERS = ("_sort", "_sort_desc", "_facet", "_through", "_col", "_nocol", "_size", "_next", "_search", "_labels")
BAD_VALUES = (
    "nonexistent",
    "%FF%FE",
    "%00",
    "'%20or%201=1--",
    "%5B%5D%7B%7D",
    "-1",
    "9" * 30,
    "%E2%80",
    "x" * 300,
    '{"table":"projects","column":"id","value":"x"}',
)
FORMATS = ("", ".json", ".csv")


def tables(client) -> list[str]:
    listing = client.get("/register.json").json()
    names = [t["name"] for t in listing["tables"] if not t["hidden"]] + [v["name"] for v in listing["views"]]
    assert {"projects", "coproduction_log", "you_said_we_did_current"} <= set(names)
    return names


def test_bad_parameter_values_on_every_table_never_give_a_500(client):
    """Every table and view, with every special parameter and two filters on its first
    column, each with bad values in one of the three formats in turn. Each table gets
    a third of the (parameter, value) pairs, a different third in turn, so every pair
    is tried on about a dozen tables: about 1,500 requests, in-process."""
    failures = []
    formats = itertools.cycle(FORMATS)
    count = 0
    for t, table in enumerate(tables(client)):
        column = client.get(f"/register/{table}.json?_size=1").json()["columns"][0]
        pairs = itertools.product((*PARAMETERS, f"{column}__gt", f"{column}__in"), BAD_VALUES)
        for name, value in itertools.islice(pairs, t % 3, None, 3):
            path = f"/register/{quote(table)}{next(formats)}?{name}={value}"
            response = client.get(path)
            count += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {path}")
            elif response.status_code >= 400:
                assert_plain_error(response, path)
    assert count > 1000
    assert not failures, "\n".join(failures)


def test_a_real_fault_is_not_blamed_on_the_address(client, monkeypatch):
    """Only an exception that names the value the client sent is a client's mistake."""
    from datasette.views.table import TableView

    async def broken(self, *args, **kwargs):
        raise ValueError("an internal value could not be read")

    monkeypatch.setattr(TableView, "data", broken)
    response = client.get("/register/projects?_size=internal&_fault=value")
    assert response.status_code == 500 and "something went wrong on our side" in response.text


def test_sql_refused_before_it_runs_is_kept_to_mend(client):
    """A query that is not a SELECT ("selec 1", a typo): a plain message, and the query
    in an editor on the error page, to mend and run again."""
    response = client.get("/register?sql=" + quote("selec 1\nfrom projects"))
    text = assert_plain_error(response, "selec")
    assert response.status_code == 400 and "must start with SELECT" in text
    assert '<textarea id="sql-editor" name="sql" rows="4">selec 1\nfrom projects</textarea>' in text
    assert '<form class="sql" action="/register" method="get">' in text


@pytest.mark.parametrize("blank", ["%20", "+", "%22", "%22%22", "%20%22%20%22%20"])
@pytest.mark.parametrize("table", ["you_said_we_did", "coproduction_log"])
def test_a_table_search_with_nothing_to_find_shows_the_table(client, table, blank):
    """A space or quote marks alone in the search box: the table, as with an empty box."""
    whole = client.get(f"/register/{table}.json?_size=1&_sort=id").json()
    response = client.get(f"/register/{table}.json?_search={blank}&_size=1&_sort=id")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["rows"] == whole["rows"] and response.json()["filtered_table_rows_count"] > 0
    page = client.get(f"/register/{table}?_search={blank}&_sort=id")
    assert page.status_code == 200 and "Invalid SQL" not in page.text
    # A real search still searches, a column's search too, and the raw mode keeps its syntax.
    assert client.get(f"/register/{table}.json?_search=zzzqqq").json()["rows"] == []
    assert client.get(f"/register/{table}.json?_search=%22&_searchmode=raw").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/static/nope.css",
        "/downloads/nope.csv",
        "/reports/nope.html",
        "/downloads/releases/2026-01-01-abcdef0/nope.csv",
    ],
)
def test_a_missing_file_gets_the_sites_own_page_not_found(client, path):
    """Not Datasette's bare "404: File not found": the site's page, with a way back."""
    response = client.get(path)
    assert response.status_code == 404
    text = assert_plain_error(response, path)
    assert "<title>Page not found – Co-production Register</title>" in text
    assert 'href="/"' in text and "404: " not in text
    head = asyncio.run(client.ds.client.head(path))
    assert head.status_code == 404 and not head.content


def test_a_report_not_yet_made_says_so_and_where_its_figures_are(client):
    """The home page links the impact report; before `make report` has run, that link
    said only "There is no file with that name here"."""
    text = assert_plain_error(client.get("/reports/nope.html"), "report")
    assert "That report has not been published here yet" in text and "measures page" in text
    assert "That report" not in assert_plain_error(client.get("/downloads/nope.csv"), "download")


def test_a_folder_gets_the_sites_page_saying_where_its_files_are_listed(tmp_path, package):
    """A folder of files (the standard's, say) was answered with Datasette's bare "403:
    Directory listing is not allowed": no page, no way back, nothing on where to look."""
    build(package, tmp_path)
    extract(package, tmp_path / "register.db", tmp_path / "extracts")
    (tmp_path / "reports").mkdir(exist_ok=True)
    site = Client(datasette_instance(tmp_path))
    for path in ("/downloads/standard/", "/downloads/standard/codelists/", "/reports/", "/static/"):
        response = site.get(path)
        text = assert_plain_error(response, path)
        assert response.status_code == 403 and not text.startswith("403: "), path
        assert "Folders are not listed here" in text and "on the downloads page, /downloads," in text, path


def test_a_download_before_the_downloads_are_made_says_so(tmp_path, package):
    """A download's stable address, followed before `make extracts` has run, said "There
    is no file with that name here" and to check the address, which was right."""
    build(package, tmp_path)
    site = Client(datasette_instance(tmp_path))
    text = assert_plain_error(site.get("/downloads/projects.csv"), "download")
    assert "The downloads have not been made yet" in text and "no file with that name" not in text
    assert "all tables and SQL at /register." in text
    extract(package, tmp_path / "register.db", tmp_path / "extracts")
    assert "There is no file with that name here." in assert_plain_error(site.get("/downloads/nope.csv"), "nope")


@pytest.mark.parametrize("marker", ["abc", "999999", "%27", "1900-01-01%2CLOG-0000"])
def test_a_next_page_address_past_the_end_says_so_and_links_to_the_first(client, marker):
    """A mistyped or stale `_next=` finds no rows: the page says why, not just "0 records"."""
    response = client.get(f"/register/coproduction_log?_next={marker}&gate=assess")
    assert response.status_code == 200
    assert "There are no rows after this point." in response.text
    assert '<a href="/register/coproduction_log?gate=assess">Go to the first page</a>' in response.text
    assert "There are no rows to show." not in response.text
    # A filter that matches nothing, with no `_next=`, is still plainly empty.
    assert "There are no rows to show." in client.get("/register/coproduction_log?gate=nowhere").text


def test_every_format_datasette_makes_is_still_made(client):
    """Only a format nobody makes is refused: JSON, CSV, the renderers' formats, and the
    site's own addresses that end in a suffix, are answered as before."""
    for path in (
        "/register.json",
        "/register.csv?sql=select+1",
        "/register/projects.json",
        "/register/projects.csv",
        "/register/projects.Notebook",
        "/register/projects/PRJ-0002.json",
        "/register.db",
        "/favicon.ico",
        "/feeds/you-said.atom",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/register/projects.jsono").status_code == 302


def test_a_link_shared_from_a_newsletter_or_social_site_still_opens(client):
    """utm_source=, fbclid= and the like are dropped: not read as a filter (a 400), and not
    a different page from the one linked."""
    plain = client.get("/register/you_said_we_did_current.json?status=done&_shape=array").json()
    tracked = client.get(
        "/register/you_said_we_did_current.json?utm_source=newsletter&status=done&utm_medium=email&fbclid=IwAR0x&_shape=array"
    )
    assert tracked.status_code == 200 and tracked.json() == plain
    assert client.get("/projects?gclid=abc&utm_campaign=x").status_code == 200
    # Only those names: a column filter that merely starts alike is still a filter.
    assert client.get("/register/projects?utm=1").status_code == 400
