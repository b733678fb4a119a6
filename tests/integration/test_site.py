"""Every table, row and view page of the register, in-process, as `make serve` serves it."""

from __future__ import annotations

import json
import re
import sqlite3
from html import unescape as html_unescape

import yaml
from datasette.utils import tilde_encode

from register.schema.package import ROOT


def tables_and_views(build_dir):
    conn = sqlite3.connect(build_dir / "register.db")
    tables = [
        n
        for (n,) in conn.execute(
            "select name from sqlite_master where type='table' and name not like '%_fts%' "
            "and name not like 'sqlite_%' order by name"
        )
    ]
    views = [n for (n,) in conn.execute("select name from sqlite_master where type='view' order by name")]
    return conn, tables, views


def test_home_and_database_pages(client):
    assert client.get("/").status_code == 200
    response = client.get("/register")
    assert response.status_code == 200
    assert "projects" in response.text


def test_the_database_page_names_every_table_and_view_by_its_title(client, build_dir):
    """A visitor reads "Co-production log", not coproduction_log: every table and view the
    database page lists is named by its title, with its table name beside it for SQL;
    the build's own steps, which have no title, are not listed."""
    meta = json.loads((build_dir / "metadata.json").read_text("utf-8"))["databases"]["register"]["tables"]
    html = client.get("/register").text
    listed = re.findall(r'(?:<h3>|<li>)<a href="/register/([a-z_0-9]+)">([^<]*)</a>', html)
    _, tables, views = tables_and_views(build_dir)
    names = {name for name, _ in listed}
    assert {"projects", "coproduction_log", "gate_assurance"} <= names
    assert "you_said_we_did_status" not in names
    for name, text in listed:
        if name in tables or name in views:
            assert html_unescape(text) == meta[name]["title"], (name, text)
            assert f"<code>{name}</code>" in html, name


def test_every_table_page_row_page_and_view_page(client, build_dir):
    conn, tables, views = tables_and_views(build_dir)
    for table in tables:
        page = client.get(f"/register/{table}")
        assert page.status_code == 200, table
        data = client.get(f"/register/{table}.json?_shape=objects&_size=max").json()
        count = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        assert data["filtered_table_rows_count"] == count, table
        pks = [r[1] for r in conn.execute(f"pragma table_info([{table}])") if r[5]]
        for row in data["rows"]:
            # as the site links a row: each key tilde-encoded (Datasette redirects another spelling)
            key = ",".join(tilde_encode(str(row[pk])) for pk in pks) if pks else str(row["rowid"])
            assert client.get(f"/register/{table}/{key}").status_code == 200, (table, key)
    for view in views:
        page = client.get(f"/register/{view}")
        assert page.status_code == 200, view
        assert client.get(f"/register/{view}.json").status_code == 200, view


def test_column_titles_and_descriptions_come_from_the_schemas(client, package):
    for res in package.resources:
        html = client.get(f"/register/{res.name}").text
        for f in res.fields:
            assert f"{f.title}: " in html.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"'), (
                res.name,
                f.name,
            )
        meta = client.get(f"/register/{res.name}.json").json()
        assert meta["table"] == res.name


def test_metadata_yml_never_repeats_what_the_schemas_say(package):
    site = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))
    tables = site.get("databases", {}).get("register", {}).get("tables", {})
    for res in package.resources:
        for key in ("title", "description", "description_html", "columns"):
            assert key not in tables.get(res.name, {}), (res.name, key)


def test_public_site_settings(client):
    settings = client.get("/-/settings.json").json()
    assert settings["suggest_facets"] is False
    assert settings["sql_time_limit_ms"] <= 1000
    assert settings["max_returned_rows"] <= 1000


def test_datasette_vega_and_pinned_datasette(client):
    plugins = {p["name"]: p for p in client.get("/-/plugins.json").json()}
    assert "datasette-vega" in plugins
    version = client.get("/-/versions.json").json()["datasette"]["version"]
    assert tuple(int(x) for x in version.split(".")[:3]) >= (0, 65, 5)


def test_codes_link_to_their_meaning(client):
    html = client.get("/register/coproduction_log").text
    assert 'href="/register/gates/' in html
    assert 'href="/register/participation_levels/' in html


def test_database_is_served_immutable(ds):
    db = ds.databases["register"]
    assert db.is_mutable is False


def test_the_sql_page_introduces_itself_in_a_plain_sentence(client):
    """The database's title ("The register") is a heading, not a phrase to drop mid-sentence:
    the SQL page said "Run read-only SQL against The register"."""
    text = client.get("/register", params={"sql": "select 1"}).text
    assert 'Run read-only SQL against <a href="/register">the register\'s tables</a>.' in text
    assert 'against <a href="/register">The register</a>' not in text


def test_on_a_phone_each_value_is_labelled_by_its_column_title(client, build_dir):
    """A table's rows become cards on a narrow screen, each value under its data-label:
    the column's title from the schema ("Date"), not its name ("activity_date")."""
    meta = json.loads((build_dir / "metadata.json").read_text("utf-8"))["databases"]["register"]["tables"]
    for path, table in (
        ("/register/coproduction_log", "coproduction_log"),
        ("/register/you_said_we_did_current?status=open", "you_said_we_did_current"),
    ):
        labels = set(re.findall(r'<td class="col-[^"]*" data-label="([^"]*)"', client.get(path).text))
        titles = {html_unescape(text.split(": ", 1)[0]) for text in meta[table]["columns"].values()}
        assert labels and {html_unescape(label) for label in labels} <= titles, (path, labels - titles)
    assert 'data-label="Date">' in client.get("/register/coproduction_log").text


