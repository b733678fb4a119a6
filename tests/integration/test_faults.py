"""Faults, really done: processes killed with SIGKILL part-way through a write, two
appends at once, a read-only datasets/ and a full disk, a damaged database on start-up.

The promise (BRIEF): builds and appends are atomic and all-or-nothing, so whatever
happens the site serves a whole database and datasets/ holds either the old rows or the
old rows plus every new one, never part of a batch and never a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from register.database import integrity
from register.database.build import build
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance
from register.util import locking
from register.util.files import database_digest
from tests.conftest import copy_repo
from tests.hardening import (
    PYTHON,
    append_cmd,
    assert_clear_failure,
    csv_text,
    env_without_test_hooks,
    read_rows,
    run,
    tree_digest,
    you_said_rows,
)

PORT = 8200  # this file's port (issue 8's range is 8200-8209)
TABLE = "you_said_we_did"


@pytest.fixture(scope="module")
def built_template(tmp_path_factory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("faults-template"))
    build(Package(repo), repo / "build")
    return repo


@pytest.fixture
def built(built_template, tmp_path) -> Path:
    """A scratch repository with its own build/, as `make build` leaves it (copied from
    one build per module: building takes longer than copying)."""
    repo = tmp_path / "repo"
    shutil.copytree(built_template, repo)
    return repo


def db_rows(db: Path, table: str = TABLE) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    finally:
        conn.close()


def integrity_ok(db: Path) -> bool:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def served_count(build_dir: Path, table: str = TABLE) -> int:
    ds = datasette_instance(build_dir)
    response = asyncio.run(ds.client.get(f"/register/{table}.json?_size=0&_shape=objects"))
    assert response.status_code == 200, response.text[:500]
    return response.json()["filtered_table_rows_count"]


def wait_for(predicate, timeout: float, interval: float = 0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def add_rows_directly(repo: Path, n: int, start: int = 5000) -> None:
    """More valid rows in the scratch copy, so the build has something to chew on."""
    path = repo / "datasets" / f"{TABLE}.csv"
    rows = you_said_rows(n, "bulk")
    for i, row in enumerate(rows):
        row["id"] = f"YS-{start + i:04d}"
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n").writerows(rows)


# --- the build ---------------------------------------------------------------------


def test_build_killed_mid_write_leaves_the_old_database_served_and_intact(built):
    out = built / "build"
    db = out / "register.db"
    before_hash, before_rows = database_digest(db), db_rows(db)
    ds_count_before = served_count(out)
    add_rows_directly(built, 300)  # the next build would serve different data

    proc = subprocess.Popen(
        [PYTHON, "-m", "register.database.build", "--root", str(built), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        tmp = wait_for(lambda: next((p for p in out.glob(".register.db.*.tmp") if p.stat().st_size > 0), None), 60)
        assert tmp is not None, "the build never started writing its temporary database"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # The file the site serves is the old one, whole.
    assert database_digest(db) == before_hash
    assert integrity_ok(db)
    assert db_rows(db) == before_rows
    assert integrity.check(out) == []
    assert served_count(out) == ds_count_before
    # The half-written file is left behind, never served, and cleared at the next start.
    assert tmp.exists()
    assert integrity.ensure(out, built) is False
    assert not tmp.exists()


def test_a_database_out_of_step_with_its_inspect_file_is_rebuilt(built, tmp_path):
    """What a kill between the rename and writing inspect.json leaves: a whole database
    that inspect.json (hash, counts) does not describe."""
    out = built / "build"
    (tmp_path / "other").mkdir()
    other = copy_repo(tmp_path / "other")
    add_rows_directly(other, 10)
    build(Package(other), other / "build")
    shutil.copy2(other / "build" / "register.db", out / "register.db")
    problems = integrity.check(out)
    assert any("digest" in p or "bytes" in p for p in problems), problems
    assert integrity.ensure(out, built) is True
    assert integrity.check(out) == []
    assert db_rows(out / "register.db") == len(read_rows(built / "datasets" / f"{TABLE}.csv"))


def _overwrite_middle(db: Path):
    with db.open("r+b") as f:
        f.seek(db.stat().st_size // 2)
        f.write(b"\xde\xad\xbe\xef" * 16)


def _truncate(db: Path):
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size // 3)


def _garbage(db: Path):
    db.write_bytes(os.urandom(8192))


def _no_inspect(db: Path):
    (db.parent / "inspect.json").unlink()


def _bad_inspect(db: Path):
    (db.parent / "inspect.json").write_text('{"register": ', "utf-8")


@pytest.mark.parametrize(
    "damage", [_overwrite_middle, _truncate, _garbage, _no_inspect, _bad_inspect], ids=lambda f: f.__name__.strip("_")
)
def test_a_damaged_database_is_detected_and_rebuilt(built, damage):
    out = built / "build"
    good_rows = db_rows(out / "register.db")
    damage(out / "register.db")
    problems = integrity.check(out)
    assert problems, "damage went unnoticed"
    with pytest.raises(integrity.IntegrityError):
        integrity.ensure(out, built, rebuild=False)
    assert integrity.ensure(out, built) is True
    assert integrity.check(out) == []
    assert integrity_ok(out / "register.db")
    assert db_rows(out / "register.db") == good_rows
    assert served_count(out) == good_rows


def test_bytes_changed_inside_a_page_are_caught_by_the_hash_not_only_by_sqlite(built):
    """SQLite's own check reads structure, not every byte of text: the hash is what
    catches a silently changed value."""
    out = built / "build"
    db = out / "register.db"
    data = db.read_bytes()
    marker = b"Overuse of the word coproduction"
    at = data.find(marker)
    assert at > 0
    with db.open("r+b") as f:
        f.seek(at)
        f.write(b"Overuse of the word CO-PRODUCTION")  # same length, still valid SQLite
    assert integrity._quick_check(db) == []
    assert any("digest" in p for p in integrity.check(out))


def _free_port(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_serve_start_up_rebuilds_a_damaged_database_then_serves(built):
    """`make serve`'s start-up path, through the command line, on this file's port."""
    out = built / "build"
    good_rows = db_rows(out / "register.db")
    _overwrite_middle(out / "register.db")

    refused = run(
        [
            PYTHON,
            "-m",
            "register.site.serve",
            "--build-dir",
            str(out),
            "--root",
            str(built),
            "--no-rebuild",
            "--port",
            str(PORT),
        ],
        timeout=60,
    )
    assert refused.returncode == 1
    assert "Not serving" in refused.stderr and "Traceback" not in refused.stderr

    if not _free_port(PORT):
        pytest.skip(f"port {PORT} is in use")
    proc = subprocess.Popen(
        [PYTHON, "-m", "register.site.serve", "--build-dir", str(out), "--root", str(built), "--port", str(PORT)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def answer():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/register/{TABLE}.json?_size=0", timeout=2) as r:
                    return json.load(r)
            except OSError:
                return None

        data = wait_for(answer, 60, interval=0.2)
        assert data is not None, "the server did not answer after the rebuild"
        assert data["filtered_table_rows_count"] == good_rows
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "does not match the digest" in err and "Rebuilt" in err
    assert integrity.check(out) == []


# --- appends -----------------------------------------------------------------------


def _new_file(tmp_path: Path, name: str, n: int, tag: str) -> Path:
    path = tmp_path / name
    path.write_text(csv_text(you_said_rows(n, tag)), "utf-8")
    return path


def _temp_files(repo: Path) -> list[Path]:
    return list((repo / "datasets").glob(f".{TABLE}.csv.*.append.tmp"))


def _data(repo: Path) -> list[dict]:
    return read_rows(repo / "datasets" / f"{TABLE}.csv")


def _assert_whole(rows: list[dict], old: list[dict], batches: dict[str, int]) -> None:
    """The file holds the old rows unchanged, then each batch whole or not at all, once."""
    assert rows[: len(old)] == old
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "an identifier was given twice"
    for tag, n in batches.items():
        got = sum(1 for r in rows if f"Hardening test {tag} " in r["you_said"])
        assert got in (0, n), f"batch {tag}: {got} of {n} rows landed"


def test_append_killed_before_its_rename_loses_nothing_and_the_next_append_finishes(built, tmp_path):
    old = _data(built)
    before = tree_digest(built / "datasets", hidden=False)
    new = _new_file(tmp_path, "new.csv", 200, "killed")
    env = dict(env_without_test_hooks(), REGISTER_TEST_PAUSE_BEFORE_REPLACE="60")
    proc = subprocess.Popen(
        append_cmd(built, TABLE, new),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: _temp_files(built), 30), "the append never wrote its new file"
        time.sleep(0.2)  # into the pause: the new file is written and fsynced, not yet renamed
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert tree_digest(built / "datasets", hidden=False) == before
    assert list((built / "datasets").glob(f".{TABLE}.csv.*.append.tmp")), "expected the killed append's temp file"

    again = run(append_cmd(built, TABLE, new), env=env_without_test_hooks())
    assert again.returncode == 0, again.stderr
    rows = _data(built)
    _assert_whole(rows, old, {"killed": 200})
    assert len(rows) == len(old) + 200
    assert not list((built / "datasets").glob(".*.tmp")), "stale temp files were not cleared"


@pytest.mark.parametrize("moment", ["writing the new file", "rebuilding the database"])
def test_append_killed_without_any_hook_leaves_all_or_nothing(built, tmp_path, moment):
    """No test hook: SIGKILL the moment the append is seen doing something on disk."""
    old = _data(built)
    db = built / "build" / "register.db"
    old_db = database_digest(db)
    new = _new_file(tmp_path, "new.csv", 2000, "anytime")
    watch = {
        "writing the new file": lambda: _temp_files(built),
        "rebuilding the database": lambda: list(db.parent.glob(".register.db.*.tmp")),
    }[moment]
    proc = subprocess.Popen(
        append_cmd(built, TABLE, new),
        cwd=ROOT,
        env=env_without_test_hooks(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen = wait_for(watch, 30, interval=0.0005)
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not seen:
        pytest.skip(f"the append finished before it could be caught {moment}")
    rows = _data(built)
    _assert_whole(rows, old, {"anytime": 2000})
    if moment == "rebuilding the database":
        assert len(rows) == len(old) + 2000  # the rows were saved before the rebuild began
    assert database_digest(db) == old_db and integrity_ok(db)  # the old database, whole


def test_two_appends_at_once_both_land(built, tmp_path):
    old = _data(built)
    a, b = _new_file(tmp_path, "a.csv", 30, "first"), _new_file(tmp_path, "b.csv", 40, "second")
    release = tmp_path / "release"
    env_a = dict(
        env_without_test_hooks(), REGISTER_TEST_PAUSE_BEFORE_REPLACE="30", REGISTER_TEST_RELEASE_FILE=str(release)
    )
    err_b = (tmp_path / "b.err").open("w+")
    pa = subprocess.Popen(
        append_cmd(built, TABLE, a),
        cwd=ROOT,
        env=env_a,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pb = None
    try:
        # A holds the lock once its new file exists (it takes the lock before writing).
        assert wait_for(lambda: _temp_files(built), 30), "the first append never wrote its new file"
        pb = subprocess.Popen(
            append_cmd(built, TABLE, b),
            cwd=ROOT,
            env=env_without_test_hooks(),
            stdout=subprocess.PIPE,
            stderr=err_b,
            text=True,
        )
        assert wait_for(lambda: "waiting" in Path(err_b.name).read_text(), 30, interval=0.05), (
            "the second append did not wait for the first"
        )
        release.touch()
        out_a, _ = pa.communicate(timeout=60)
        out_b, _ = pb.communicate(timeout=60)
    finally:
        for p in (pa, pb):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        err_b.close()
    assert pa.returncode == 0 and pb.returncode == 0, (out_a, out_b, Path(err_b.name).read_text())
    rows = _data(built)
    _assert_whole(rows, old, {"first": 30, "second": 40})
    assert len(rows) == len(old) + 70
    assert db_rows(built / "build" / "register.db") == len(rows)


def test_two_appends_started_together_without_hooks_both_land(built, tmp_path):
    old = _data(built)
    files = [_new_file(tmp_path, f"{t}.csv", 25, t) for t in ("racea", "raceb", "racec")]
    procs = [
        subprocess.Popen(
            append_cmd(built, TABLE, f, "--no-build"),
            cwd=ROOT,
            env=env_without_test_hooks(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    rows = _data(built)
    _assert_whole(rows, old, {"racea": 25, "raceb": 25, "racec": 25})
    assert len(rows) == len(old) + 75


# --- a read-only datasets/ and a full disk -------------------------------------------


@contextlib.contextmanager
def read_only(path: Path):
    """Make a directory really read-only, even for root (a read-only bind mount)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without permission to mount: cannot make a read-only directory")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield
    finally:
        subprocess.run(["umount", str(path)], capture_output=True)


