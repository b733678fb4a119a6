"""Following "Next" through a sorted table, or streaming it as CSV, gives every row exactly
once: the first page breaks ties on the sort column as the next pages do
(register/site/tie_break.py). Before, the 80 "You said" items, sorted by a date many
share, streamed as 72 rows, 50 of them different."""

from __future__ import annotations

import csv
import io
import random
import sqlite3

import pytest

from register.database.build import build
from register.schema.metadata import DATABASE
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import Client, copy_repo

SIZES = (3, 7)


@pytest.fixture(scope="module")
def db(build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    yield conn
    conn.close()


def _sorted_tables(ds) -> list[str]:
    tables = ds.metadata("databases")[DATABASE]["tables"]
    return sorted(t for t, conf in tables.items() if conf.get("sort") or conf.get("sort_desc"))


def _rows(db, table: str) -> tuple[list[str], list[tuple]]:
    """Every row of the table (its columns, then the rows as text), to compare with a page."""
    cur = db.execute(f"select * from [{table}]")
    return [d[0] for d in cur.description], sorted(tuple(str(v) for v in r) for r in cur)


def test_the_register_has_sorted_tables_whose_sort_column_has_ties(ds, db):
    tables = _sorted_tables(ds)
    assert "you_said_we_did" in tables
    tied = db.execute("select count(*) - count(distinct said_date) from you_said_we_did").fetchone()[0]
    assert tied > 10, "the test needs a sort column many rows share"


@pytest.mark.parametrize("size", SIZES)
def test_following_next_gives_every_row_once(client, ds, db, size):
    for table in _sorted_tables(ds):
        cols, wanted = _rows(db, table)
        seen, url, pages = [], f"/register/{table}.json?_size={size}&_shape=objects", 0
        while url:
            data = client.get(url).json()
            seen += [tuple(str(row[c]) for c in cols) for row in data["rows"]]
            nxt, pages = data.get("next"), pages + 1
            url = f"/register/{table}.json?_size={size}&_shape=objects&_next={nxt}" if nxt else None
            assert pages <= len(wanted) + 1, table
        assert sorted(seen) == sorted(wanted), (table, len(seen), len(set(seen)), len(wanted))


@pytest.mark.parametrize("size", SIZES)
def test_a_streamed_csv_holds_every_row_once(client, ds, db, size):
    for table in _sorted_tables(ds):
        cols, wanted = _rows(db, table)
        text = client.get(f"/register/{table}.csv?_stream=on&_size={size}").text
        got = [tuple(r[c] for c in cols) for r in csv.DictReader(io.StringIO(text))]
        # A CSV cell is text: an empty one is SQL NULL.
        assert sorted(got) == sorted(tuple("" if v == "None" else v for v in r) for r in wanted), table


def test_sql_someone_types_is_run_as_they_wrote_it(client):
    sql = "select id from you_said_we_did order by said_date desc limit 3"
    data = client.get("/register.json", params={"sql": sql, "_shape": "objects"}).json()
    assert data["query"]["sql"] == sql
    # A compound query would break if a tie-break were added to its ORDER BY.
    union = "select id from you_said_we_did union select id from projects order by id limit 2"
    assert client.get("/register.json", params={"sql": union}).status_code == 200


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    """A register whose "You said" items are not stored in the order of their ids, as in a
    national register (publishers' rows in registry order, ids prefixed by publisher)."""
    tmp = tmp_path_factory.mktemp("shuffled")
    (tmp / "repo").mkdir()
    root = copy_repo(tmp / "repo")
    path = root / "datasets" / "you_said_we_did.csv"
    header, *lines = path.read_text("utf-8").splitlines(keepends=True)
    random.Random(7).shuffle(lines)
    path.write_text(header + "".join(lines), "utf-8")
    build(Package(root), tmp / "build")
    conn = sqlite3.connect(tmp / "build" / "register.db")
    yield Client(datasette_instance(tmp / "build")), conn
    conn.close()


@pytest.mark.parametrize("search", [None, "the"])
def test_rows_stored_out_of_id_order_still_page_once_each(shuffled, search):
    client, conn = shuffled
    ids = [r[0] for r in conn.execute("select id from you_said_we_did order by rowid")]
    assert ids != sorted(ids)
    query = f"&_search={search}" if search else ""
    if search:
        wanted = sorted(
            r[0]
            for r in conn.execute(
                "select id from you_said_we_did where rowid in "
                "(select rowid from you_said_we_did_fts where you_said_we_did_fts match ?)",
                (f'"{search}"',),
            )
        )
    else:
        wanted = sorted(ids)
    seen, url = [], f"/register/you_said_we_did.json?_size=3&_shape=objects{query}"
    while url:
        data = client.get(url).json()
        seen += [row["id"] for row in data["rows"]]
        nxt = data.get("next")
        url = f"/register/you_said_we_did.json?_size=3&_shape=objects{query}&_next={nxt}" if nxt else None
    assert len(wanted) > 10 and sorted(seen) == wanted, (len(seen), len(set(seen)), len(wanted))


def _untyped_number_columns(db) -> list[tuple[str, str]]:
    """(table, column) of the stored measures' columns that hold numbers under no declared
    type: the build's CREATE TABLE ... AS SELECT gives a count or a sum none."""
    found = []
    for (table,) in db.execute("select name from sqlite_master where type = 'table' and name like 'summary_%'"):
        for (column,) in db.execute("select name from pragma_table_info(?) where type = ''", (table,)):
            kinds = {k for (k,) in db.execute(f"select distinct typeof([{column}]) from [{table}]")}
            if kinds & {"integer", "real"}:
                found.append((table, column))
    return found


@pytest.mark.parametrize("direction", ("_sort", "_sort_desc"))
def test_next_on_a_column_with_no_declared_type_gives_every_row_once(client, db, direction):
    """Sorted by summary_you_said_we_did.items, "Next" compared the count with the text
    '2': upwards the pages stopped after the first (3 of 8 rows), downwards the same page
    came back for ever, and its CSV streamed until the size limit."""
    columns = _untyped_number_columns(db)
    assert ("summary_you_said_we_did", "items") in columns
    for table, column in columns:
        cols, wanted = _rows(db, table)
        base = f"/register/{table}.json?_size=3&_shape=objects&{direction}={column}"
        seen, url, pages = [], base, 0
        while url:
            data = client.get(url).json()
            seen += [tuple(str(row[c]) for c in cols) for row in data["rows"]]
            nxt, pages = data.get("next"), pages + 1
            url = f"{base}&_next={nxt}" if nxt else None
            assert pages <= len(wanted) + 1, (table, column, "Next never ends")
        assert sorted(seen) == wanted, (table, column, len(seen), len(wanted))
        streamed = client.get(f"/register/{table}.csv?_stream=on&_size=3&{direction}={column}").text
        assert len(list(csv.DictReader(io.StringIO(streamed)))) == len(wanted), (table, column)


@pytest.mark.parametrize(
    "query",
    [
        "_size=5&_facet=gate",
        "_size=3&_sort_desc=activity_date",
        "_size=2&gate=assess",
        "_size=2&_sort=title&gate=assess",
    ],
)
def test_a_later_page_shows_the_facets_of_the_whole_selection(client, query):
    # Datasette counted page 2's facets over the rows after page 1 only: 8 activities
    # whose facet counts added up to 3 (and, at a million rows, counted live: 1.2 s).
    first = client.get(f"/register/coproduction_log.json?_shape=objects&{query}").json()
    later = client.get(f"/register/coproduction_log.json?_shape=objects&{query}&_next={first['next']}").json()
    counts = lambda page: {  # noqa: E731
        name: {r["value"]: r["count"] for r in facet["results"]} for name, facet in page["facet_results"].items()
    }
    assert counts(later) == counts(first) and counts(first)
    assert later["filtered_table_rows_count"] == first["filtered_table_rows_count"]
    assert not {r["id"] for r in later["rows"]} & {r["id"] for r in first["rows"]}, "the rows are the next page's"


def test_the_clause_a_next_page_adds_is_the_only_one_taken_off():
    from register.site.whole_selection import without_next

    assert without_next("select * from [t] where rowid > :p0 ", {"p0": "5"}) == ("select * from [t] ", {})
    kept = without_next('select * from [t] where "gate" = :p0 and (([id] > :p1)) ', {"p0": "plan", "p1": "LOG-3"})
    assert kept == ('select * from [t] where "gate" = :p0 ', {"p0": "plan"})
    sorted_by = "([d] < :p1 or [d] is null or ([d] = :p1 and (([id] > :p0))))"
    assert without_next(f"select * from [t] where {sorted_by} ", {"p0": "L", "p1": "2025"}) == (
        "select * from [t] ",
        {},
    )
    # A filter's own group, not the page's start (its parameter is not the last): left alone.
    assert without_next('select * from [t] where "gate" in (:p0, :p1) ', {"p0": "a", "p1": "b"}) is None
    assert without_next('select * from [t] where ("a" = :p0) and "b" = :p1 ', {"p0": "a", "p1": "b"}) is None
