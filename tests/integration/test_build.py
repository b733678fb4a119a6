"""The build: typed tables, keys, indexes, search and views, all derived from the schemas."""

from __future__ import annotations

import csv
import sqlite3

import sqlite_utils

from register.database.build import build
from register.database.views import VIEWS_SQL


def csv_rows(res):
    with res.path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_resource_is_loaded_with_all_its_rows(build_dir, package):
    db = sqlite_utils.Database(build_dir / "register.db")
    for res in package.resources:
        assert db[res.name].count == len(csv_rows(res)), res.name


def test_column_types_keys_and_not_null_come_from_the_schema(build_dir, package):
    db = sqlite_utils.Database(build_dir / "register.db")
    for res in package.resources:
        table = db[res.name]
        columns = {c.name: c for c in table.columns}
        assert list(columns) == res.field_names
        for f in res.fields:
            assert columns[f.name].type == f.sqlite_type, (res.name, f.name)
            assert bool(columns[f.name].notnull) == f.required or f.name in res.primary_key
        assert table.pks == res.primary_key
        fks = {(fk.column, fk.other_table, fk.other_column) for fk in table.foreign_keys}
        expected = {(f.name, *f.reference) for f in res.fields if f.reference}
        assert fks == expected, res.name


def test_join_and_facet_columns_are_indexed(build_dir, package):
    """Each is the first column of an index; a facet column with few values (a code, or
    yes/no) of a table whose page has a default sort (metadata.yml) is followed by that
    column, so a page filtered on it is read in its order."""
    import json

    from register.database.search import table_pages

    pages = table_pages(json.loads((build_dir / "metadata.json").read_text("utf-8")))
    assert pages["coproduction_log"][0] == "activity_date"
    db = sqlite_utils.Database(build_dir / "register.db")
    composite = set()
    for res in package.resources:
        indexed = {tuple(i.columns) for i in db[res.name].indexes}
        composite |= {(res.name, *i) for i in indexed if len(i) == 2 and i[1] == pages.get(res.name, ("",))[0]}
        for f in res.fields:
            if f.reference and f.name not in res.primary_key:
                assert (f.name,) in indexed or (res.name, f.name, pages[res.name][0]) in composite, (res.name, f.name)
    assert ("coproduction_log", "gate", "activity_date") in composite
    assert ("coproduction_log", "reimbursement_offered", "activity_date") in composite
    assert not any(t == "coproduction_log" and c == "project_id" for t, c, _ in composite)
    plan = db.execute(
        "explain query plan select id from coproduction_log where gate = 'assess' order by activity_date desc limit 100"
    ).fetchall()
    assert not any("TEMP B-TREE" in row[-1] for row in plan), plan


def test_free_text_is_searchable(build_dir, package):
    db = sqlite_utils.Database(build_dir / "register.db")
    for name in ("projects", "coproduction_log", "equality_impacts", "you_said_we_did"):
        assert db[name].detect_fts() == f"{name}_fts"
    word = "loop"
    hits = db.execute("select count(*) from you_said_we_did_fts where you_said_we_did_fts match ?", [word]).fetchone()[
        0
    ]
    expected = sum(1 for r in csv_rows(package.resource("you_said_we_did")) if "loop" in r["you_said"].lower())
    assert hits == expected > 0


def test_booleans_and_integers_are_typed(build_dir):
    conn = sqlite3.connect(build_dir / "register.db")
    types = {t for (t,) in conn.execute("select distinct typeof(via_strategic_group) from projects")}
    assert types <= {"integer", "null"}
    types = {t for (t,) in conn.execute("select distinct typeof(lived_experience_count) from coproduction_log")}
    assert types <= {"integer", "null"}


def test_current_status_is_the_latest_update_or_open(build_dir, package):
    updates = csv_rows(package.resource("you_said_we_did_updates"))
    latest = {}
    for u in sorted(updates, key=lambda u: (u["update_date"], u["id"])):
        latest[u["you_said_id"]] = u["status"]
    conn = sqlite3.connect(build_dir / "register.db")
    current = dict(conn.execute("select id, status from you_said_we_did_current"))
    items = [r["id"] for r in csv_rows(package.resource("you_said_we_did"))]
    assert set(current) == set(items)
    for item in items:
        assert current[item] == latest.get(item, "open"), item
    assert "open" in current.values() and len(set(current.values())) > 1


def test_groups_list_is_split_into_a_link_table(build_dir, package):
    conn = sqlite3.connect(build_dir / "register.db")
    expected = {
        (r["id"], g) for r in csv_rows(package.resource("coproduction_log")) for g in r["groups"].split(";") if g
    }
    got = set(conn.execute("select coproduction_log_id, code from coproduction_log_groups"))
    assert got == expected and expected


