"""The views an append adds to instead of working out again (register/database/views.sql):
an added-up view (`-- build: add up by (...)`) of a whole table is its stored rows for the
first rows with the counts of the rest added (register/database/appended.py, add_up), and a
row-by-row view (`-- build: row by row`) of a whole table is its rows of the first rows
followed by its rows of the rest. Checked on the sample register at several places to cut
the table, for every view with such a line; and the check is shown to catch a view that
is not what its line says."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from register.database.appended import Appended, NotAppendable, add_up
from register.database.redo import reads
from register.database.views import VIEWS_SQL, added_up, looked_up, row_by_row, view_selects

SQL = VIEWS_SQL.read_text("utf-8")


@pytest.fixture
def db(build_dir, tmp_path):
    path = tmp_path / "register.db"
    shutil.copy(build_dir / "register.db", path)
    conn = sqlite3.connect(path, isolation_level=None)
    yield conn
    conn.close()


def the_table(conn, select: str, lookups: list[str] = ()) -> str:
    """The one table a view counts the rows of: what it reads, less what it looks up."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    (table,) = (reads(conn, select) & tables) - set(lookups)
    return table


def cut_points(conn, table: str) -> list[int]:
    n = conn.execute(f'SELECT MAX(rowid) FROM "{table}"').fetchone()[0]
    assert n and n > 2, f"{table} needs rows to cut"
    return sorted({0, 1, n // 2, n - 1})


def added_up_holds(conn, view: str, keys: list[str], selects: dict[str, str]) -> bool:
    """Whether the view of the whole table is the view of its first rows with the counts
    of the rest added, at every cut."""
    select = selects[view]
    lookups = looked_up(SQL)
    table = the_table(conn, select, lookups.get(view, ()))
    whole = sorted(map(repr, conn.execute(f"SELECT * FROM ({select})")))
    for k in cut_points(conn, table):
        conn.execute("BEGIN")
        conn.execute(f'CREATE TEMP TABLE aside AS SELECT rowid AS r, * FROM "{table}" WHERE rowid > ?', (k,))
        conn.execute(f'DELETE FROM "{table}" WHERE rowid > ?', (k,))
        conn.execute(f"CREATE TEMP TABLE part AS SELECT * FROM ({select})")
        conn.execute(f'INSERT INTO "{table}" (rowid, {", ".join(columns(conn, table))}) SELECT * FROM temp.aside')
        new = Appended(conn, {table: k}, selects, lookups)
        add_up(conn, "part", keys, new.rows(view))
        got = sorted(map(repr, conn.execute("SELECT * FROM temp.part")))
        conn.execute("ROLLBACK")
        new.close()
        conn.execute("DROP TABLE IF EXISTS temp.aside")
        conn.execute("DROP TABLE IF EXISTS temp.part")
        if got != whole:
            return False
    return True


def row_by_row_holds(conn, view: str, selects: dict[str, str]) -> bool:
    """Whether the view of the whole table is its rows of the first rows and of the rest."""
    table = the_table(conn, f'SELECT * FROM "{view}"')
    whole = sorted(map(repr, conn.execute(f'SELECT * FROM "{view}"')))
    for k in cut_points(conn, table):
        new = Appended(conn, {table: k}, selects)
        rest = new.rows(view)
        new.close()
        conn.execute("BEGIN")
        conn.execute(f'DELETE FROM "{table}" WHERE rowid > ?', (k,))
        first = conn.execute(f'SELECT * FROM "{view}"').fetchall()
        conn.execute("ROLLBACK")
        if sorted(map(repr, first + rest)) != whole:
            return False
    return True


def columns(conn, table: str) -> list[str]:
    return [f'"{r[0]}"' for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))]


def test_views_sql_has_views_of_both_kinds():
    assert {"log_by_project_gate", "log_by_project_place", "log_by_month", "balance_counts"} <= set(added_up(SQL))
    assert looked_up(SQL)["measure_activity_by_place"] == ["projects", "organisations", "places"]
    assert "measure_balance" in row_by_row(SQL)


