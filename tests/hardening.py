"""Helpers shared by the hardening tests (faults, hostile input, the read-only site):
run the real commands as separate processes with time limits, and fingerprint a
directory so "nothing changed" is checked byte for byte."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from register.schema.package import ROOT, Package

PYTHON = sys.executable

# A valid "You said" record (from the 2024 Beeston listening event), id left blank so the
# append gives one. Hostile tests change one thing about it at a time.
YOU_SAID_HEADER = Package(ROOT).resource("you_said_we_did").field_names
YOU_SAID_ROW = {
    "id": "",
    "project_id": "PRJ-0002",
    "activity_id": "LOG-0001",
    "said_date": "2024-08-06",
    "theme": "shared_language",
    "you_said": "Say what co-production means in plain words.",
    "target_date": "",
    "response_rule": "",
    "source": "listening_event_beeston",
    "source_section": "Table 1",
}


def tree_digest(path: Path, hidden: bool = True) -> str:
    """SHA-256 over every file's relative name and bytes under `path`: equal digests mean
    nothing was added, removed or changed. hidden=False ignores dot-files (temp files)."""
    h = hashlib.sha256()
    for p in sorted(Path(path).rglob("*")):
        rel = p.relative_to(path)
        if not hidden and any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def csv_text(rows: list[dict], header: list[str] = YOU_SAID_HEADER) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def you_said_rows(n: int, tag: str = "row") -> list[dict]:
    return [dict(YOU_SAID_ROW, you_said=f"Hardening test {tag} {i}: say what co-production means.") for i in range(n)]


def read_rows(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run(args: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """Run a command to the end; a hang is a test failure, not a stuck suite. The command
    gets its own process group so that on a hang `make` and its python both die."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True, **kwargs
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(map(str, args))} did not finish within {timeout} s (a hang)")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def append_cmd(repo: Path, table: str, file: Path, *extra: str) -> list[str]:
    return [PYTHON, "-m", "register.staff.append", "--root", str(repo), "--table", table, "--file", str(file), *extra]


def assert_clear_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    """Refused with a message a person can act on: non-zero, no Python traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stderr.strip(), "refused without saying why"
    for w in words:
        assert w.lower() in result.stderr.lower(), (w, result.stderr[-2000:])


def env_without_test_hooks() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("REGISTER_TEST_")}
