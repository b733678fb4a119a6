"""What `make bench` measures and against what: the BENCH_* knobs people set
(docs/performance.md) and the targets the issues name, read in this one place."""

from __future__ import annotations

import os

from register.schema.package import ROOT

WORK = ROOT / "build" / "bench"
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,1000000").replace(" ", "").split(",") if s]
NAIVE = os.environ.get("BENCH_NAIVE", "1") != "0"
PORT = int(os.environ.get("BENCH_PORT", "8150"))
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "40"))
# Requests per page computed fresh (the cache bypassed): at least 20, so that its p95 is
# the 19th slowest of 20 (nearest rank), not the slowest of 10, which one pause of the
# machine decided (the whole run of 1 December missed two pages on their slowest request alone).
COMPUTED_PER_PAGE = max(20, REQUESTS_PER_PAGE // 2)
# Lighthouse runs per page of the sample register (the median is kept); 0 skips it.
LIGHTHOUSE_RUNS = int(os.environ.get("BENCH_LIGHTHOUSE", "3"))
# The national register of generated publishers (register/bench/national.py); 0 rows skips it.
NATIONAL_PUBLISHERS = int(os.environ.get("BENCH_NATIONAL_PUBLISHERS", "42"))
NATIONAL_ROWS = int(os.environ.get("BENCH_NATIONAL_ROWS", "1000000"))
CONNECTIONS = 50
TARGETS = {
    "build_s": 15.0,  # issue "Fast for everyone", part 4: validate + build at 1M on 2 cores
    "build_mb": 300,
    "ratio": 18.0,  # the same run's naive pipeline over validate + build
    "append_1_s": 1.0,
    "visible_s": 5.0,
    "p95_ms": 100.0,
    "load_p99_ms": 500.0,
    "load_rps": 500.0,
    "generate_rows_s": 200_000,
}