def test_read_only_datasets_gives_a_clear_error_and_changes_nothing(built, tmp_path):
    new = _new_file(tmp_path, "new.csv", 3, "readonly")
    before = tree_digest(built / "datasets")
    with read_only(built / "datasets"):
        with pytest.raises(OSError):
            (built / "datasets" / "probe").write_text("x")
        result = run(append_cmd(built, TABLE, new), env=env_without_test_hooks())
    assert_clear_failure(result)
    assert "read-only" in result.stderr.lower() or "permission" in result.stderr.lower(), result.stderr
    assert tree_digest(built / "datasets") == before


def _limit_file_size(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_runs_out_of_space_gives_a_clear_error_and_changes_nothing(built, tmp_path):
    """RLIMIT_FSIZE makes every write past `limit` bytes fail (EFBIG), as a full disk
    would; it needs no privileges."""
    new = _new_file(tmp_path, "new.csv", 50, "full")
    csv_size = (built / "datasets" / f"{TABLE}.csv").stat().st_size
    before = tree_digest(built / "datasets")
    result = run(
        append_cmd(built, TABLE, new), env=env_without_test_hooks(), preexec_fn=_limit_file_size(csv_size + 100)
    )
    assert_clear_failure(result)
    assert tree_digest(built / "datasets") == before


@contextlib.contextmanager
def tiny_disk(path: Path, size_kb: int):
    path.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], capture_output=True)


