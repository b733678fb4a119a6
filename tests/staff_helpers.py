"""Helpers shared by the tests of the staff workflows (issue 4): run the real `make`
targets against a scratch copy of the repository, and fingerprint its datasets/ so a
test can prove a refused input changed nothing."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
from pathlib import Path

from register.schema.package import ROOT

STAFF = ROOT / "tests" / "data" / "staff"
# A fixed "today" for the subprocesses, so default dates are known to the tests.
TODAY = "2026-01-15"


def make(
    target: str,
    root: Path | bytes,
    *,
    input: str | bytes | None = None,
    env: dict | None = None,
    timeout: float = 120,
    **variables: str | bytes,
) -> subprocess.CompletedProcess:
    """`make <target> ROOT=<root> NAME=value ...` run from the real Makefile. Values may be
    bytes (any bytes but NUL, as a shell would pass them); then, or when the input is
    bytes, stdout and stderr are bytes too."""
    raw = isinstance(input, bytes) or isinstance(root, bytes) or any(isinstance(v, bytes) for v in variables.values())
    cmd = [b"make", b"-s", b"--no-print-directory", b"-C", os.fsencode(ROOT), target.encode()]
    cmd += [b"ROOT=" + os.fsencode(root)]
    cmd += [k.encode() + b"=" + (v if isinstance(v, bytes) else str(v).encode()) for k, v in variables.items()]
    if raw and isinstance(input, str):
        input = input.encode()
    full_env = {**os.environ, "REGISTER_TODAY": TODAY, **(env or {})}
    return subprocess.run(cmd, input=input, capture_output=True, text=not raw, timeout=timeout, env=full_env)


def popen_make(target: str, root: Path, env: dict | None = None, **variables) -> subprocess.Popen:
    """The same, started in its own process group so a test can kill make and Python together."""
    cmd = ["make", "-s", "--no-print-directory", "-C", str(ROOT), target, f"ROOT={root}"]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    full_env = {**os.environ, "REGISTER_TODAY": TODAY, **(env or {})}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, start_new_session=True
    )


def digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under datasets/, by path: equal digests mean byte-for-byte
    the same files, and no file added or removed."""
    base = Path(root) / "datasets"
    return {
        str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def rows(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def next_id(path: Path, prefix: str) -> int:
    """The number the next generated identifier should have."""
    numbers = [int(r["id"].split("-")[1]) for r in rows(path) if r["id"].startswith(prefix + "-")]
    return max(numbers, default=0) + 1


def exit_code(result: subprocess.CompletedProcess) -> int:
    """The script's own exit code: make exits 2 whenever a recipe fails and names the
    recipe's code in its last line ("make: *** [Makefile:50: append] Error 1")."""
    import re

    if result.returncode == 0:
        return 0
    m = re.search(r"\] Error (\d+)\s*$", result.stderr)
    assert m, f"make failed without a recipe error:\n{result.stderr}"
    return int(m.group(1))


def refused(root: Path, target: str = "append", **variables) -> subprocess.CompletedProcess:
    """`make <target>` is refused (exit 1) and the register's files are unchanged byte for
    byte; returns the result, whose messages the caller checks."""
    before = digest(root)
    result = make(target, root, **variables)
    assert exit_code(result) == 1, result.stderr
    assert digest(root) == before
    return result


def refused_each(root: Path, table: str, cases: list[tuple[Path, str]]) -> list[subprocess.CompletedProcess]:
    """`make append` of each file is refused (exit 1) with its message, naming the file,
    and the register's files are unchanged byte for byte. Returns the results."""
    results = []
    for path, expected in cases:
        result = refused(root, TABLE=table, FILE=path, REBUILD="no")
        assert f"{path}, {expected}" in result.stderr, result.stderr
        results.append(result)
    return results