def test_the_filter_and_sort_controls_offer_columns_by_title(client):
    """The column to filter or sort by is chosen by its title ("Date"), and still sent by
    its name (activity_date), so addresses do not change."""
    html = client.get("/register/coproduction_log?gate=assess").text
    for select in ('id="filter-column-1"', 'id="filter-column-new"', 'id="sort_by"'):
        options = html.split(select, 1)[1].split("</select>", 1)[0]
        assert '<option value="activity_date"' in options, select
        assert re.search(r'<option value="activity_date"[^>]*>Date</option>', options), select
        assert ">activity_date<" not in options, select
    assert '<option value="gate" selected>Gate</option>' in html


def test_the_row_count_says_which_columns_by_their_titles(client):
    """ "6 rows where gate = "assess" sorted by activity_date descending" named the columns
    as the database does; the page calls them what its facets and controls call them."""
    html = client.get("/register/coproduction_log?gate=assess").text
    heading = html.split('<h2 class="row-count">', 1)[1].split("</h2>", 1)[0]
    assert "where Gate = &#34;assess&#34; (Assess) sorted by Date descending" in " ".join(heading.split())
    assert "sorted by Date descending" in html.split("<title>", 1)[1].split("</title>", 1)[0]


def test_the_row_count_and_title_give_the_meaning_of_a_code_filtered_on(client):
    """A facet chosen on a table page ("Shared definition and language") was named in the
    page's title and row count by its code alone (Theme = "shared_language"), which is
    what a screen reader user heard; the meaning now follows the code."""
    html = client.get("/register/you_said_we_did?theme=shared_language").text
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    heading = " ".join(html.split('<h2 class="row-count">', 1)[1].split("</h2>", 1)[0].split())
    for words in (title, heading):
        assert "Theme = &#34;shared_language&#34; (Shared definition and language)" in words, words


def test_table_columns_are_headed_by_their_titles(client):
    """A table's column headings are its titles ("Date"), as everywhere else on the site;
    each still sorts by, and is marked with, the column's name."""
    html = client.get("/register/coproduction_log").text
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert 'data-column="activity_date" data-column-title="Date"' in head
    assert re.search(r'href="/register/coproduction_log\?_sort=activity_date" rel="nofollow">Date<', head)
    assert ">activity_date<" not in head


def test_an_error_page_offers_the_projects_page_in_plain_english(client):
    """ "Browse all projects" on a 404 or 400 led to the projects table (filters, SQL
    columns); it leads to the projects page the menu's "Projects" opens."""
    for path, status in (("/projects/PRJ-9999", 404), ("/register/projects?_sort=nope", 400)):
        response = client.get(path)
        assert response.status_code == status, path
        assert 'browse <a href="/projects">all projects</a>' in response.text, path


def test_an_empty_table_says_how_many_rows_under_its_heading(client):
    """A table or view with no rows (here the log with a _where= nothing matches; the
    disputed claims view until a partner disputes one) said "0 records" under a facet's h3,
    straight after the h1, a skipped heading level, with no count in the h2 every other
    table page has."""
    html = client.get("/register/coproduction_log?_where=0").text
    headings = re.findall(r"<h([1-6])", html.split("<main", 1)[1])
    assert headings[:2] == ["1", "2"], headings
    assert re.search(r'<h2 class="row-count">0 rows\s', html)
    assert "There are no rows to show." in html and "0 records" not in html


def test_a_row_page_names_each_field_and_each_link_by_its_title(client, build_dir):
    """A record read top to bottom gave each field by its column name (activity_date) and
    its links as "from activity_id in you_said_we_did": each field is headed by its title
    from the schema, with its column name beneath for SQL, and its links name their table
    and field by their titles."""
    meta = json.loads((build_dir / "metadata.json").read_text("utf-8"))["databases"]["register"]["tables"]
    html = client.get("/register/coproduction_log/LOG-0001").text
    record = html.split('<table class="record">', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r'<th scope="row"><span class="field-title">([^<]*)</span><span class="column-name">', record)
    titles = [html_unescape(text.split(": ", 1)[0]) for text in meta["coproduction_log"]["columns"].values()]
    assert heads and [html_unescape(h) for h in heads] == titles[: len(heads)]
    assert '<span class="field-title">Date</span><span class="column-name">' in record
    assert '<span class="visually-hidden">Column name: </span>activity_date</span>' in record
    # The description follows without its title written again ("Date: The date ...").
    assert '<span class="column-description">The date the activity took place' in record
    links = " ".join(html.split("Links from other tables", 1)[1].split("</ul>", 1)[0].split())
    assert "of You said, we did point here, in the field “Said at” (<code>you_said_we_did.activity_id</code>)" in links
    assert "from activity_id in you_said_we_did" not in links
