"""A publisher's freshness is judged by the day in England, as everything else on the
site that depends on the date is: data first seen at 00:20 on 2 June (23:20 on 1 June in
UTC) with a promise of daily updates is fresh all of 3 June, not stale from one in the
morning because its UTC date was the day before.

The score is worked out in a process whose clock is moved by libfaketime, as the server's
is in test_moved_clock.py."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.integration.test_moved_clock import preload  # noqa: F401  (a fixture)

SCRIPT = """
import sqlite3, sys
from register.national import quality
fresh = next(c.sql for c in quality.COMPONENTS if c.name == "fresh")
conn = sqlite3.connect(":memory:")
conn.execute("CREATE TABLE p (status TEXT, updated_at TEXT, frequency_days INTEGER)")
conn.execute("INSERT INTO p VALUES ('latest data', '2026-06-01T23:20:00Z', 1)")
print(conn.execute(f"SELECT {fresh} FROM p").fetchone()[0])
"""


def fresh_at(preload, when: str) -> float:  # noqa: F811
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "LD_PRELOAD": preload, "FAKETIME": f"@{when}", "TZ": "Europe/London"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip())


def test_daily_data_first_seen_just_after_midnight_in_summer_is_fresh_the_next_day(preload):  # noqa: F811
    # FAKETIME's time is local time: England's, in summer.
    assert fresh_at(preload, "2026-06-03 00:30:00") == 1.0
    assert fresh_at(preload, "2026-06-03 23:30:00") == 1.0
    assert fresh_at(preload, "2026-06-04 00:30:00") == 0.0
