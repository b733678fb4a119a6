"""Small file helpers shared by build, extracts, the integrity check and the staff commands."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# What LibreOffice and Excel leave beside a file while it is open in them.
LOCK_FILES = (".~lock.{}#", "~${}")


def lock_file(path: Path) -> Path | None:
    """The lock file LibreOffice or Excel keeps beside `path` while it is open, or None."""
    for pattern in LOCK_FILES:
        lock = path.parent / pattern.format(path.name)
        if lock.exists():
            return lock
    return None


def locked_by(lock: Path) -> Path | None:
    """The file a LibreOffice or Excel lock file belongs to (beside it), or None when
    `lock` is not named as one."""
    for pattern in LOCK_FILES:
        start, end = pattern.split("{}")
        if len(lock.name) > len(start) + len(end) and lock.name.startswith(start) and lock.name.endswith(end):
            return lock.parent / lock.name[len(start) : len(lock.name) - len(end)]
    return None


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB chunks so memory does not grow with its size."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_stamp(path: Path) -> list[int] | None:
    """Which file, as inspect.json and the page record name it: inode, size and
    modification time (what any write or replacement changes); None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


# The database's digest is a SHA-256 of the SHA-256s of its 4 MiB chunks, not of the file
# as one stream: an update in place changes a few chunks of a 1.8 GB file, and only those
# are hashed again (register/database/spare.py keeps the chunks' digests). Hashing the
# whole file took 1.2 s at a million log rows; the chunks are hashed on two threads
# (hashlib lets go of the GIL), and any changed byte still changes the digest.
CHUNK = 1 << 22


def chunk_digests(path: Path, again: set[int] | None = None, known: list[str] | None = None) -> list[str]:
    """SHA-256 of each CHUNK of a file: all of them, or only the chunks numbered in
    `again`, the others taken from `known` (the digests of the file before those changed)."""
    size = Path(path).stat().st_size
    count = (size + CHUNK - 1) // CHUNK
    digests = list(known or [])[:count] + [""] * max(0, count - len(known or []))
    todo = [i for i in range(count) if again is None or i in again or not digests[i]]

    def one(i: int) -> None:
        with Path(path).open("rb") as f:
            f.seek(i * CHUNK)
            digests[i] = hashlib.sha256(f.read(CHUNK)).hexdigest()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, todo))
    return digests


def tree_digest(digests: list[str]) -> str:
    """The database's digest from its chunks' digests."""
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def database_digest(path: Path) -> str:
    """The digest inspect.json records for a database (see CHUNK)."""
    return tree_digest(chunk_digests(path))
