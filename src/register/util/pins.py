"""Second names (hard links) a serving process gives the builds it reads.

A running site opens each build by a name of its own (register/site/reload.py), so a SQL
thread that first connects after the next build is renamed into place still reads its
own build. Each such name keeps an old build's disk space, and keeps the build's spare
from being reused by the next update (register/database/spare.py, which takes a file
only under its one name): a process removes its names when it closes a build and when
it ends, and the names of processes that are gone (killed) are removed by the next
server to start and by the next update.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

PIN = "serving"
_MINE: set[Path] = set()


def pin(path: Path, tag: str) -> Path:
    """A second name for the file now at `path`, this process's own; `path` itself where
    the folder cannot be written (the deployed image, which is never rebuilt)."""
    link = path.with_name(f".{path.name}.{PIN}-{os.getpid()}-{tag}")
    try:
        link.unlink(missing_ok=True)
        os.link(path, link)
    except OSError:
        return path
    _MINE.add(link)
    return link


def unpin(link: Path) -> None:
    _MINE.discard(link)
    link.unlink(missing_ok=True)


@atexit.register
def unpin_all() -> None:
    """At exit, and when the server shuts down (uvicorn ends on SIGTERM without running
    atexit)."""
    for link in list(_MINE):
        try:
            unpin(link)
        except OSError:
            pass


def clear_dead(path: Path) -> None:
    """Remove the second names of `path`'s builds held by processes that are gone."""
    try:
        links = list(path.parent.glob(f".{path.name}.{PIN}-*"))
    except OSError:
        return
    for link in links:
        try:
            pid = int(link.name.rsplit(f".{PIN}-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            link.unlink(missing_ok=True)
        except (ValueError, IndexError, OSError):
            continue  # not one of ours, or a live process of another user
