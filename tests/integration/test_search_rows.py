"""A searched table page's rows are found from the stored codes of its sort column
(register/site/search_rows.py): the rows SQLite gives for Datasette's own query, in its
order. Rows with equal sort values may come in any order from SQLite (by rowid when it
sorts the matches, as at a million log rows; the other way when it walks the sort
column's index, as on the small sample register); here they are always in rowid order."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

import numpy as np
import pytest

from register.database.facet_codes import TABLE
from register.database.facet_counts import sort_columns
from register.site import coded_facets, search_rows
from register.site.coded_facets import Codes


def rows_of(client, path: str) -> list[dict]:
    response = client.get(path + "&_shape=objects", cookies={"fresh": "1"})
    assert response.status_code == 200, path
    return response.json()["rows"]


def live(client, monkeypatch, path: str) -> list:
    with monkeypatch.context() as m:
        m.setattr(search_rows, "answer", lambda *args, **kwargs: _none())
        return rows_of(client, path)


async def _none():
    return None


def same_rows(shown: list, sqlites: list, sort: str, path: str) -> None:
    """The same rows in the same order: equal sort values by id, as SQLite orders them
    for the first page (register/site/tie_break.py) and for every page after it."""
    assert [(r[sort], r["id"]) for r in shown] == [(r[sort], r["id"]) for r in sqlites], path
    for a, b in zip(shown, shown[1:]):
        if a[sort] == b[sort]:
            assert a["id"] < b["id"], path


def searched_tables(build_dir) -> dict[str, str]:
    """{table: its sort column} of the searchable tables whose sort column has codes."""
    conn = sqlite3.connect(build_dir / "register.db")
    coded = set(conn.execute(f"select table_name, column_name from [{TABLE}]").fetchall())
    sorts = sort_columns(json.loads((build_dir / "metadata.json").read_text("utf-8")))
    has_fts = {r[0] for r in conn.execute("select name from sqlite_master where name like '%\\_fts' escape '\\'")}
    return {t: c for t, c in sorts.items() if (t, c) in coded and f"{t}_fts" in has_fts}


def words(build_dir, table: str) -> list[str]:
    """A common word, a rarer one and one no row has (none for a table without rows)."""
    conn = sqlite3.connect(build_dir / "register.db")
    conn.execute(f"create virtual table temp.v using fts5vocab(main, '{table}_fts', 'row')")
    found = conn.execute("select term from temp.v where term glob '[a-z]*' order by doc desc, term").fetchall()
    return [found[0][0], found[len(found) // 2][0], "nosuchword"] if found else []


def test_searched_pages_show_the_rows_sqlite_gives(client, build_dir, monkeypatch, answered):
    tables = searched_tables(build_dir)
    assert {"coproduction_log", "you_said_we_did"} <= set(tables)
    checked, ties = 0, 0
    for table, sort in tables.items():
        if not words(build_dir, table):
            continue
        common = words(build_dir, table)[0]
        paths = [f"/register/{table}.json?_search={quote(w)}&_size=max" for w in words(build_dir, table)]
        paths += [
            f"/register/{table}.json?_search={quote(common)}",
            f"/register/{table}.json?_search={quote(common)}&_sort={sort}&_size=7",
            f"/register/{table}.json?_search={quote(common)}&_sort_desc={sort}&_size=3",
        ]
        if table == "coproduction_log":
            paths.append(f"/register/{table}.json?_search={quote(common)}&gate=plan&_size=5")
        for path in paths:
            answered.clear()
            shown = rows_of(client, path)
            assert any(a is not None for a in answered), path
            same_rows(shown, live(client, monkeypatch, path), sort, path)
            values = [r[sort] for r in shown]
            ties += len(values) - len(set(values))
            checked += 1
    assert checked >= 12
    assert ties > 0  # equal sort values, put in id order as the next page continues


def test_other_pages_are_left_to_sqlite(client, answered):
    page = client.get("/register/coproduction_log.json?_search=and&_size=2", cookies={"fresh": "1"}).json()
    for path in (
        "/register/coproduction_log.json?gate=plan",  # no search
        "/register/coproduction_log.json?_search=and&_sort=title",  # a column without codes
        f"/register/coproduction_log.json?_search=and&_size=2&_next={quote(page['next'])}",  # a later page
        "/register/projects.json?_search=and",  # sorted by its primary key
    ):
        answered.clear()
        rows_of(client, path)
        assert not any(answered), path


def test_the_first_rows_are_sqlites_order():
    conn = sqlite3.connect(":memory:")
    values = [None, 3, 2.5, "b", "a", "é", "B", "", 10, None, "a", 2.5]
    conn.execute("create table t (v)")
    conn.executemany("insert into t values (?)", [(v,) for v in values])
    distinct = list(dict.fromkeys(values))
    codes = Codes({"v": distinct}, {"v": np.array([distinct.index(v) for v in values], dtype="<i4")}, np.arange(1, 13))
    keys = search_rows.rank_of(codes, "v")[codes.codes["v"]]
    positions = np.arange(len(values))
    for desc in (False, True):
        for limit in (1, 4, 12, 20):
            first = search_rows.first_rows(keys, positions, limit, desc)
            order = f"order by v{' desc' if desc else ''}"
            wanted = [r[0] for r in conn.execute(f"select rowid from t {order}, rowid limit {limit}")]
            # every row SQLite would show, and the others sharing the last value shown
            last = conn.execute(f"select v from t {order}, rowid limit 1 offset {min(limit, 12) - 1}").fetchone()[0]
            tied = {r[0] for r in conn.execute("select rowid from t where v is ?", (last,))}
            assert set(wanted) | tied == {int(r) + 1 for r in first}, (desc, limit)


def test_a_query_asking_for_no_rows_gets_none(client, build_dir):
    """`limit 0`, sorted either way: no rows, as SQLite gives (descending was a 500)."""
    table, sort = next(iter(searched_tables(build_dir).items()))
    word = words(build_dir, table)[0]
    for desc in ("", " desc"):
        sql = (
            f"select rowid from {table} where rowid in (select rowid from {table}_fts where {table}_fts "
            f"match :search) order by {sort}{desc} limit 0"
        )
        response = client.get(f"/register.json?sql={quote(sql)}&search={word}&_shape=array", cookies={"fresh": "1"})
        assert response.status_code == 200, desc
        assert response.json() == []
    assert len(search_rows.first_rows(np.arange(5), np.arange(5), 0, True)) == 0


def test_a_searchs_matches_are_read_within_the_time_limit():
    """The matches are read outside Datasette's execute, so under its time limit here."""
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t_fts using fts5 (text)")
    conn.executemany("insert into t_fts values (?)", [(f"word{i % 50} common",) for i in range(20_000)])
    sql = "select group_concat(rowid) from t_fts where t_fts match :q"
    assert len(coded_facets._rowids(conn, sql, {"q": "common"}, 10_000)) == 20_000
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        coded_facets._rowids(conn, sql, {"q": "common"}, 0)