def test_a_full_disk_during_append_gives_a_clear_error_and_changes_nothing(built, tmp_path):
    new = _new_file(tmp_path, "new.csv", 50, "diskfull")
    with tiny_disk(tmp_path / "disk", 2048) as disk:
        repo = disk / "repo"
        repo.mkdir()
        copy_repo(repo)
        (repo / "build").mkdir()
        # Fill what is left, so the append's temporary copy cannot be written.
        with (disk / "filler").open("wb", buffering=0) as f:
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        before = tree_digest(repo / "datasets")
        result = run(append_cmd(repo, TABLE, new, "--no-build"), env=env_without_test_hooks())
        after = tree_digest(repo / "datasets")
    assert_clear_failure(result)
    assert "space" in result.stderr.lower() or "full" in result.stderr.lower(), result.stderr
    assert after == before


# --- what killed writers leave behind ----------------------------------------------


@pytest.fixture(scope="module")
def leftovers(built_template, tmp_path_factory) -> dict[str, bytes]:
    """The temporary files a real append and a real build leave when SIGKILLed part-way
    (name: bytes), made once in a scratch repository for the tests below to put back."""
    repo = tmp_path_factory.mktemp("leftovers") / "repo"
    shutil.copytree(built_template, repo)
    new = _new_file(repo.parent, "new.csv", 50, "leftover")
    paused = dict(env_without_test_hooks(), REGISTER_TEST_PAUSE_BEFORE_REPLACE="60")
    killed = {}
    for what, cmd, env, where, pattern in (
        ("append", append_cmd(repo, TABLE, new), paused, repo / "datasets", f".{TABLE}.csv.*.append.tmp"),
        (
            "build",
            [PYTHON, "-m", "register.database.build", "--root", str(repo)],
            env_without_test_hooks(),
            repo / "build",
            ".register.db.*.tmp",
        ),
    ):
        if what == "build":
            add_rows_directly(repo, 300)  # something for the build to chew on while it is killed
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            tmp = wait_for(lambda: next((p for p in where.glob(pattern) if p.stat().st_size > 0), None), 60)  # noqa: B023
            assert tmp is not None, f"the {what} never wrote its temporary file"
            if what == "append":
                time.sleep(0.2)  # into the pause: written and fsynced, not yet renamed
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert tmp.exists(), f"the killed {what} left nothing behind"
        killed[tmp.name] = tmp.read_bytes()
    return killed


