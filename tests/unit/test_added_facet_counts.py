"""Facet counts added to from appended rows (register/database/facet_counts.py, `add`) are
what counting the whole table again stores, or the table is counted again (Recount) when
the new rows change which counts are stored."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from register.database.facet_counts import CUBE_VALUES, TABLE, Recount, add, store
from register.database.pair_counts import key

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
    under = set(conn.execute(f"SELECT DISTINCT filter_column, column_name FROM {TABLE} WHERE filter_column != ''"))
    assert {f for f, _ in under} == {"gate", "level"} and {c for _, c in under} == set(COLUMNS)
    cut = conn.execute(f"SELECT MAX(rank) FROM {TABLE} WHERE filter_column = 'gate' AND column_name = 'many'")
    assert cut.fetchone()[0] == 1001


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


def changed_in_place(data: list[tuple], at: range, change) -> tuple[sqlite3.Connection, list[tuple]]:
    """The counts of data, then rows `at` changed by `change` in the table and in the counts."""
    conn = register(data)
    store(conn, {"t": COLUMNS}, common_rows=COMMON)
    old = [data[i] for i in at]
    new = [change(r) for r in old]
    for i, row in zip(at, new):
        conn.execute("UPDATE t SET many = ?, mid = ?, gate = ?, level = ? WHERE rowid = ?", (*row, i + 1))
    add(conn, "t", COLUMNS, new, common_rows=COMMON, removed=old)
    after = list(data)
    for i, row in zip(at, new):
        after[i] = row
    return conn, after


def test_rows_changed_in_place_give_the_counts_of_the_table_as_it_is():
    """What an update in place does to a view it works out again for a few keys
    (register/database/redo.py): the old rows' counts taken away, the new ones' added."""
    data = rows(6000)
    conn, after = changed_in_place(data, range(10, 30), lambda r: (r[0], "M149", r[2], r[3]))
    assert counts(conn) == recounted(after)
    unrecorded = [i for i, r in enumerate(data) if r[3] is None][:5]
    conn, after = changed_in_place(data, unrecorded, lambda r: (r[0], r[1], r[2], 9))
    assert counts(conn) == recounted(after)


def test_a_shrinking_count_of_a_list_cut_short_is_counted_again():
    """The whole table's list of `many`, and its lists under each gate, are cut short."""
    with pytest.raises(Recount):
        changed_in_place(rows(6000), range(3), lambda r: ("P9999", r[1], r[2], r[3]))
    with pytest.raises(Recount):
        changed_in_place(rows(6000), range(3), lambda r: (r[0], r[1], "appraise", r[3]))


# --- a view's counts under pairs of values (register/database/pair_counts.py) -----------


def view_counts(data: list[tuple]) -> sqlite3.Connection:
    """The counts of a view of data, whose codes are not kept: so under pairs of values too."""
    conn = register(data)
    conn.execute("CREATE VIEW v AS SELECT many, mid, gate, level FROM t")
    store(conn, {"v": COLUMNS}, common_rows=COMMON)
    return conn


def pairs_stored(conn) -> set[str]:
    found = conn.execute(
        f"SELECT DISTINCT filter_value FROM {TABLE} WHERE filter_column = ?", (key(("gate", "level")),)
    )
    return {r[0] for r in found}


def test_a_view_is_counted_under_every_pair_of_values_of_its_columns_with_few_values():
    conn = view_counts(rows(6000))
    # gate and level (mid has more than CUBE_VALUES values); a level that is NULL is no pair
    assert {
        r[0] for r in conn.execute(f"SELECT DISTINCT filter_column FROM {TABLE} WHERE filter_column LIKE '[%'")
    } == {key(("gate", "level"))}
    assert len(pairs_stored(conn)) == 3 * 4
    under = f"SELECT value, count FROM {TABLE} WHERE filter_column = ? AND filter_value = ? AND column_name = 'mid' AND rank > 0"
    stored = dict(conn.execute(under, (key(("gate", "level")), json.dumps(["plan", 2]))).fetchall())
    live = dict(conn.execute("SELECT mid, count(*) FROM v WHERE gate = 'plan' AND level = 2 GROUP BY mid").fetchall())
    assert stored == live


def test_a_view_s_pair_counts_added_to_are_a_recount_s_a_new_pair_and_a_pair_gone_too():
    data = rows(6000)
    rare = ("P0001", "M001", "monitor", 1)  # a new gate, too rare to be counted under alone
    more = rows(300, seed=2) + [rare]
    conn = view_counts(data)
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", more)
    add(conn, "v", COLUMNS, more, common_rows=COMMON)
    assert json.dumps(["monitor", 1]) in pairs_stored(conn)
    assert counts(conn) == counts(view_counts(data + more))
    # The one row of that pair changed in place: the pair is gone, as from a recount.
    at = len(data) + len(more)
    changed = ("P0001", "M001", "assess", 1)
    conn.execute("UPDATE t SET gate = 'assess' WHERE rowid = ?", (at,))
    add(conn, "v", COLUMNS, [changed], common_rows=COMMON, removed=[rare])
    assert json.dumps(["monitor", 1]) not in pairs_stored(conn)
    assert counts(conn) == counts(view_counts(data + more[:-1] + [changed]))


def test_a_table_whose_codes_are_kept_is_not_counted_under_pairs():
    conn = register(rows(6000))
    store(conn, {"t": COLUMNS}, common_rows=COMMON)
    assert not conn.execute(f"SELECT 1 FROM {TABLE} WHERE filter_column LIKE '[%'").fetchone()
