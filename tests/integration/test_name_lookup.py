"""Datasette checks a table's own spelling with a query before every view-table permission
check, once per table and view on the database page. The served build answers that query
from its names, read once (register/site/reload.py); the answers must be SQLite's."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3

import datasette.app

from register.site.reload import NAME_LOOKUP, BuildDatabase
from register.site.serve import datasette_instance


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
