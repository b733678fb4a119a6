"""A running site picks up a new build (issue 16): a record appended while the real server
runs is on its public page within 2 s of `make append` returning, with no restart, and
the response cache of the old build is dropped with it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from register.schema.package import ROOT
from tests.conftest import copy_repo
from tests.staff_helpers import STAFF, exit_code, make, next_id

LOG = "datasets/coproduction_log.csv"
# The promise: from `make append` returning to the record on its page.
WITHIN_S = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def wait_until_serving(server: subprocess.Popen, base: str, seconds: float = 60) -> None:
    """Until the server at base answers; fails, with what it printed if it was piped, once
    it has stopped or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if get(base + "/-/versions.json")[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None:
            said = server.stdout.read().decode() if server.stdout else ""
            raise AssertionError(f"the server stopped: {said}")
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def start_serving(build_dir, *options: str, output=subprocess.PIPE) -> tuple[subprocess.Popen, str]:
    """`python -m register.site.serve` on a free port, without warming, in a session of its
    own (so it can be stopped whole), once it answers: the server and its address."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "register.site.serve", "--build-dir", str(build_dir), *options, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "REGISTER_WARM": "0"},
        stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else output,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, base)
    except BaseException:
        os.killpg(server.pid, signal.SIGKILL)
        raise
    return server, base


@pytest.fixture
def served(tmp_path):
    """A scratch copy of the register, built and served by `python -m register.site.serve`."""
    repo = copy_repo(tmp_path)
    built = make("build", repo)
    assert built.returncode == 0, built.stderr
    server, base = start_serving(repo / "build", "--root", str(repo))
    yield repo, base, server
    stop(server)


def stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    server.wait(timeout=20)


def table_count(base: str) -> int:
    status, body = get(base + "/register/coproduction_log.json?_size=0")
    assert status == 200, body
    return json.loads(body)["filtered_table_rows_count"]


def test_an_appended_record_reaches_the_running_site_without_a_restart(served):
    repo, base, server = served
    n = next_id(repo / LOG, "LOG")
    page = f"{base}/register/coproduction_log/LOG-{n:04d}.json?_shape=array"
    # Asked for before it exists: the 404 is cached by the site, and must not outlive the build.
    assert get(page)[0] == 404
    count = table_count(base)
    result = make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv")
    assert exit_code(result) == 0, result.stderr
    returned = time.monotonic()
    assert "a running `make serve` shows them" in result.stdout
    while True:
        status, body = get(page)
        if status == 200 or time.monotonic() - returned > WITHIN_S:
            break
        time.sleep(0.05)
    assert status == 200, f"not on its page {WITHIN_S} s after the append returned: {body[:200]}"
    assert '"Listening' in body or f"LOG-{n:04d}" in body
    # The same process, the whole new build: the table's count comes from the new inspect file.
    assert server.poll() is None
    assert table_count(base) == count + 2


def test_a_build_renamed_into_place_is_not_read_before_it_is_swapped_in(tmp_path):
    """A SQL thread connects to a build on its first query, which may come after the next
    build is renamed into place and before the watcher swaps it in: that connection
    still reads the build it belongs to, not the new rows beside the old counts (a
    page showed an appended row while the table still counted without it)."""
    from register.site import reload
    from register.site.serve import datasette_instance

    repo = copy_repo(tmp_path)
    assert make("build", repo).returncode == 0
    build = repo / "build"
    ds = datasette_instance(build)
    reload.swap(ds, "register", build / "register.db", {})  # as the server's startup does
    served = ds.databases["register"]
    count = ds.inspect_data["register"]["tables"]["coproduction_log"]["count"]
    assert make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv").returncode == 0
    conn = served.connect()  # a thread's first query on the build now served
    assert conn.execute("select count(*) from coproduction_log").fetchone()[0] == count
    conn.close()
    fresh = sqlite3.connect(f"file:{build / 'register.db'}?immutable=1", uri=True)
    assert fresh.execute("select count(*) from coproduction_log").fetchone()[0] == count + 2
    fresh.close()
    served.close()  # retired: its second name goes with it
    assert not list(build.glob(".register.db.serving-*"))


def test_the_second_names_of_a_killed_server_are_removed(tmp_path):
    """By the next server to start and by the next update (register/util/pins.py)."""
    from register.util import pins

    repo = copy_repo(tmp_path)
    assert make("build", repo).returncode == 0
    db = repo / "build" / "register.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = db.with_name(f".register.db.serving-{int(gone.stdout)}-0123abcd")
    os.link(db, left)
    mine = pins.pin(db, "4567cdef")
    assert mine != db and mine.exists()
    pins.clear_dead(db)
    assert not left.exists(), "a dead process's second name keeps an old build's disk space"
    assert mine.exists(), "a live process's is its own"
    mine.unlink()


def test_a_server_that_stops_leaves_no_second_names_of_its_builds(served):
    repo, base, server = served
    assert get(base + "/register/coproduction_log.json?_size=1")[0] == 200
    # As make serve serves it, a page on another site may read the JSON (serve.CORS).
    with urllib.request.urlopen(base + "/register/projects.json?_size=1", timeout=10) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
    names = lambda: list((repo / "build").glob(".register.db.serving-*"))  # noqa: E731
    assert names(), "the site opens its build by a name of its own"
    stop(server)
    assert not names(), "each keeps an old build's disk space and its spare from being reused"


def test_a_half_written_build_is_not_served(tmp_path):
    """The database renamed into place but its inspect file not yet written: the old build
    goes on being served until the inspect file describes the new one."""
    from register.site import reload
    from register.site.serve import datasette_instance

    repo = copy_repo(tmp_path)
    assert make("build", repo).returncode == 0
    build = repo / "build"
    ds = datasette_instance(build)
    watcher = reload.Watcher(ds, "register")  # polled by hand here, not by its thread
    first = ds.databases["register"]
    count = ds.inspect_data["register"]["tables"]["coproduction_log"]["count"]
    old_inspect = (build / "inspect.json").read_bytes()
    assert make("append", repo, TABLE="coproduction_log", FILE=STAFF / "log_good.csv").returncode == 0
    new_inspect = (build / "inspect.json").read_bytes()
    (build / "inspect.json").write_bytes(old_inspect)  # as if the build were between its two renames
    assert watcher.poll() is False
    assert ds.databases["register"] is first
    (build / "inspect.json").write_bytes(new_inspect)
    assert watcher.poll() is True
    assert ds.databases["register"] is not first
    assert ds.databases["register"].cached_table_counts["coproduction_log"] == count + 2
    assert watcher.poll() is False  # nothing new since


def test_the_watcher_trusts_an_inspect_file_written_for_the_very_file_in_place(tmp_path):
    """The build records the inode, size and time of the file it hashed, so a running site
    need not read 1.6 GB again to know the inspect file is this build's; a file that is
    not exactly that one is checked by its hash as before."""
    import os

    from register.site import reload

    repo = copy_repo(tmp_path)
    assert make("build", repo).returncode == 0
    db, inspect_path = repo / "build" / "register.db", repo / "build" / "inspect.json"
    inspect = json.loads(inspect_path.read_text())
    assert inspect["register"]["file_stamp"] == list(reload.stamp(db))
    inspect["register"]["hash"] = "0" * 64  # never compared while the stamp matches
    inspect_path.write_text(json.dumps(inspect))
    assert reload.inspect_for(db, "register") == inspect
    st = db.stat()
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # another file, as far as anyone can tell
    assert reload.inspect_for(db, "register") is None


def test_a_code_added_while_the_site_runs_is_known_to_its_pages(tmp_path):
    """The codelists were kept on the Datasette object, which a new build does not
    replace: a theme added with `make add` while the site ran was unknown to it (its
    "You said" filter answered 400 "There is no theme ...") until a restart. They are
    kept with the build they were read from."""
    import asyncio

    from register.site import reload
    from register.site.links import load_codelists
    from register.site.serve import datasette_instance

    repo = copy_repo(tmp_path)
    assert make("build", repo).returncode == 0
    build = repo / "build"
    ds = datasette_instance(build)
    assert "new_theme" not in asyncio.run(load_codelists(ds))["themes"]
    lines = ["new_theme", "A new theme", "What a new theme is about.", "99", "case_study_default", "p 3", "yes"]
    added = make("add", repo, TABLE="themes", input="\n".join(lines) + "\n")
    assert exit_code(added) == 0, added.stderr
    reload.swap(ds, "register", build / "register.db", json.loads((build / "inspect.json").read_text("utf-8")))
    assert asyncio.run(load_codelists(ds))["themes"]["new_theme"]["title"] == "A new theme"


def test_the_served_build_is_frozen_out_of_the_collectors_way_once_warm(build_dir):
    """register/site/long_lived.py: after the startup warm-up, what is alive is frozen."""
    import gc

    from register.site.serve import datasette_instance

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    ds = datasette_instance(build_dir)
    try:
        asyncio.run(ds.invoke_startup())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
