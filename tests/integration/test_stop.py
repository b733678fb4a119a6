"""Stopping the server (SIGTERM, what `kill`, `docker stop` and the hosts send) ends every
process it started: the process that draws the measures' charts was left running, 140 MB,
after each stop, because uvicorn ends by raising SIGTERM again, so Python's clean-up at
exit never runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.integration.test_reload import get, start_serving


def in_session(sid: int) -> list[int]:
    """The processes of a session (the server started as its leader, and all it started)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_sigterm_leaves_no_process_behind(build_dir):
    server, base = start_serving(build_dir, "--no-rebuild", output=subprocess.DEVNULL)
    try:
        status, svg = get(base + "/measures/balance/chart-wide.svg")  # starts the drawing process
        assert status == 200 and "<svg" in svg
        assert len(in_session(server.pid)) > 1
        server.send_signal(signal.SIGTERM)  # the server alone, as `kill PID` does
        server.wait(timeout=30)
        deadline = time.monotonic() + 10
        while in_session(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert in_session(server.pid) == []
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