def _put_back(leftovers: dict[str, bytes], repo: Path, pid: int | None) -> list[Path]:
    """The killed writers' files in `repo`, renamed to carry `pid` (a process id that has
    been given to another, running process) or, with None, the id they were left with."""
    placed = []
    for name, data in leftovers.items():
        where = repo / ("datasets" if name.endswith(".append.tmp") else "build")
        if pid is not None:
            name = re.sub(r"\.[0-9]+\.", f".{pid}.", name, count=1)
        (where / name).write_bytes(data)
        placed.append(where / name)
    return placed


def _next_update_status(repo: Path) -> subprocess.CompletedProcess:
    return run(
        [PYTHON, "-m", "register.staff.update_status", "--root", str(repo), "--id", "YS-0001", "--status", "open"]
        + ["--note", "Reopened: people said it is not done."]  # YS-0001 is closed: reopening says why
        + ["--source", "nn_icb_strategy_2025", "--section", "8.1", "--no-build"],
        env=env_without_test_hooks(),
    )


def _next_build(repo: Path) -> subprocess.CompletedProcess:
    return run([PYTHON, "-m", "register.database.build", "--root", str(repo)], env=env_without_test_hooks())


def _next_serve_start_up(repo: Path) -> subprocess.CompletedProcess:
    return run(
        [PYTHON, "-m", "register.site.serve", "--build-dir", str(repo / "build"), "--root", str(repo), "--check-only"],
        env=env_without_test_hooks(),
    )


