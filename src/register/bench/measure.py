"""Wall time, CPU time and peak memory of a command run in its own process, and the
command as a person would type it, so every figure in the table can be reproduced."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from register.schema.package import ROOT

PY = sys.executable


def shown(cmd: list[str]) -> str:
    """A command as a person would type it from the repository root."""
    out = []
    for part in cmd:
        part = str(part)
        if part == PY:
            part = "python"
        part = part.replace(str(ROOT) + "/", "")
        out.append(part if re.fullmatch(r"[\w@%+=:,./-]+", part) else "'" + part.replace("'", "'\\''") + "'")
    return " ".join(out)


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its children, in bytes (0 if it has gone)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measured(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, check: bool = True) -> dict:
    """Run a command; its wall time, peak memory and output.

    Peak memory is the larger of the process's own maximum RSS and the largest sum of
    RSS over the process and its children, sampled every 50 ms (the build runs its
    search indexes in a second process).
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env={**os.environ, "CI": "true", **(env or {})})
        peak_tree = [0]
        done = threading.Event()

        def sample():
            while not done.wait(0.05):
                peak_tree[0] = max(peak_tree[0], tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shown(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {
        "seconds": seconds,
        "peak_mb": max(usage.ru_maxrss * 1024, peak_tree[0]) / 1024 / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stdout": stdout,
        "stderr": stderr,
        "code": proc.returncode,
        "command": shown(cmd),
    }


def last_line(r: dict) -> str | int:
    """The last line a failed command wrote to stderr, short enough for a table cell
    (its exit code if it wrote nothing)."""
    lines = r["stderr"].strip().splitlines()
    return lines[-1][:80] if lines else r["code"]
