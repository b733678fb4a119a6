"""A table's columns coded by SQLite grouping them (column_codes._coded_in_sql) are what
reading every row gives (_coded_rows): the same values, in order of first appearance,
and the same code for every row, whatever the rowids and values."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest

from register.database import column_codes, facet_counts


def table(gaps: bool, collate: str = "") -> sqlite3.Connection:
    rnd = random.Random(7)
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE t (gate TEXT {collate}, level, many TEXT, free TEXT)")
    for column in ("gate", "level", "many"):
        conn.execute(f"CREATE INDEX t_{column} ON t ({column})")
    rows = [
        (
            rnd.choice(["plan", "Plan", "assess", None, ""]),
            rnd.choice([1, "1", 2.5, None, 0]),
            f"M{rnd.randrange(10_000)}",
            rnd.choice(["a", "b", None]),
        )
        for _ in range(30_000)
    ]
    rowid = 0
    for row in rows:
        rowid += rnd.choice([1, 1, 7]) if gaps else 1
        conn.execute("INSERT INTO t (rowid, gate, level, many, free) VALUES (?, ?, ?, ?, ?)", (rowid, *row))
    return conn


@pytest.mark.parametrize("gaps", [False, True])
def test_grouped_codes_are_the_codes_of_every_row(gaps):
    conn = table(gaps)
    columns = ["free", "gate", "many", "level"]
    # gate and level are grouped by SQLite; many has too many values (3 rows to a value), free no index.
    assert {c for c in columns if column_codes.few_values(conn, "t", c)} >= {"gate", "level", "free"}
    assert not column_codes.few_values(conn, "t", "many")
    grouped = column_codes.coded(conn, "t", columns, "rowid")
    read = column_codes._coded_rows(conn, "t", columns, "rowid")
    assert grouped[0] == read[0]
    assert all(np.array_equal(a, b) for a, b in zip(grouped[1], read[1]))
    assert np.array_equal(np.asarray(grouped[2]), np.asarray(read[2]))
    grouped_only = column_codes._coded_in_sql(conn, "t", ["gate", "level"])
    assert grouped_only[0] == read[0][1::2]
    assert all(np.array_equal(a, b) for a, b in zip(grouped_only[1], read[1][1::2]))


def test_columns_read_row_by_row_line_up_with_grouped_ones_unordered():
    """Without an order (a stored view), the columns read row by row are still read in
    rowid order, to line up with the grouped ones: an index holding them all, in another
    order, once gave gate_assurance's counts under a filter wrong."""
    conn = table(False)
    conn.execute("CREATE INDEX t_covering ON t (many, free)")  # holds the columns read row by row
    columns = ["gate", "many", "free"]
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT many, free FROM t"))
    assert "t_covering" in plan  # unordered, SQLite would read them in the index's order
    values, codes, _ = column_codes.coded(conn, "t", columns, "")
    rows = conn.execute("SELECT gate, many, free FROM t ORDER BY rowid").fetchall()
    for i in range(len(columns)):
        assert [values[i][k] for k in codes[i]] == [r[i] for r in rows]


def test_a_collated_table_is_read_row_by_row(monkeypatch):
    conn = table(False, "COLLATE NOCASE")  # "plan" and "Plan" are one group to SQLite, two values here
    monkeypatch.setattr(column_codes, "_coded_in_sql", lambda *args: pytest.fail("grouped a collated table"))
    values, _, _ = column_codes.coded(conn, "t", ["gate"], "rowid")
    assert {"plan", "Plan"} <= set(values[0])


def test_an_empty_table_has_no_codes():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (gate TEXT)")
    conn.execute("CREATE INDEX t_gate ON t (gate)")
    values, codes, rowids = facet_codes = column_codes.coded(conn, "t", ["gate"], "rowid")
    assert values == [[]] and len(codes[0]) == 0 and len(rowids) == 0, facet_codes


def test_ranked_counts_are_in_sqlites_order():
    rnd = random.Random(3)
    values = [None, 1, 2.5, 0, -3, "a", "B", "é", "", "b", b"x", b"\x00", 10, "10"]
    ranks = facet_counts.value_ranks(values)
    for _ in range(200):
        counts = np.array([rnd.choice([0, 1, 1, 2, 5]) for _ in values])
        for most in (1, 3, 5, 100):
            expected = sorted(
                [(v, int(n)) for v, n in zip(values, counts) if n and v is not None], key=facet_counts.sqlite_order
            )[:most]
            assert facet_counts.ranked(counts, values, ranks, most) == expected