def test_rebuilding_from_the_same_inputs_gives_the_same_content(build_dir, tmp_path, package):
    build(package, tmp_path)
    first = list(sqlite3.connect(build_dir / "register.db").iterdump())
    second = list(sqlite3.connect(tmp_path / "register.db").iterdump())
    assert first == second


def test_build_leaves_no_temporary_files(build_dir):
    assert not [p.name for p in build_dir.iterdir() if p.name.endswith(".tmp")]


def test_foreign_keys_hold_in_the_database(build_dir):
    conn = sqlite3.connect(build_dir / "register.db")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_stored_views_are_indexed_tables_with_the_views_rows(build_dir, tmp_path):
    """Views marked `-- build: materialise` become tables, indexed on their id columns,
    holding exactly the rows the live view gives (src/register/database/build.py live_views)."""
    from register.database.views import MATERIALISE, VIEWS_SQL, live_views

    names = MATERIALISE.findall(VIEWS_SQL.read_text("utf-8"))
    assert {"gate_assurance", "summary_balance", "you_said_we_did_status"} <= set(names)
    conn = sqlite3.connect(build_dir / "register.db")
    kinds = dict(
        conn.execute(
            "select name, type from sqlite_master where name in (%s)" % ",".join("?" * len(names)), names
        ).fetchall()
    )
    assert kinds == {n: "table" for n in names}
    for name in names:
        columns = [r[0] for r in conn.execute("select name from pragma_table_info(?)", (name,))]
        indexed = {
            r[0]
            for r in conn.execute("select ii.name from pragma_index_list(?) il, pragma_index_info(il.name) ii", (name,))
        }
        wanted = {c for c in columns if c == "id" or c.endswith("_id")}
        assert wanted <= indexed, (name, wanted - indexed)
    stored = {n: conn.execute(f"select * from [{n}]").fetchall() for n in names}
    live = sqlite3.connect(":memory:")
    conn.backup(live)
    live_views(live)
    for name in names:
        assert live.execute("select type from sqlite_master where name = ?", (name,)).fetchone() == ("view",)
        assert live.execute(f"select * from [{name}]").fetchall() == stored[name], name


def test_stored_facet_counts_are_the_counts_of_the_whole_table(build_dir):
    """Every configured facet of every table has its counts stored, exactly the rows
    Datasette's facet query gives for the whole table (src/register/database/facet_counts.py)."""
    import json

    from register.database.facet_counts import STORED_VALUES, TABLE, configured_facets, countable

    conn = sqlite3.connect(build_dir / "register.db")
    can = countable(conn, VIEWS_SQL.read_text("utf-8"))
    assert "measure_balance" in can and can["you_said_we_did_current"] == {"overdue", "days_open"}
    assert "summary_you_said_we_did_today" not in can  # it reads today's date throughout
    facets = configured_facets(json.loads((build_dir / "metadata.json").read_text("utf-8")))
    checked = 0
    for table, columns in facets.items():
        if table not in can:
            assert not conn.execute(f"select 1 from [{TABLE}] where table_name = ?", (table,)).fetchall(), table
            continue
        for column in columns:
            if column in can[table]:
                assert not conn.execute(
                    f"select 1 from [{TABLE}] where table_name = ? and column_name = ?", (table, column)
                ).fetchall(), (table, column)
                continue
            live = conn.execute(
                f"select [{column}] as value, count(*) from [{table}] where [{column}] is not null "
                f"group by [{column}] order by count(*) desc, value limit {STORED_VALUES}"
            ).fetchall()
            stored = conn.execute(
                f"select value, count from [{TABLE}] where table_name = ? and filter_column = '' "
                "and column_name = ? and count > 0 order by count desc, value",
                (table, column),
            ).fetchall()
            assert stored == live, (table, column)
            assert conn.execute(
                f"select count(*) from [{TABLE}] where table_name = ? and filter_column = '' and column_name = ? "
                "and count = 0",
                (table, column),
            ).fetchone() == (1,), "every counted column is marked, values or not"
            checked += bool(live)
    assert {"coproduction_log", "projects", "measure_equality_coverage", "measure_balance"} <= {
        r[0] for r in conn.execute(f"select distinct table_name from [{TABLE}]")
    }
    assert checked >= 15


