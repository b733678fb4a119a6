"""A copy of the served database to update in place, without writing 1.6 GB each time.

An update in place (register/database/incremental.py) works on a copy of build/register.db,
never on the file the site reads. Copying a national register's 1.6 GB costs 1 to 4 s of
CPU and writes the whole file to disk again. So each update keeps the database it
replaces as build/.register.db.spare (a second name for the old file), and the next one
turns that spare into the copy by rewriting only the pages the last update wrote (it
records them: register/database/page_record.py), a few megabytes after one append; without
that record, the pages that differ from the served file, which costs reading both files.

The spare is only touched when no process has it open: the old build may still be read
by a running site (for a few seconds after it swaps in the new one) or by anything else
that opened it. Linux grants a write lease on a file only to the one process that has it
open, which is exactly that test; if the lease is refused, or anything about the spare
is odd, the served file is copied whole, as before. Any way it is made, the copy is the
served file byte for byte.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import threading
from pathlib import Path

from register.database import page_record
from register.util import pins

SPARE = ".register.db.spare"
CHUNK = 1 << 22  # compared a chunk at a time; a chunk that differs, a page at a time
PAGE = 4096  # the smallest SQLite page; a page that differs is rewritten


def _claim(spare: Path, dst: Path) -> bool:
    """Rename the spare to dst if nobody else has it open (a write lease says so)."""
    if threading.current_thread() is not threading.main_thread():
        return False  # the lease's signal can only be set aside in the main thread
    try:
        fd = os.open(spare, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    # A process opening the file while the lease is held makes the kernel send SIGIO,
    # whose default is to end this one: set aside for the moment the lease is held.
    previous = signal.signal(signal.SIGIO, signal.SIG_IGN)
    try:
        st = os.fstat(fd)
        # Its only name (never another name of the served file), and the file just opened.
        if st.st_nlink != 1 or not os.path.samestat(st, os.stat(spare, follow_symlinks=False)):
            return False
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)  # refused while anyone else has it open
        try:
            os.replace(spare, dst)  # no one can open it by its old name any more
        finally:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
        signal.signal(signal.SIGIO, previous)


def _sync(src: Path, dst: Path) -> int:
    """Make dst byte for byte src, writing only the pages that differ; bytes written."""
    written = 0
    with open(src, "rb") as a, open(dst, "r+b") as b:
        size = os.fstat(a.fileno()).st_size
        offset = 0
        while offset < size:
            x = a.read(CHUNK)
            y = b.read(len(x))
            if x != y:
                for start in range(0, len(x), PAGE):
                    page = x[start : start + PAGE]
                    if page != y[start : start + PAGE]:
                        os.pwrite(b.fileno(), page, offset + start)
                        written += len(page)
            offset += len(x)
        b.truncate(size)
    return written


def _copy_pages(src: Path, dst: Path, pages: list[int], page_size: int) -> None:
    """Make dst src by copying the pages listed, the only ones in which they differ."""
    with open(src, "rb") as a, open(dst, "r+b") as b:
        for page in pages:
            offset = (page - 1) * page_size
            os.pwrite(b.fileno(), os.pread(a.fileno(), page_size, offset), offset)
        b.truncate(os.fstat(a.fileno()).st_size)


def fresh_copy(final: Path, tmp: Path) -> str:
    """tmp as a copy of final, from the spare when it can be had; says which way. The
    pages the last update wrote are copied into the spare when the record of them
    (register/database/page_record.py) describes these files; otherwise the pages that
    differ are found by reading both. After a full build (its record names no spare) the
    spare is older than the build and differs in almost every page: comparing and
    rewriting them took 4.5 s at a million log rows, copying the file whole 0.6 s."""
    tmp.unlink(missing_ok=True)
    record = page_record.read(final.parent)
    made_whole = page_record.digests_of(record, final) is not None and not record.get("spare")
    pins.clear_dead(final)  # a killed server's second name would keep the spare from being taken
    if not made_whole and _claim(final.parent / SPARE, tmp):
        try:
            since = page_record.pages_since(record, tmp, final)
            if since:
                _copy_pages(final, tmp, *since)
                return "the spare, with the pages the last update wrote"
            _sync(final, tmp)
            return "the spare, brought up to date"
        except OSError:
            tmp.unlink(missing_ok=True)
    shutil.copyfile(final, tmp)
    return "a whole copy"


def keep_as_spare(final: Path) -> None:
    """Before a new file replaces final: keep the old one under the spare's name."""
    link = final.parent / f"{SPARE}.{os.getpid()}.tmp"
    try:
        link.unlink(missing_ok=True)
        os.link(final, link)
        os.replace(link, final.parent / SPARE)
    except OSError:  # only a shortcut is lost: the next update copies the file whole
        link.unlink(missing_ok=True)
