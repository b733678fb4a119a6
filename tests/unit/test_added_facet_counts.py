"""Facet counts added to from appended rows (register/database/facet_counts.py, `add`) are
what counting the whole table again stores, or the table is counted again (Recount) when
the new rows change which counts are stored."""

from __future__ import annotations

import random
import sqlite3

import pytest

from register.database.facet_counts import CUBE_VALUES, TABLE, Recount, add, store

COLUMNS = ["many", "mid", "gate", "level"]
COMMON = 50  # rows a value needs to be counted under, lowered from the site's


def rows(n: int, seed: int = 1) -> list[tuple]:
    """many: about 1,500 values, more than are stored; mid: 150, more than are counted under
    each other; gate: 3 text values; level: 4 numbers and NULLs."""
    rnd = random.Random(seed)
    return [
        (
            f"P{rnd.randrange(1500):04d}",
            f"M{rnd.randrange(150):03d}",
            rnd.choice(["assess", "plan", "plan", "procure"]),
            rnd.choice([1, 2, 2, 3, 4, None]),
        )
        for _ in range(n)
    ]


def register(data: list[tuple]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (many TEXT, mid TEXT, gate TEXT, level INTEGER)")
    conn.execute("CREATE INDEX t_many ON t (many)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", data)
    return conn


def counts(conn) -> list[tuple]:
    return sorted(map(repr, conn.execute(f"SELECT * FROM {TABLE}")))


def added(first: list[tuple], more: list[tuple]) -> sqlite3.Connection:
    conn = register(first)
    store(conn, {"t": COLUMNS}, common_rows=COMMON)
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", more)
    add(conn, "t", COLUMNS, more, common_rows=COMMON)
    return conn


def recounted(data: list[tuple]) -> list[tuple]:
    conn = register(data)
    store(conn, {"t": COLUMNS}, common_rows=COMMON)
    return counts(conn)


def test_the_test_data_has_every_kind_of_column():
    conn = register(rows(6000))
    store(conn, {"t": COLUMNS}, common_rows=COMMON)
    ranks = dict(conn.execute(f"SELECT column_name, MAX(rank) FROM {TABLE} WHERE filter_column = '' GROUP BY 1"))
    assert ranks["many"] == 1001 and CUBE_VALUES < ranks["mid"] < 1001 and ranks["gate"] == 3
    under = {r[0] for r in conn.execute(f"SELECT DISTINCT filter_column FROM {TABLE} WHERE filter_column != ''")}
    assert under == {"gate", "level"}


@pytest.mark.parametrize("more", [1, 7, 400])
def test_counts_added_to_are_the_counts_of_the_whole_table(more):
    data = rows(6000 + more)
    assert counts(added(data[:6000], data[6000:])) == recounted(data)


def test_a_value_outside_the_stored_top_that_comes_into_it():
    data = rows(6000)
    outside = "P9999"  # a new value, then more of it than the last stored one has
    more = [(outside, "M001", "plan", 2)] * 12
    assert counts(added(data, more)) == recounted(data + more)
    conn = added(data, more)
    assert conn.execute(f"SELECT count FROM {TABLE} WHERE column_name = 'many' AND value = ?", (outside,)).fetchone()
    # a new value of a column with few values, counted under each common value
    more = [("P0001", "M001", "appraise", 1)]
    assert counts(added(data, more)) == recounted(data + more)


def test_a_value_becoming_common_is_counted_again():
    data = rows(6000)
    with pytest.raises(Recount):
        added(data, [("P0001", "M001", "new gate", 1)] * COMMON)


def test_a_column_getting_too_many_values_to_count_under_is_counted_again():
    data = [(f"P{i % 7}", f"M{i % 3}", f"G{i % CUBE_VALUES}", 1) for i in range(6000)]
    with pytest.raises(Recount):
        added(data, [("P1", "M1", "one more gate", 1)])


def test_nothing_appended_changes_nothing():
    data = rows(6000)
    assert counts(added(data, [])) == recounted(data)
