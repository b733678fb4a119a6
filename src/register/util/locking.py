"""One writer at a time: an exclusive lock that every append takes before it reads the
existing rows and holds until the new file is in place and the database rebuilt.

Without it two appends started together would both read the same rows, both give out
the same next identifier and the second rename would drop the first one's rows. The
lock is fcntl.flock on build/append.lock (build/ is git-ignored, so datasets/ never
gains a stray file); the kernel releases it when the process ends, even by kill -9,
so a crashed append never leaves the register locked.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "append.lock"
DEFAULT_TIMEOUT = 300.0


class LockTimeout(Exception):
    pass


def lock_path(root: Path) -> Path:
    return Path(root) / "build" / LOCK_NAME


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
        yield path
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
