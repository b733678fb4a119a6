"""Python's garbage collector set for a server that builds pages, not for a short script.

With CPython's defaults (the youngest objects collected every 700 allocations, older
ones at intervals after that), a page that makes tens of thousands of objects (rows,
cells, Markup) runs several collections, and now and then a full one walks every
long-lived object of the server: Datasette, its metadata, the codelists, the kept cells
and facet codes. Pages computed fresh at a million log rows
(`BENCH_REQUESTS=20 python -m register.bench.pages --build-dir DIR/build`): with these
thresholds, 107, 108 and 110 of 113 page types had p95 <= 100 ms; with the defaults, 102 to
106 in four runs, the misses being pages whose slowest request took twice their median.
Cyclic garbage is still collected, less often; everything else is freed when its last
reference goes, as before.
"""

from __future__ import annotations

import gc

from datasette import hookimpl

THRESHOLDS = (50_000, 20, 100)


@hookimpl
def startup(datasette):
    gc.set_threshold(*THRESHOLDS)
