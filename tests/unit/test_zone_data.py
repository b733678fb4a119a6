"""The day in England needs the C library to read England's zone: SQLite's 'localtime'
(what is overdue on the site and in the downloads) asks it, not Python. On a host without
time-zone data, or with TZ mistyped, it took UTC without a word, so between midnight and
one in the morning in summer the site's day was yesterday while the staff commands' was
today. The site, `make report` and `make extracts` now refuse to start, in one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = "from register.util.clock import in_england\nin_england()\nprint('started')"


def _start(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("TZ", "TZDIR")}
    return subprocess.run([sys.executable, "-c", CODE], env={**base, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"TZDIR": "/no/such/zoneinfo"}, "This computer has no time-zone data for Europe/London, so its clock"),
        ({"TZ": "Europe/Londn"}, "TZ=Europe/Londn is not the name of a time zone this computer knows"),
    ],
)
def test_a_zone_the_c_library_cannot_read_stops_in_one_line(env, said):
    done = _start(env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(said) and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize("tz", ["", "Europe/London", ":Europe/London", "UTC", "GMT0BST,M3.5.0/1,M10.5.0"])
def test_zones_it_can_read_start(tz):
    done = _start({"TZ": tz} if tz else {})
    assert done.returncode == 0 and done.stdout == "started\n", done.stderr
