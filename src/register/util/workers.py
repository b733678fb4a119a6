"""One function over many independent items, on every core the machine gives this process.

Why: the national build checked and merged 42 publishers one after another, each most of a
second of pure Python, while the other core waited. Threads would take turns
under the GIL; processes do not.

Spawned, not forked: the caller may hold threads (a server in the tests, the build's
background hashing) whose locks a forked child would inherit held. Results come back in
the items' order whatever order the workers finish in, so what the caller writes from
them is the same however many workers ran.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which may be fewer than the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def in_order(func: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> Iterator[R]:
    """func(item) for each item, in the items' order; in `workers` processes (default: one
    per core), or here when there is one item or one worker. `func` must be a module-level
    function and the items picklable. An exception in a worker is raised here."""
    items = list(items)
    workers = min(workers or cores(), len(items))
    if workers <= 1:
        yield from map(func, items)
        return
    with spawned_pool(workers) as pool:
        yield from pool.map(func, items)


def spawned_pool(workers: int) -> ProcessPoolExecutor:
    """Spawned processes that leave Ctrl-C to their caller. One of them suits work that
    holds the GIL for long (a server's chart drawing): the caller keeps the pool, and
    starts another if it breaks."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_leave_interrupts
    )


def _leave_interrupts() -> None:
    """Ctrl-C stops the caller, which stops the pool: a worker would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