@pytest.mark.parametrize("view", sorted(added_up(SQL)))
def test_an_added_up_view_is_its_first_rows_plus_the_rest(db, view):
    assert added_up_holds(db, view, added_up(SQL)[view], view_selects(SQL))


@pytest.mark.parametrize("view", sorted(row_by_row(SQL)))
def test_a_row_by_row_view_is_its_first_rows_and_the_rest(db, view):
    assert row_by_row_holds(db, view, view_selects(SQL))


def test_the_checks_catch_a_view_that_is_not_what_its_line_says(db):
    """A first date is not a count that adds up; a count over the table is not a row per row."""
    selects = {
        **view_selects(SQL),
        "not_a_sum": "SELECT gate, MIN(activity_date) AS first_date, COUNT(*) AS activities "
        "FROM coproduction_log GROUP BY gate",
        "not_by_row": "SELECT gate, COUNT(*) AS n FROM coproduction_log GROUP BY gate",
    }
    for name in ("not_a_sum", "not_by_row"):
        db.execute(f"CREATE VIEW {name} AS {selects[name]}")
    assert added_up_holds(db, "log_by_project_gate", ["project_id", "gate"], selects)
    assert not added_up_holds(db, "not_a_sum", ["gate"], selects)
    assert row_by_row_holds(db, "measure_balance", selects)
    assert not row_by_row_holds(db, "not_by_row", selects)


def test_a_view_that_reads_another_table_is_not_appendable(db):
    """gate_assurance reads the projects too: the appended log rows alone cannot give its rows."""
    new = Appended(db, {"coproduction_log": 1}, view_selects(SQL))
    with pytest.raises(NotAppendable):
        new.rows("gate_assurance")
    new.close()


def test_a_view_that_looks_up_tables_it_does_not_name_is_not_appendable(db):
    """measure_activity_by_place adds up the log by its projects' organisations: without
    the projects beside the new rows, they cannot give its rows."""
    selects = view_selects(SQL)
    new = Appended(db, {"coproduction_log": 1}, selects)
    with pytest.raises(NotAppendable):
        new.rows("measure_activity_by_place")
    new.close()
    new = Appended(db, {"coproduction_log": 1}, selects, looked_up(SQL))
    rows = new.rows("measure_activity_by_place")
    new.close()
    assert (
        rows
        and sum(r[4] for r in rows) == db.execute("SELECT COUNT(*) FROM coproduction_log WHERE rowid > 1").fetchone()[0]
    )


def test_an_ordered_view_is_not_added_to_where_it_has_no_row(db):
    """A full build puts a new organisation and place of measure_activity_by_place in its
    place among the rows; an append cannot, so it works the view out whole instead."""
    keys = added_up(SQL)["measure_activity_by_place"]
    stored = db.execute("SELECT * FROM measure_activity_by_place ORDER BY rowid").fetchall()
    db.execute("BEGIN")
    add_up(db, "measure_activity_by_place", keys, stored[:1], ordered=True)  # a row it has: added to
    first = db.execute("SELECT activities FROM measure_activity_by_place ORDER BY rowid LIMIT 1").fetchone()[0]
    assert first == 2 * stored[0][4]
    unknown = ("no-such-organisation", None, None, None, 1, 1, 1, 1)
    with pytest.raises(NotAppendable):
        add_up(db, "measure_activity_by_place", keys, [unknown], ordered=True)
    add_up(db, "measure_activity_by_place", keys, [unknown])  # unordered: a new row at the end
    last = db.execute("SELECT organisation FROM measure_activity_by_place ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    assert last == "no-such-organisation"
    db.execute("ROLLBACK")


def test_a_view_is_not_added_to_when_a_table_it_looks_up_has_new_rows_too(db):
    """Beside the new rows, `projects` would hold only the new projects, and the new log
    rows of older projects would be left out."""
    new = Appended(db, {"coproduction_log": 1, "projects": 1}, view_selects(SQL), looked_up(SQL))
    with pytest.raises(NotAppendable, match="looks up projects"):
        new.rows("measure_activity_by_place")
    new.close()
