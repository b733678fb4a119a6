"""Writing checked rows: a temporary file beside the CSV, fsynced, renamed into place.

A reader or a crash sees the old file or the new, never half of one.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import time
from pathlib import Path

from register import settings
from register.checks.problems import Problem
from register.schema.package import Package, Resource
from register.util.files import lock_file

# Used only by the fault tests: seconds to pause after the new file is written and
# fsynced and before it is renamed into place, so a test can kill the append there.
PAUSE_ENV = settings.TEST_PAUSE_BEFORE_REPLACE.name
RELEASE_ENV = settings.TEST_RELEASE_FILE.name  # ...or until this file exists


def display_path(package: Package, path: Path) -> str:
    try:
        return str(path.relative_to(package.root))
    except ValueError:
        return str(path)


def inside_datasets(package: Package, path: Path) -> str | None:
    """Why a file of new records must not be kept in datasets/ (`git add datasets`, as the
    staff guide says to commit, would publish it with the register), or None."""
    try:
        path.resolve().relative_to((package.root / "datasets").resolve())
    except (ValueError, OSError, RuntimeError):
        return None
    return (
        f"{path} is inside datasets/, where only the register's own files belong: `git add datasets` would "
        "publish it with them. Move it out of datasets/ (for example to your Documents folder) and run the "
        "command again with its new place"
    )


def open_in_spreadsheet(package: Package, path: Path) -> list[Problem]:
    """Why a register file open in LibreOffice or Excel must not be written now (saving it
    there afterwards would put back the old rows over the new), or nothing."""
    lock = lock_file(path)
    if lock is None:
        return []
    where = display_path(package, path)
    return [
        Problem(
            where,
            None,
            None,
            None,
            f"this file is open in LibreOffice or Excel (its lock file {lock.name} is beside it): saving it there "
            "afterwards would overwrite what this command saves. Close it there without saving, then run the same "
            "command again; if it is not open anywhere, delete the lock file",
        )
    ]


def may_write(path: Path) -> None:
    """Raise the system's OSError if an existing file may not be written (made read-only):
    a file is replaced by renaming a new one over it, which its own permissions do not stop."""
    if path.exists():
        with path.open("r+b"):
            pass


def line_style(path: Path) -> tuple[str, bool]:
    """(line terminator, ends with one) of an existing CSV, so appended rows match it."""
    with path.open("rb") as f:
        head = f.read(65536)
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            last = f.read(1)
        else:
            last = b""
    first = head.find(b"\n")
    terminator = "\r\n" if first > 0 and head[first - 1 : first] == b"\r" else "\n"
    return terminator, last in (b"\n", b"\r") or size == 0


def temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.getpid()}.append.tmp"


def remove_stale_temps(path: Path) -> None:
    """Temporary files left by an append that was killed (only called under the lock)."""
    for p in path.parent.glob(f".{path.name}.*.append.tmp"):
        p.unlink(missing_ok=True)


def write_rows(res: Resource, rows: list[dict], pause: bool = True) -> None:
    """Write existing + new rows to a temporary file beside the CSV, fsync it, and
    rename it over the CSV: a reader or a crash sees the old file or the new, never half.
    `pause`: honour the fault tests' pause (not for a scratch copy, register/staff/trial.py)."""
    path = res.path
    names = res.field_names
    tmp = temp_name(path)
    try:
        if path.exists():
            terminator, ends = line_style(path)
            shutil.copyfile(path, tmp)
            shutil.copymode(path, tmp)
        else:
            terminator, ends = "\n", True
            with tmp.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator=terminator).writerow(names)
        with tmp.open("a", encoding="utf-8", newline="") as f:
            if not ends:
                f.write(terminator)
            w = csv.writer(f, lineterminator=terminator)
            for row in rows:
                w.writerow([row.get(n, "") for n in names])
            f.flush()
            os.fsync(f.fileno())
        seconds = settings.TEST_PAUSE_BEFORE_REPLACE.raw() if pause else None
        if seconds:
            print(f"append: paused before replacing {path.name} (test hook {PAUSE_ENV})", file=sys.stderr, flush=True)
            release = settings.TEST_RELEASE_FILE.raw()
            deadline = time.monotonic() + float(seconds)
            while time.monotonic() < deadline and not (release and os.path.exists(release)):
                time.sleep(0.02)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:  # make the rename itself durable; the rows are in place whatever happens here
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
