"""Python's garbage collector set for a server that builds pages, not for a short script.

With CPython's defaults (the youngest objects collected every 700 allocations, older
ones at intervals after that), a page that makes tens of thousands of objects (rows,
cells, Markup) runs several collections, and now and then a full one walks every
long-lived object of the server: Datasette, its metadata, the codelists, the kept cells
and facet codes. Pages computed fresh at a million log rows
(`BENCH_REQUESTS=20 python -m register.bench.pages --build-dir DIR/build`) that had
p95 <= 100 ms: 102 to 106 of 113 in four runs with the defaults, the misses being pages
whose slowest request took twice their median; 109 and 112 with these thresholds.
Fewer collections still (50,000, 20, 100) gave 107 to 110, but a server sent 2,000
distinct pages then held 14 MB more than its cache (tests/integration/test_cache.py
allows 12); with these it stays within that.
Cyclic garbage is still collected, less often; everything else is freed when its last
reference goes, as before.
"""

from __future__ import annotations

import gc

from datasette import hookimpl

THRESHOLDS = (10_000, 10, 10)


@hookimpl
def startup(datasette):
    gc.set_threshold(*THRESHOLDS)