@pytest.mark.parametrize("reused", [False, True], ids=["pid-gone", "pid-reused"])
@pytest.mark.parametrize(
    "command", [_next_update_status, _next_build, _next_serve_start_up], ids=lambda f: f.__name__[len("_next_") :]
)
def test_what_killed_writers_left_is_cleared_by_the_next_command_that_takes_the_lock(built, leftovers, command, reused):
    """Whoever takes the lock is the only writer, so every temporary file present then is
    a killed writer's, whatever process now has the id in its name (here: this one)."""
    placed = _put_back(leftovers, built, os.getpid() if reused else None)
    assert sorted(p.parent.name for p in placed) == ["build", "datasets"]
    before = tree_digest(built / "datasets", hidden=False)
    result = command(built)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert [p for p in placed if p.exists()] == []
    assert "left behind" in result.stderr
    if command is not _next_update_status:
        assert tree_digest(built / "datasets", hidden=False) == before


def test_only_the_writers_own_temporary_files_are_removed(tmp_path):
    repo = copy_repo(tmp_path)
    (repo / "build").mkdir()
    stale = [
        repo / "datasets" / f".{TABLE}.csv.4242.append.tmp",
        repo / "datasets" / "codelists" / ".themes.csv.17.append.tmp",
        repo / "build" / ".register.db.4242.tmp",
        repo / "build" / ".register.db.4242.tmp-journal",
        repo / "build" / ".register-search.4242.tmp",
        repo / "build" / ".register-share.4242.tmp",
        repo / "build" / ".register-share.4242.json",
        repo / "build" / ".register-share.4242.json.part",
        repo / "build" / ".register-derived.4242.tmp",
        repo / "build" / ".register-derived.4242.json",
        repo / "build" / ".register-derived.4242.json.part",
    ]
    kept = [
        repo / "datasets" / f".{TABLE}.csv.swp",
        repo / "datasets" / f"{TABLE}.csv.4242.append.tmp",
        repo / "datasets" / f".{TABLE}.csv.x42.append.tmp",
        repo / "build" / "register.db",
        repo / "build" / ".register.db.4242.tmp.bak",
        repo / "build" / ".register.db.tmp",
        repo / "build" / "inspect.json",
        repo / "build" / ".register-derived.x42.tmp",
    ]
    for p in stale + kept:
        p.write_bytes(b"x")
    removed = locking.remove_stale_temps(repo)
    assert sorted(removed) == sorted(stale)
    assert all(p.exists() for p in kept)
