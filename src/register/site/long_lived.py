"""What the served build keeps for as long as it is served (Datasette and its metadata,
the stored codes, the projects' titles) moved out of the garbage collector's way once it
is warm.

Why: Python's collector walks every container it tracks on each full collection, and
a fresh page makes enough objects to start one now and then. With the build's lists of
values and titles in the heap, those collections were the slow requests: at a million
log rows, p50 / p95 computed fresh went from 87.6 / 121.5 ms to 74.5 / 95.7 ms for a CSV
of 1,000 filtered rows, and 72.6 / 90.3 to 63.2 / 65.8 ms for the log's "Show all"
facet values, with `gc.freeze()` after the warm-up (`python -m register.bench.pages
--build-dir DIR --only REGEX`). A frozen object is never collected as part of a cycle, so
each `settle` first unfreezes what the last one froze: the objects of a build that has
been swapped out (register/site/reload.py) are collected then.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what is garbage now, then freeze what is left (gc.freeze)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
