"""`make append` brings the built database up to date in place (register/database/incremental.py):
the result holds exactly what a full build of the same files holds, table by table, view by
view, search index by search index; the running site shows the new row without a restart;
anything but an append falls back to the full build and says so.

The new rows are real ones: the last rows of each table (those nothing else refers to) are
taken out of a copy of the register before it is built, then appended back through
`make append`, one table after another, so every append is an update of the one before."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from register.database.views import VIEWS_SQL, added_up, ordered, view_selects
from register.schema.package import ROOT, Package
from register.util.files import database_digest
from tests.conftest import copy_repo
from tests.integration.test_reload import get, served  # noqa: F401 (a fixture)
from tests.staff_helpers import TODAY, digest, exit_code, make, next_id

IN_PLACE = "Updated build/register.db in place"
FALLBACK = "Rebuilding the whole database:"
# Tables with rows in both registers, parents before children.
TABLES = ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates")


# --- a canonical form of a database --------------------------------------------------


def _fts_shadow(name: str, fts: set[str]) -> bool:
    return any(name.startswith(f + "_") for f in fts)


def canonical(db: Path) -> dict:
    """Everything a database holds, in a form two builds can be compared by.

    Left out, each for a reason: sqlite_master's rootpage (where a table starts in the
    file, a physical detail); the raw pages of the full-text indexes (_fts_data,
    _fts_idx), because appended rows go into a new segment of the index where a full
    build writes one merged segment: the index *content* is compared instead, every
    (term, row, column, offset) through fts5vocab, plus the averages record and the
    ordinary _docsize and _config tables; the planner's statistics in sqlite_stat1,
    of which only the list of indexes is compared: the build samples them
    (analysis_limit), estimating row counts from the shape of each b-tree, and rows
    inserted into a b-tree leave it another shape than a bulk load does; and the rowids
    of the added-up counts with no ORDER BY (views.sql, "add up by"), compared as sets
    of rows: an append adds a count it has no row for at the end, where a full build has
    it in order. They are read by their columns only, never shown, and what reads them
    puts its rows in order, so the measures made from them, and the added-up measures
    with an ORDER BY, are compared at their rowids like the rest.
    Everything else, every row of every table at its rowid, stored views and
    register_build included, must be equal.
    """
    views_sql = VIEWS_SQL.read_text("utf-8")
    selects = view_selects(views_sql)
    unordered = {view for view in added_up(views_sql) if not ordered(selects[view])}
    conn = sqlite3.connect(db)
    out: dict = {}
    master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    out["schema"] = master
    fts = {name for typ, name, _, sql in master if typ == "table" and "USING FTS5" in (sql or "").upper()}
    for typ, name, _, sql in master:
        if typ == "view":
            out[f"view {name}"] = sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))
        if typ != "table" or name in fts:
            continue
        if name == "sqlite_stat1":  # which indexes have statistics; their estimates, see above
            out[name] = conn.execute("SELECT tbl, idx FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
        elif _fts_shadow(name, fts) and name.endswith("_data"):
            out[f"{name} averages"] = conn.execute(f'SELECT block FROM "{name}" WHERE id = 1').fetchall()
        elif _fts_shadow(name, fts) and name.endswith("_idx"):
            continue
        elif "WITHOUT ROWID" in (sql or "").upper() or name in unordered:
            out[name] = sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))
        else:
            out[name] = conn.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid').fetchall()
    for name in sorted(fts):
        conn.execute(f"CREATE VIRTUAL TABLE temp.\"v_{name}\" USING fts5vocab(main, '{name}', 'instance')")
        out[f"search {name}"] = conn.execute(f'SELECT * FROM temp."v_{name}" ORDER BY 1, 2, 3, 4').fetchall()
    conn.close()
    return out


def assert_same_as_full_build(repo: Path, tmp_path: Path) -> None:
    """A full build of repo's files into another folder holds what repo's build holds."""
    full = tmp_path / "full-build"
    result = subprocess.run(
        [sys.executable, "-m", "register.database.build", "--root", str(repo), "--out", str(full)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"REGISTER_TODAY": TODAY, **_env()},
    )
    assert result.returncode == 0, result.stderr
    built, expected = canonical(repo / "build" / "register.db"), canonical(full / "register.db")
    assert sorted(built) == sorted(expected)
    for key in expected:
        assert built[key] == expected[key], f"{key} differs from a full build"
    conn = sqlite3.connect(repo / "build" / "register.db")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%USING FTS5%'").fetchall():
        conn.execute(f'INSERT INTO "{name}" ("{name}", rank) VALUES (\'integrity-check\', 1)')  # raises if not
    conn.close()
    assert (repo / "build" / "metadata.json").read_bytes() == (full / "metadata.json").read_bytes()
    # Row counts as the site shows them; those of the index segments differ as above.
    counts, expected_counts = (
        {
            k: v
            for k, v in json.loads((d / "inspect.json").read_text())["register"]["tables"].items()
            if not k.endswith(("_fts_data", "_fts_idx"))
        }
        for d in (repo / "build", full)
    )
    assert counts == expected_counts
    # The digest an update works out from the chunks it wrote is the file's
    # (register/database/page_record.py): a page missed would show here.
    recorded = json.loads((repo / "build" / "inspect.json").read_text())["register"]["hash"]
    assert recorded == database_digest(repo / "build" / "register.db")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "REGISTER_TODAY"}


# --- taking rows out, to append them back ----------------------------------------------


def take_last_rows(repo: Path, n: int, tables=TABLES) -> dict[str, bytes]:
    """Take the last n projects out of the register with every row that refers to them
    (and the rows referring to those), and the last n rows of each other table that
    nothing refers to; returns, per table, the rows taken as a CSV to append back."""
    package = Package(repo)
    data = {}
    for name in tables:
        res = package.resource(name)
        header, *body = list(csv.reader(io.StringIO(res.path.read_text("utf-8"))))
        data[name] = (res, header, body, header.index(res.primary_key[0]))
    ids = (
        {body[-k][i] for _, _, body, i in [data["projects"]] for k in range(1, n + 1)} if "projects" in data else set()
    )
    grew = True
    while grew:  # every row holding a taken id in any cell is taken too
        before = len(ids)
        for _, _, body, i in data.values():
            ids |= {row[i] for row in body if ids.intersection(row)}
        grew = len(ids) > before
    cells = {
        r.name: {cell for row in csv.reader(io.StringIO(r.path.read_text("utf-8"))) for cell in row}
        for r in package.resources
    }
    out = {}
    for name, (res, header, body, i) in data.items():
        taken = [row for row in body if row[i] in ids]
        if not taken:
            elsewhere = set().union(*(c for other, c in cells.items() if other != name))
            taken = [row for row in body if row[i] not in elsewhere][-n:]
        kept = [row for row in body if row not in taken]
        res.path.write_text(_csv([header, *kept]), "utf-8")
        assert taken, f"no row of {name} can be taken out"
        out[name] = _csv([header, *taken]).encode()
    return out


def _csv(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def append_back(repo: Path, tmp_path: Path, table: str, records: bytes, **variables) -> subprocess.CompletedProcess:
    file = tmp_path / f"{table}-back.csv"
    file.write_bytes(records)
    result = make("append", repo, TABLE=table, FILE=file, ALLOW_DUPLICATES="yes", **variables)
    assert exit_code(result) == 0, result.stderr
    return result


def appended_in_place(repo: Path, tmp_path: Path, per_table: int) -> None:
    taken = take_last_rows(repo, per_table)
    assert make("build", repo).returncode == 0
    for k, table in enumerate(TABLES):
        # The first append is not built: the next one brings both files in at once.
        result = append_back(repo, tmp_path, table, taken[table], **({"REBUILD": "no"} if k == 0 else {}))
        if k:
            assert IN_PLACE in result.stderr, result.stderr
            assert FALLBACK not in result.stderr


def test_appends_to_every_table_of_the_sample_register_match_a_full_build(repo, tmp_path):
    appended_in_place(repo, tmp_path, 2)
    assert_same_as_full_build(repo, tmp_path)


def test_appends_to_a_generated_register_match_a_full_build(tmp_path):
    repo = tmp_path / "generated"
    made = subprocess.run(
        [sys.executable, "-m", "register.bench.generate", "--size", "10000", "--today", TODAY, "--out", str(repo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    appended_in_place(repo, tmp_path, 25)
    assert_same_as_full_build(repo, tmp_path)


def test_two_appends_to_one_file_since_the_build_go_in_together(repo, tmp_path):
    taken = take_last_rows(repo, 2, ("coproduction_log",))["coproduction_log"].decode()
    header, first, second = list(csv.reader(io.StringIO(taken)))
    assert make("build", repo).returncode == 0
    append_back(repo, tmp_path, "coproduction_log", _csv([header, first]).encode(), REBUILD="no")
    result = append_back(repo, tmp_path, "coproduction_log", _csv([header, second]).encode())
    assert f"{IN_PLACE} with 2 new rows." in result.stderr, result.stderr
    assert_same_as_full_build(repo, tmp_path)


def test_the_next_update_starts_from_the_build_before_unless_something_reads_it(repo, tmp_path):
    """Each update keeps the database it replaces as the spare, and the next one turns
    the spare into the new database (the same file: its inode) by rewriting the pages
    that differ; a spare some process still has open is left exactly as it is."""
    taken = take_last_rows(repo, 3, ("coproduction_log",))["coproduction_log"].decode()
    header, *rows = list(csv.reader(io.StringIO(taken)))
    assert make("build", repo).returncode == 0
    db, spare = repo / "build" / "register.db", repo / "build" / ".register.db.spare"
    append_back(repo, tmp_path, "coproduction_log", _csv([header, rows[0]]).encode())
    kept = spare.stat().st_ino
    result = append_back(
        repo, tmp_path, "coproduction_log", _csv([header, rows[1]]).encode(), env={"REGISTER_BUILD_TIMINGS": "1"}
    )
    assert IN_PLACE in result.stderr, result.stderr
    assert "copy the database (the spare, with the pages the last update wrote)" in result.stderr
    # The log's counts are added to, and only the project's gate_assurance rows redone
    # (views.sql, "add up by" and "redo by"): the same rows as a full build, below.
    assert "stored view log_by_project_gate (added to)" in result.stderr
    assert "stored view gate_assurance (the rows of 1 project_id worked out again)" in result.stderr
    assert db.stat().st_ino == kept
    assert_same_as_full_build(repo, tmp_path / "first")
    with spare.open("rb") as held:  # a reader of the build before
        before = hashlib.sha256(held.read()).hexdigest()
        result = append_back(repo, tmp_path, "coproduction_log", _csv([header, rows[2]]).encode())
        assert IN_PLACE in result.stderr, result.stderr
        assert db.stat().st_ino != os.fstat(held.fileno()).st_ino
        held.seek(0)
        assert hashlib.sha256(held.read()).hexdigest() == before
    assert_same_as_full_build(repo, tmp_path / "second")


def test_a_verdict_goes_in_place_and_a_correction_falls_back_to_the_full_build(repo, tmp_path):
    assert make("build", repo).returncode == 0
    attest = make(
        "attest",
        repo,
        UPDATE="UPD-0001",
        PARTNER="my_life_choices",
        VERDICT="agrees",
        WORDS="We saw the new definition at the meeting.",
        SOURCE="north_cumbria_strategy",
        SECTION="Working Together in North Cumbria",
    )
    assert exit_code(attest) == 0, attest.stderr
    assert IN_PLACE in attest.stderr
    assert_same_as_full_build(repo, tmp_path)
    # A correction rewrites a row: not an append, so the whole database is built again.
    correct = make("correct", repo, ID="YS-0001", FIELD="theme", VALUE="Governance", REASON="The theme was wrong.")
    assert exit_code(correct) == 0, correct.stderr
    # Said as what it is: the command just run changed a line, nobody else changed the file.
    assert f"{FALLBACK} datasets/you_said_we_did.csv has a corrected record." in correct.stderr
    assert "other than by" not in correct.stderr
    assert IN_PLACE not in correct.stderr
    assert_same_as_full_build(repo, tmp_path / "again")


def test_a_file_edited_by_hand_falls_back_and_a_refused_append_changes_nothing(repo, tmp_path):
    records = take_last_rows(repo, 1, ("coproduction_log",))["coproduction_log"]
    assert make("build", repo).returncode == 0
    log = repo / "datasets" / "coproduction_log.csv"
    log.write_bytes(log.read_bytes())  # saved again from a spreadsheet: same rows, a stamp nobody recorded
    result = append_back(repo, tmp_path, "coproduction_log", records)
    assert f"{FALLBACK} datasets/coproduction_log.csv was changed other than by `make append`." in result.stderr
    assert_same_as_full_build(repo, tmp_path)
    # The same rows again: refused, and neither datasets/ nor the database changes.
    before, db = digest(repo), (repo / "build" / "register.db").read_bytes()
    file = tmp_path / "again.csv"
    file.write_bytes(records)
    again = make("append", repo, TABLE="coproduction_log", FILE=file)
    assert exit_code(again) == 1
    assert digest(repo) == before and (repo / "build" / "register.db").read_bytes() == db


def test_the_running_site_shows_an_appended_row_without_a_restart(served, tmp_path):  # noqa: F811
    repo, base, server = served
    log = repo / "datasets" / "coproduction_log.csv"
    header, *rows = list(csv.reader(io.StringIO(log.read_text("utf-8"))))
    new = dict(zip(header, rows[-1]), id=f"LOG-{next_id(log, 'LOG'):04d}")
    page = f"{base}/register/coproduction_log/{new['id']}.json?_shape=array"
    assert get(page)[0] == 404
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, [new[h] for h in header]])
    result = append_back(repo, tmp_path, "coproduction_log", out.getvalue().encode())
    assert IN_PLACE in result.stderr, result.stderr
    deadline = time.monotonic() + 30
    while (status := get(page)[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == 200
    assert server.poll() is None  # the same server, never restarted


@pytest.fixture
def repo(tmp_path) -> Path:
    return copy_repo(tmp_path)