def test_stored_facet_counts_under_a_filter_are_the_live_counts(build_dir):
    """Counted under every value (the sample register is small, so every value is made
    common here), each stored count is the live count of the filtered table. (A column
    with many values, counted under a filter in the same pass, is held to the same by
    tests/unit/test_added_facet_counts.py, whose table has one.)"""
    import json

    from register.database.facet_counts import CUBE_VALUES, TABLE, configured_facets, countable, store

    conn = sqlite3.connect(":memory:")
    sqlite3.connect(build_dir / "register.db").backup(conn)
    facets = configured_facets(json.loads((build_dir / "metadata.json").read_text("utf-8")))
    conn.execute(f"DELETE FROM [{TABLE}]")
    store(conn, facets, views_sql=VIEWS_SQL.read_text("utf-8"), common_rows=1)
    can = countable(conn, VIEWS_SQL.read_text("utf-8"))
    filters = conn.execute(
        f"select distinct table_name, filter_column, filter_value from [{TABLE}] where filter_column <> ''"
    ).fetchall()
    assert {t for t, _, _ in filters} >= {"coproduction_log", "projects", "gate_assurance", "you_said_we_did_current"}
    assert {t for t, f, _ in filters if f.startswith("[")} >= {"gate_assurance", "measure_balance"}
    for table, f, value in filters:
        for column in facets[table]:
            stored = conn.execute(
                f"select value, count from [{TABLE}] where table_name = ? and filter_column = ? and filter_value = ? "
                "and column_name = ? and rank > 0 order by rank",
                (table, f, value, column),
            ).fetchall()
            # one filter, or a view's pair of them (register/database/pair_counts.py)
            names, values = (json.loads(f), json.loads(value)) if f.startswith("[") else ([f], [value])
            where = " and ".join(f"[{name}] = ?" for name in names)
            live = conn.execute(
                f"select [{column}], count(*) from [{table}] where {where} and [{column}] is not null "
                f"group by [{column}] order by count(*) desc, [{column}]",
                values,
            ).fetchall()
            distinct = conn.execute(f"select count(distinct [{column}]) from [{table}]").fetchone()[0]
            if stored or (distinct <= CUBE_VALUES and column not in can[table]):
                assert stored == live, (table, f, value, column)


def test_the_counts_of_the_log_are_what_its_rows_add_up_to(build_dir, package):
    """log_by_project_gate, log_by_project_place and log_by_month, which the measures and
    the report add up further, against the rows of datasets/coproduction_log.csv counted
    here (an append adds to them, and tests/integration/test_incremental.py holds that to
    a full build; this holds the full build to the rows)."""
    rows = csv_rows(package.resource("coproduction_log"))
    assert {r["participation_level"] for r in rows} >= {"co_production", "co_design"}

    yes = {"true", "yes", "1"}

    def number(text):
        return int(text) if text else None

    def total(values):
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    def count(keys, figures):
        groups = {}
        for r in rows:
            groups.setdefault(tuple(keys(r)), []).append(r)
        return {k: tuple(f(rs) for f in figures) for k, rs in groups.items()}

    def offered(r):  # reimbursement_offered as SQLite holds it: 1, 0 or NULL
        return None if r["reimbursement_offered"] == "" else int(r["reimbursement_offered"].lower() in yes)

    def lived_some(r):
        n = number(r["lived_experience_count"])
        return None if n is None else int(n > 0)

    def both(a, b):  # SQL's AND: false if either is, else unknown if either is
        return 0 if 0 in (a, b) else None if None in (a, b) else 1

    lived = lambda rs: total(number(r["lived_experience_count"]) for r in rs)  # noqa: E731
    staff = lambda rs: total(number(r["staff_count"]) for r in rs)  # noqa: E731
    expected = {
        "SELECT project_id, gate, activities, panel_activities FROM log_by_project_gate": count(
            lambda r: (r["project_id"], r["gate"]),
            [
                len,
                lambda rs: total(both(lived_some(r), offered(r)) for r in rs),
            ],
        ),
        "SELECT project_id, place, activities, coproduction_activities, lived_experience_people, staff_people "
        "FROM log_by_project_place": count(
            lambda r: (r["project_id"], r["place"] or None),
            [len, lambda rs: sum(r["participation_level"] == "co_production" for r in rs), lived, staff],
        ),
        "SELECT month, participation_level, reimbursement_offered, activities, lived_experience_people, staff_people "
        "FROM log_by_month": count(
            lambda r: (
                r["activity_date"][:7],
                r["participation_level"],
                offered(r),
            ),
            [len, lived, staff],
        ),
    }
    conn = sqlite3.connect(build_dir / "register.db")
    for sql, want in expected.items():
        n = len(next(iter(want)))
        got = {tuple(r[:n]): tuple(r[n:]) for r in conn.execute(sql)}
        assert got == want, sql
