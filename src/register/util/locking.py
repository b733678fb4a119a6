"""One writer at a time: an exclusive lock that every append takes before it reads the
existing rows and holds until the new file is in place and the database rebuilt (and
that builds take too).

Without it two appends started together would both read the same rows, both give out
the same next identifier and the second rename would drop the first one's rows. The
lock is fcntl.flock on build/append.lock (build/ is git-ignored, so datasets/ never
gains a stray file); the kernel releases it when the process ends, even by kill -9,
so a crashed append never leaves the register locked.

Every writer (append, add, update-status, build, the start-up check before serving)
takes it, so whoever takes it is the only writer: any temporary file a writer leaves
beside what it replaces is, at that moment, left by one that was killed. They are
removed then, whatever process id their name carries (ids are reused).
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "append.lock"
DEFAULT_TIMEOUT = 300.0
# The temporary files writers make, named with their process id: an append's copy of
# the CSV it is about to replace, beside it in datasets/ (register/staff/append.py
# temp_name), and a build's new database and its helper process's files in build/
# (register/database/build.py, and the spare's new name: register/database/spare.py).
APPEND_TEMP = re.compile(r"^\.[^/]+\.csv\.[0-9]+\.append\.tmp$")
BUILD_TEMP = re.compile(
    r"^\.register(?:\.db\.[0-9]+\.tmp(?:-journal)?|\.db\.spare\.[0-9]+\.tmp|-search\.[0-9]+\.tmp"
    r"|-(?:share|derived)\.[0-9]+\.(?:tmp|json(?:\.part)?))$"
)


class LockTimeout(Exception):
    pass


def lock_path(root: Path) -> Path:
    return Path(root) / "build" / LOCK_NAME


def remove_stale_temps(root: Path, build_dir: Path | None = None) -> list[Path]:
    """Delete the temporary files killed writers left in root's datasets/ and in
    build_dir (default root/build). Call only while holding the lock."""
    root = Path(root)
    build_dir = Path(build_dir) if build_dir else root / "build"
    found = [p for p in (root / "datasets").rglob("*.append.tmp") if APPEND_TEMP.match(p.name)]
    if build_dir.is_dir():
        found += [p for p in build_dir.iterdir() if BUILD_TEMP.match(p.name)]
    removed = []
    for path in found:
        if path.is_file() and not path.is_symlink():
            try:
                path.unlink(missing_ok=True)
            except OSError:  # a read-only folder: the file is harmless, and the write will say why
                continue
            removed.append(path)
    return removed


@contextmanager
def exclusive(root: Path, timeout: float = DEFAULT_TIMEOUT, out=sys.stderr):
    """Hold the register's write lock for the body; wait up to `timeout` seconds for it."""
    path = lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("Another change to the register is being saved; waiting for it to finish...", file=out, flush=True)
            deadline = time.monotonic() + timeout
            while True:
                time.sleep(0.05)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockTimeout(
                            f"another change to the register has held the lock ({path}) for over "
                            f"{timeout:.0f} seconds; nothing was added. Try again when it has finished."
                        )
        # Who holds it, for a person looking at a stuck lock; not used for locking.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        for stale in remove_stale_temps(root):
            print(f"Removed {stale.name}, left behind by a change that was stopped part-way.", file=out, flush=True)
        yield path
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
