"""`make bench`: the register's speed at national scale, measured, with the command behind
every figure.

For each size in BENCH_SIZES (default 10000,100000,1000000 rows of the largest
resource) it generates a synthetic register (register/bench/generate.py) under build/bench/,
then measures (register/bench/pipeline.py):

- validate + build (`python -m register.database.build`, one pass) and validate alone, wall time
  and peak memory, beside the naive pipeline measured in the same run (`frictionless
  validate` of the data package, then `sqlite-utils insert --csv` of every resource);

and at the largest size only:

- extracts (`python -m register.publishing.extracts`), time and peak memory;
- every public page type served as in production (register/site/serve.py command(), the
  plugins, the response cache): p50/p95 of the page as served, and of the page as
  computed (the same request with a cookie, which the cache never answers)
  (register/bench/pages.py);
- throughput, p99 and errors under load from a separate process: Debian's wrk
  (scripts/install-wrk), 50 connections for BENCH_SECONDS (30) s on loopback, over the
  public HTML pages (home, table, filtered table, project page) (register/bench/load.py);
- append of 1 and of 1,000 records (`python -m register.staff.append`), with and without the
  rebuild that follows, and from the command's start until the running site shows the
  first new row (the build brought up to date in place; target 5 s for 1 record).

Then a national register from 42 generated publishers (register/bench/national.py;
BENCH_NATIONAL_ROWS=0 leaves it out), and every page type of the sample register on a
phone: Lighthouse (mobile, simulated slow 4G) and pa11y (register/bench/lighthouse.py;
BENCH_LIGHTHOUSE=0 leaves it out).

Last, one line per page type: its Lighthouse scores beside the p95 of its pages computed
fresh at the largest size (register/bench/summary.py).

It prints one table (register/bench/report.py) and writes build/bench/results.json.
Progress goes to stderr on a terminal only (never in CI). Nothing here is part of `make test`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from register.bench.config import LIGHTHOUSE_RUNS, NAIVE, PORT, SIZES, TARGETS, WORK
from register.bench.lighthouse import bench_lighthouse
from register.bench.load import bench_load, ensure_wrk
from register.bench.measure import PY, measured, shown
from register.bench.national import bench_national
from register.bench.pages import bench_pages
from register.bench.pipeline import bench_append, bench_build, bench_extracts, bench_visible, synthetic_rows
from register.bench.report import Table, say
from register.bench.server import Server, free_port
from register.bench.summary import page_type_summary
from register.util.text import command_parser


def bench_generate(table: Table, size: int, root: Path) -> None:
    say(f"generating {size:,}")
    g = measured([PY, "-m", "register.bench.generate", "--size", str(size), "--out", str(root)])
    rows = synthetic_rows(root)
    table.add(
        size,
        "generate: wall (rows/s)",
        f"{g['seconds']:.1f} s ({rows / g['seconds']:,.0f}/s)",
        "",
        ">= 200k rows/s",
        rows / g["seconds"] >= TARGETS["generate_rows_s"],
        g["command"],
    )


def bench_serving(table: Table, size: int, root: Path) -> None:
    """Pages one at a time, then under load, from one process and from two workers."""
    port = free_port(PORT)
    with Server(root / "build", port) as server:
        table.add(size, "server", "register/site/serve.py command()", "", command=shown(server.cmd[:4]) + " ...")
        pages = bench_pages(table, size, port, root / "build" / "register.db", pid=server.proc.pid)
        bench_load(table, size, port, pages, "datasette serve, 1 process")
    with Server(root / "build", port, workers=2):
        bench_load(table, size, port, pages, "uvicorn, 2 workers", every_page=False)


def main(argv=None) -> int:
    parser = command_parser(
        __spec__,
        __doc__,
        epilog="It takes no options: the BENCH_* environment variables choose the sizes and what is "
        "left out (docs/performance.md, docs/settings.md).",
    )
    parser.parse_args(argv)
    table = Table()
    started = time.perf_counter()
    ensure_wrk()
    machine = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    largest = max(SIZES, default=0)
    # A step that fails (a tool missing for the last one, after half an hour of the
    # others) still leaves every figure measured before it printed and saved.
    finished = "finished"
    try:
        for size in SIZES:
            root = WORK / str(size)
            bench_generate(table, size, root)
            bench_build(table, size, root, NAIVE, steps=size == largest)
            if size == largest:
                bench_extracts(table, size, root)
                bench_serving(table, size, root)
                bench_append(table, size, root)
                bench_visible(table, size, root, free_port(PORT))
        bench_national(table)
        if LIGHTHOUSE_RUNS:
            bench_lighthouse(table)
        page_type_summary(table)
    except BaseException as e:
        finished = f"STOPPED by {type(e).__name__} ({e}); the figures measured before it"
        raise
    finally:
        print(
            f"make bench: {machine}; {finished} in {time.perf_counter() - started:.0f} s; "
            f"load average now {os.getloadavg()[0]:.1f}"
        )
        table.print()
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "results.json").write_text(
            json.dumps({"machine": machine, "finished": finished, "rows": table.rows}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
