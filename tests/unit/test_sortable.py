"""register/database/sortable.py: on a big table, the sorts offered are those SQLite reads
in an index's order; smaller tables offer every sort."""

from __future__ import annotations

import sqlite3

import pytest

from register.database import sortable


@pytest.fixture
def conn(monkeypatch):
    monkeypatch.setattr(sortable, "BIG_ROWS", 100)
    monkeypatch.setattr(sortable, "MAX_GROUP", 30)
    c = sqlite3.connect(":memory:", isolation_level=None)
    c.executescript(
        """
        CREATE TABLE items (id TEXT PRIMARY KEY, said_date TEXT, theme TEXT, note TEXT, told TEXT);
        CREATE INDEX idx_items_said_date ON items (said_date);
        CREATE INDEX idx_items_theme ON items (theme);
        CREATE TABLE counts (gate TEXT, n INTEGER);
        CREATE INDEX idx_counts_n ON counts (n);
        CREATE TABLE small (code TEXT PRIMARY KEY, title TEXT);
        CREATE VIEW items_view AS SELECT id, theme, note FROM items;
        CREATE TABLE register_build (key TEXT PRIMARY KEY, value TEXT);
        """
    )
    # 200 items: a date shared by 2 at most, 4 themes of 50 each, notes with no index.
    c.executemany(
        "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
        [(f"Y{i:03}", f"2026-01-{i // 2:03}", f"theme{i % 4}", f"note {i}", "yes") for i in range(200)],
    )
    c.executemany("INSERT INTO counts VALUES (?, ?)", [(f"g{i % 3}", i) for i in range(150)])
    c.executemany("INSERT INTO small VALUES (?, ?)", [(f"c{i}", f"t{i}") for i in range(10)])
    c.execute("ANALYZE")
    return c


def test_a_big_table_offers_the_sorts_an_index_serves(conn):
    found = sortable.offered(conn, {})
    # said_date: its index, and two rows at most share a date; theme: indexed, but 50
    # items share each theme and would be sorted by id; note and told: no index.
    assert found["items"] == ["id", "said_date"]
    assert found["counts"] == ["n", "rowid"]  # a table without a primary key is paged by rowid
    # A view's pages have no tie-break (Datasette pages it by offset): its theme index
    # gives them in order.
    assert found["items_view"] == ["id", "theme"]


def test_a_small_table_offers_every_sort(conn):
    assert "small" not in sortable.offered(conn, {})


def test_the_configured_sort_is_always_offered(conn):
    assert sortable.offered(conn, {"items": "theme"})["items"] == ["id", "said_date", "theme"]


def test_a_sort_whose_values_are_shared_by_few_rows_is_offered(conn, monkeypatch):
    monkeypatch.setattr(sortable, "MAX_GROUP", 50)  # the 50 items of each theme: few enough now
    assert sortable.offered(conn, {})["items"] == ["id", "said_date", "theme"]


def test_what_is_offered_is_kept_in_the_build_record(conn):
    assert sortable.stored(conn) == {}  # a build from before: every sort offered
    sortable.store(conn, {"databases": {"register": {"tables": {"items": {"sort_desc": "theme"}}}}})
    sortable.store(conn, {})  # written again, not twice
    assert sortable.stored(conn)["items"] == ["id", "said_date"]
    assert conn.execute("SELECT COUNT(*) FROM register_build").fetchone()[0] == 1


def test_a_database_with_no_build_record_offers_every_sort():
    assert sortable.stored(sqlite3.connect(":memory:")) == {}


def test_a_column_mostly_empty_is_not_offered_though_its_stored_counts_leave_the_empty_out(conn):
    """The stored facet counts leave NULL out (facet_counts.ranked), but an ascending sort
    reads the empty values first, each sorted by the primary key: 120 of them here."""
    conn.executescript(
        """
        CREATE TABLE links (id TEXT PRIMARY KEY, ref TEXT);
        CREATE INDEX idx_links_ref ON links (ref);
        CREATE TABLE facet_counts (table_name TEXT, filter_column TEXT, filter_value TEXT,
            column_name TEXT, rank INTEGER, value, count INTEGER);
        """
    )
    conn.executemany(
        "INSERT INTO links VALUES (?, ?)", [(f"L{i:03}", None if i < 120 else f"r{i}") for i in range(150)]
    )
    conn.execute("INSERT INTO facet_counts VALUES ('links', '', '', 'ref', 1, 'r120', 1)")
    conn.execute("ANALYZE")
    assert sortable.offered(conn, {})["links"] == ["id"]
