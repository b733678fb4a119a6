"""The `-- build: dated (...)` lines of views.sql name every column of their view that
reads today's date: the build stores facet counts of the others
(src/register/database/facet_counts.py), so they must not move with the day."""

from __future__ import annotations

import sqlite3

import pytest

from register.database.facet_codes import dated_by
from register.database.facet_counts import dated_columns
from register.database.views import VIEWS_SQL

DATED = dated_columns(VIEWS_SQL.read_text("utf-8"))


def on_day(build_dir, today: str) -> sqlite3.Connection:
    """The built register, read as though today were `today`: SQLite's date() and
    julianday() are replaced by ones whose 'now' is that day (an application-defined
    function overrides a built-in one of the same name)."""
    conn = sqlite3.connect(":memory:")
    sqlite3.connect(build_dir / "register.db").backup(conn)
    real = sqlite3.connect(":memory:")

    def shifted(name):
        def call(*args):
            args = [today if a == "now" else a for a in args if a != "localtime"]
            return real.execute(f"select {name}({', '.join('?' * len(args))})", args).fetchone()[0]

        return call

    for name in ("date", "julianday"):
        conn.create_function(name, -1, shifted(name))
    return conn


def test_there_is_a_dated_view():
    assert DATED.get("you_said_we_did_current") == {"overdue", "days_open"}


@pytest.mark.parametrize("view", sorted(DATED))
def test_only_the_named_columns_move_with_the_day(build_dir, view):
    early, late = on_day(build_dir, "2000-01-01"), on_day(build_dir, "2100-01-01")
    columns = [r[1] for r in early.execute(f"pragma table_info([{view}])")]
    assert DATED[view] <= set(columns), "a dated column the view does not have"
    moved = set()
    for column in columns:
        query = f"select [{column}], count(*) from [{view}] group by 1 order by 1"
        if early.execute(query).fetchall() != late.execute(query).fetchall():
            moved.add(column)
    assert moved == DATED[view]


@pytest.mark.parametrize("view", sorted(dated_by(VIEWS_SQL.read_text("utf-8"))))
def test_a_dated_column_depends_on_the_columns_its_line_names_alone(build_dir, view):
    """`-- build: dated <column> by (<columns>) of <key>`: the site works the column out
    for one row of each combination of those columns' values and gives it to every row
    with that combination (src/register/site/coded_facets.py), so on any day rows that
    agree on them agree on it."""
    lines = dated_by(VIEWS_SQL.read_text("utf-8"))[view]
    assert set(lines) <= DATED[view]
    for today in ("2000-01-01", "2025-06-30", "2100-01-01"):
        conn = on_day(build_dir, today)
        for column, (by, key) in lines.items():
            cols = ", ".join(f"[{c}]" for c in by)
            assert conn.execute(f"select count(distinct [{key}]) = count(*) from [{view}]").fetchone() == (1,)
            spread = conn.execute(
                f"select {cols}, count(distinct [{column}]) as n from [{view}] group by {cols} having n > 1"
            ).fetchall()
            assert spread == [], (column, today)
            values = {r[0] for r in conn.execute(f"select distinct [{column}] from [{view}]")}
            assert len(values) > 1 or today == "2000-01-01", "the day should change the column somewhere"
