"""Queries Datasette asks of every page that the served build answers from what the build
stored (register/site/stored_answers.py): a table's own spelling, before every view-table
permission check, and the row count of a page filtered on one column. The answers must
be SQLite's."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3

import datasette.app
from datasette.database import Results

from register.site.reload import BuildDatabase
from register.site.serve import datasette_instance
from register.site.stored_answers import NAME_LOOKUP, StoredAnswers
from tests.conftest import record_answers


def test_datasette_still_asks_the_query_answered_from_memory():
    """Else the shortcut no longer applies (nothing breaks; the page is slower again)."""
    source = inspect.getsource(datasette.app.Datasette.permission_allowed)
    # The query is written as two adjacent string literals there.
    literals = "".join(part for part in source.split('"')[1::2] if "sqlite_master" in part or "collate" in part)
    assert NAME_LOOKUP in literals


def test_names_are_answered_as_sqlite_answers_them(build_dir):
    async def answers(spellings):
        ds = datasette_instance(build_dir)
        await ds.invoke_startup()
        db = ds.get_database("register")
        assert isinstance(db, BuildDatabase)
        return [(await db.execute(NAME_LOOKUP, (s,))).rows for s in spellings]

    spellings = [
        "projects",
        "PROJECTS",
        "Gate_Assurance",
        "you_said_we_did_current",
        "nosuch",
        "projectſ",
        "PROJECTŠ",
        "",
    ]
    got = asyncio.run(answers(spellings))
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?mode=ro", uri=True)
    expected = [conn.execute(NAME_LOOKUP, (s,)).fetchall() for s in spellings]
    assert [[tuple(r) for r in rows] for rows in got] == expected
    assert expected[1] == [("projects",)] and expected[4] == []


def test_counts_of_a_page_filtered_on_one_column_are_sqlites(build_dir):
    """Every value stored for every facet column, a value not stored, a number given as
    text for a yes/no column (left to SQLite), a view's untyped column."""
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?mode=ro", uri=True)
    asked = [
        (table, column, value)
        for table, column, value in conn.execute(
            "select table_name, column_name, value from facet_counts where filter_column = '' and rank > 0"
        )
    ]
    asked += [
        ("coproduction_log", "gate", "no such gate"),
        ("gate_assurance", "passed", "1"),
        ("measure_balance", "balance", "balanced"),
        ("you_said_we_did_current", "status", "open"),
    ]

    async def answers():
        ds = datasette_instance(build_dir)
        await ds.invoke_startup()
        db = ds.get_database("register")
        out = []
        for table, column, value in asked:
            sql = f'select count(*) from {table} where "{column}" = :p0 '  # as Datasette asks it
            out.append((await db.execute(sql, {"p0": str(value)})).rows[0][0])
        stored = await db._answers.answer(
            super(BuildDatabase, db).execute,
            'select count(*) from coproduction_log where "gate" = :p0 ',
            {"p0": "assess"},
        )
        return out, db._answers.text_columns, stored

    got, text_columns, stored = asyncio.run(answers())
    assert stored is not None  # answered from the stored counts, not by SQLite
    expected = [
        conn.execute(f'select count(*) from {table} where "{column}" = :p0', {"p0": str(value)}).fetchone()[0]
        for table, column, value in asked
    ]
    assert got == expected
    assert "balance" in text_columns["measure_balance"] and "gate" in text_columns["coproduction_log"]
    assert "passed" not in text_columns["gate_assurance"]  # an integer: "01" matches 1 there


def test_a_filtered_page_shows_the_count(client, build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?mode=ro", uri=True)
    (gate, n), *_ = conn.execute(
        "select gate, count(*) from coproduction_log group by gate order by count(*) desc"
    ).fetchall()
    data = client.get(f"/register/coproduction_log.json?gate={gate}", cookies={"fresh": "1"}).json()
    assert data["filtered_table_rows_count"] == n


def test_a_searched_pages_count_is_the_full_text_indexs_count_of_its_rows(client, build_dir, monkeypatch):
    """The count of a searched table page is answered from the full-text index alone,
    and is the count of the table's rows it matches; a search with a filter is counted
    by SQLite."""
    answered_by_index = record_answers(monkeypatch, StoredAnswers, "_search_count")
    conn = sqlite3.connect(build_dir / "register.db")
    for table, word in [("coproduction_log", "group"), ("you_said_we_did", "the"), ("coproduction_log", "nosuchword")]:
        expected = conn.execute(
            f"select count(*) from {table} where rowid in (select rowid from {table}_fts where {table}_fts match ?)",
            (word,),
        ).fetchone()[0]
        body = client.get(f"/register/{table}.json?_search={word}&_size=1", cookies={"fresh": "1"}).json()
        assert body["filtered_table_rows_count"] == expected, (table, word)
    assert len(answered_by_index) == 3 and all(a is not None for a in answered_by_index)
    answers = StoredAnswers()

    async def execute(sql, params=None):
        return Results(conn.execute(sql, params or {}).fetchall(), False, [])

    search = (
        "select count(*) from coproduction_log where rowid in (select rowid from coproduction_log_fts "
        "where coproduction_log_fts match escape_fts(:search)) "
    )
    conn.create_function("escape_fts", 1, lambda s: '"' + s.replace('"', '""') + '"')
    answered = asyncio.run(answers.answer(execute, search, {"search": "group"}))
    assert answered is not None and answered.rows == conn.execute(search, {"search": "group"}).fetchall()
    with_filter = search.replace("where rowid", 'where "gate" = :p0 and rowid')
    assert asyncio.run(answers.answer(execute, with_filter, {"search": "group", "p0": "plan"})) is None


def test_the_schema_is_read_once_per_build_and_handed_out_as_datasette_reads_it(build_dir, monkeypatch):
    """What Datasette reads of each table's schema (columns, keys, full-text table,
    foreign keys) is read once for the served build: the same as Datasette's own reads,
    a copy each time, so a caller's change does not reach the next."""
    from datasette.database import Database

    async def reads():
        ds = datasette_instance(build_dir)
        await ds.invoke_startup()
        db = ds.get_database("register")
        assert isinstance(db, BuildDatabase)
        names = await db.table_names() + await db.view_names()
        methods = ("table_columns", "table_column_details", "primary_keys", "fts_table", "foreign_keys_for_table")
        ours = {(m, n): await getattr(db, m)(n) for m in methods for n in names}
        ours["all"] = await db.get_all_foreign_keys()
        theirs = {(m, n): await getattr(Database, m)(db, n) for m in methods for n in names}
        theirs["all"] = await Database.get_all_foreign_keys(db)
        trips = []
        real = BuildDatabase.execute_fn

        async def counted(self, fn):
            trips.append(fn)
            return await real(self, fn)

        monkeypatch.setattr(BuildDatabase, "execute_fn", counted)
        again = {(m, n): await getattr(db, m)(n) for m in methods for n in names}
        columns = await db.table_columns("projects")
        columns.append("changed by a caller")
        return ours, theirs, again, trips, await db.table_columns("projects")

    ours, theirs, again, trips, columns = asyncio.run(reads())
    assert len(ours) > 100 and ours == theirs
    assert again == {k: v for k, v in ours.items() if k != "all"} and trips == []
    assert "changed by a caller" not in columns
