"""Never stale (issue 15): on a real server whose clock is moved across an item's due
date, the item, the measure, the versioned (hashed-URL) table page and the feed all
turn overdue on that day, with no rebuild, no restart and no stale cached copy.

The server runs under libfaketime (Debian's faketime package; `make test` installs it
with scripts/install-faketime). FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1 lets
the test move the running server's clock by rewriting one file. Under CI=true the test
must run; elsewhere it skips, saying why, when libfaketime is not installed.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import http.client
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from register.database.build import build
from register.schema.package import Package
from tests.conftest import copy_repo
from tests.hostile_run import serve
from tests.schema_text import column_title

ITEM = "YS-0999"
ATOM = "{http://www.w3.org/2005/Atom}"


def libfaketime() -> str | None:
    found = sorted(
        glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") + glob.glob("/usr/lib/faketime/libfaketimeMT.so.1")
    )
    return found[0] if found else None


@pytest.fixture(scope="module")
def preload() -> str:
    path = libfaketime()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("libfaketime is not installed: `make faketime` (scripts/install-faketime) installs it")
        pytest.skip("libfaketime is not installed (run `make faketime`); the moved-clock test needs it")
    return path


def clock_env(preload: str, clock) -> dict:
    """A server's environment whose clock reads the time written in the file `clock`,
    re-read at every call, in England's time zone as the server runs."""
    return {
        "LD_PRELOAD": preload,
        "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "Europe/London",
    }


def fetch(port: int, path: str) -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8")
    finally:
        conn.close()


def register_with_an_item_due_soon(root, monkeypatch) -> str:
    """A copy of the register with one open item under the Healthwatch rule (20 working
    days), said late in 2029; built as of 1 January 2030. Returns its due date."""
    path = Package(root).resource("you_said_we_did").path
    with path.open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerow(
            [ITEM, "PRJ-0002", "LOG-0001", "2029-12-20", "closing_the_loop", "Tell us what happened to what we said.",
             "", "healthwatch_recommendation", "listening_event_beeston", "Table 1"]
        )  # fmt: skip
    monkeypatch.setenv("REGISTER_TODAY", "2030-01-01")
    build(Package(root), root / "build", progress=False)
    monkeypatch.delenv("REGISTER_TODAY")
    import sqlite3

    conn = sqlite3.connect(root / "build" / "register.db")
    ((due, basis),) = conn.execute(
        "SELECT due_date, due_date_basis FROM you_said_due_dates WHERE you_said_id = ?", (ITEM,)
    )
    conn.close()
    assert basis == "derived"
    return due


def seen(port: int, short_hash: str) -> dict:
    """What each kind of page says about the item today (each asked twice: the second
    answer may come from the cache, and must say the same)."""
    out = {}
    for _ in range(2):
        status, _, body = fetch(port, f"/register/you_said_we_did_current.json?_shape=objects&id={ITEM}")
        assert status == 200, body[:300]
        out["row"] = json.loads(body)["rows"][0]["overdue"]
        status, headers, body = fetch(
            port, f"/register-{short_hash}/you_said_we_did_current.json?_shape=objects&id={ITEM}"
        )
        assert status == 200, body[:300]
        out["hashed"] = json.loads(body)["rows"][0]["overdue"]
        out["hashed_cache_control"] = headers["cache-control"]
        status, _, body = fetch(port, "/register/measure_you_said_we_did.json?_shape=array&status=open")
        out["measure"] = json.loads(body)[0]["overdue"]
        status, _, body = fetch(port, "/measures/you_said_we_did")
        out["headline"] = re.search(r"([0-9,]+) of them overdue", body).group(1)
        status, _, body = fetch(port, "/feeds/you-said.atom")
        entry = next(
            e for e in ET.fromstring(body).iter(f"{ATOM}entry") if e.find(f"{ATOM}title").text.startswith(ITEM)
        )
        due = column_title("you_said_we_did_current", "due_date")
        out["feed"] = next(
            line for line in entry.find(f"{ATOM}content").text.splitlines() if line.startswith(f"{due}: ")
        )
    return out


def test_an_item_turns_overdue_on_every_page_when_the_clock_passes_its_due_date(preload, tmp_path, monkeypatch):
    root = copy_repo(tmp_path)
    due = dt.date.fromisoformat(register_with_an_item_due_soon(root, monkeypatch))
    short_hash = json.loads((root / "build" / "inspect.json").read_text("utf-8"))["register"]["hash"][:7]
    clock = tmp_path / "faketime"
    clock.write_text(f"@{due} 23:59:00\n")  # the due day itself: not yet overdue
    env = clock_env(preload, clock)
    with serve(root / "build", tmp_path / "serve.log", **env) as (_, port):
        before = seen(port, short_hash)
        # Fresh at most until midnight, a minute or so away on the server's clock.
        max_age = int(re.fullmatch(r"public, max-age=([0-9]+)", before["hashed_cache_control"]).group(1))
        assert max_age <= 60
        clock.write_text(f"@{due + dt.timedelta(days=1)} 00:00:05\n")  # one minute later: the next day
        after = seen(port, short_hash)
    assert (before["row"], before["hashed"]) == (0, 0)
    assert (after["row"], after["hashed"]) == (1, 1)
    assert after["measure"] == before["measure"] + 1
    assert int(after["headline"].replace(",", "")) == int(before["headline"].replace(",", "")) + 1
    assert "(overdue)" not in before["feed"] and "(overdue)" in after["feed"], (before["feed"], after["feed"])
    # The next day's pages may be cached for the whole of that day, and no longer.
    assert int(re.fullmatch(r"public, max-age=([0-9]+)", after["hashed_cache_control"]).group(1)) > 86000
