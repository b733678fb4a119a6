"""Today is the day in England for every part of the register (register/util/clock.py):
the staff commands and the checks, the site (one process or several), `make report` and
`make extracts`. On a machine whose clock runs in UTC, half an hour after midnight in
England in summer is already the next day.

The commands run under libfaketime, as the server does in test_moved_clock.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest

from register.database.build import build
from register.publishing.extract_tables import AS_OF_KEY
from register.schema.package import Package, today
from register.util.clock import local_today
from tests.conftest import copy_repo
from tests.hostile_run import free_port
from tests.integration.test_extracts_moved_clock import make_extracts
from tests.integration.test_moved_clock import fetch, preload  # noqa: F401  (preload is a fixture)
from tests.staff_helpers import exit_code, make, rows

UPDATES = "datasets/you_said_we_did_updates.csv"


def on_a_utc_machine(preload: str, utc: str) -> dict:  # noqa: F811
    """A command's environment: the real date (no REGISTER_TODAY) and the clock at `utc`,
    on a machine whose own zone is UTC (an empty TZ is UTC, as a CI runner's zone is)."""
    return {"REGISTER_TODAY": "", "LD_PRELOAD": preload, "FAKETIME": f"@{utc}", "TZ": ""}


def test_update_status_just_after_midnight_in_england_is_dated_that_day(preload, tmp_path):  # noqa: F811
    repo = copy_repo(tmp_path)
    env = on_a_utc_machine(preload, "2026-05-31 23:30:00")  # 00:30 on 1 June in England
    done = make(
        "update-status", repo, env=env, ID="YS-0016", STATUS="in_progress", NOTE="Under way.",
        SOURCE="nn_icb_strategy_2025", SECTION="8.2",
    )  # fmt: skip
    assert exit_code(done) == 0, done.stdout + done.stderr
    assert rows(repo / UPDATES)[-1]["update_date"] == "2026-06-01"
    assert "from 2026-06-01" in done.stdout
    # Today's date in England, given as DATE=, is not "in the future".
    done = make(
        "update-status", repo, env=env, ID="YS-0017", STATUS="in_progress", NOTE="Under way too.",
        SOURCE="nn_icb_strategy_2025", SECTION="8.2", DATE="2026-06-01",
    )  # fmt: skip
    assert exit_code(done) == 0, done.stdout + done.stderr
    assert rows(repo / UPDATES)[-1]["update_date"] == "2026-06-01"


@pytest.mark.parametrize(
    "utc, tz, day",
    [
        ("2026-05-31T23:30:00+00:00", None, "2026-06-01"),  # summer time: England is an hour ahead
        ("2026-12-31T23:30:00+00:00", None, "2026-12-31"),  # winter: England is on UTC
        ("2026-05-31T23:30:00+00:00", "", "2026-06-01"),  # an empty TZ names no zone
        ("2026-05-31T23:30:00+00:00", "UTC", "2026-05-31"),  # TZ set: its day, as the site's
    ],
)
def test_local_today_is_englands_day_unless_tz_is_set(monkeypatch, utc, tz, day):
    monkeypatch.setenv("TZ", tz) if tz is not None else monkeypatch.delenv("TZ", raising=False)
    now = dt.datetime.fromisoformat(utc)
    assert local_today(now).isoformat() == day
    assert local_today(now.astimezone(ZoneInfo("Asia/Tokyo"))).isoformat() == day


def test_a_tz_changed_since_the_process_took_englands_day_is_read_afresh(monkeypatch):
    """The report sets TZ=Europe/London in its own process (register/util/clock.py,
    in_england); a TZ set after that is the zone local_today() takes, not the C library's
    copy of the old one, which only time.tzset() renews."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        monkeypatch.setenv("TZ", "UTC")
        assert local_today(dt.datetime.fromisoformat("2026-05-31T23:30:00+00:00")).isoformat() == "2026-05-31"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("value", ["2026-02-29", "29/02/2028", "tomorrow", "2026-6-1"])
def test_a_register_today_that_is_no_date_is_said_plainly(monkeypatch, value):
    monkeypatch.setenv("REGISTER_TODAY", value)
    with pytest.raises(SystemExit) as stopped:
        today()
    assert str(stopped.value).startswith(f"REGISTER_TODAY={value!r} is not a date written YYYY-MM-DD")


def test_register_today_is_taken_as_given(monkeypatch):
    monkeypatch.setenv("REGISTER_TODAY", " 2028-02-29 ")
    assert today() == dt.date(2028, 2, 29)


def test_extracts_on_a_machine_whose_tz_is_empty_are_for_englands_day(preload, tmp_path):  # noqa: F811
    """An empty TZ names no zone (the C library takes UTC): `make extracts` takes England's
    day then too, as the staff commands do, not the UTC day before it."""
    repo = copy_repo(tmp_path)
    build(Package(repo), repo / "build")
    run = make_extracts(repo, on_a_utc_machine(preload, "2026-05-31 23:30:00"))
    assert run["package"][AS_OF_KEY] == "2026-06-01"


def test_the_multi_process_app_started_without_tz_takes_englands_day(preload, tmp_path):  # noqa: F811
    """`python -m uvicorn --factory register.site.asgi:app`, as docs/deployment.md gives it,
    with no TZ: what is overdue turns at midnight in England, as under `make serve`."""
    repo = copy_repo(tmp_path)
    build(Package(repo), repo / "build")
    port = free_port()
    env = {**os.environ, **on_a_utc_machine(preload, "2026-05-31 23:30:00"), "REGISTER_BUILD_DIR": str(repo / "build")}
    env.pop("TZ")  # not set at all
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "register.site.asgi:app", "--port", str(port)]
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = fetch(port, "/register.json?sql=select+date('now','localtime')+as+d&_shape=array")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        assert status == 200 and json.loads(body) == [{"d": "2026-06-01"}]
    finally:
        server.terminate()
        server.wait(10)


def test_the_report_opened_in_a_notebook_without_tz_takes_englands_day(preload, tmp_path):  # noqa: F811
    """JupyterLab's kernel (`make lab`) or an analyst's own Python, with no TZ, on a UTC
    machine: the report's register answers overdue for the day in England, and the
    report's own date (the notebook's date.today()) is that day too."""
    repo = copy_repo(tmp_path)
    build(Package(repo), repo / "build")
    env = {**os.environ, **on_a_utc_machine(preload, "2026-05-31 23:30:00")}
    env.pop("TZ")
    code = (
        "import datetime, sys\n"
        "from register.publishing import reportkit as rk\n"
        "conn, _ = rk.open_register(sys.argv[1])\n"
        "print(conn.execute(\"select date('now', 'localtime')\").fetchone()[0], datetime.date.today())"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(repo / "build" / "register.db")], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["2026-06-01", "2026-06-01"]
