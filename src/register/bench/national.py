"""`make bench`'s national figures: a national register built from 42 generated publishers
totalling BENCH_NATIONAL_ROWS co-production log rows (default a million), fetched from
local paths, then served and timed page by page as the single register is.

Targets (issue "The register as a standard"): fetch, validate and build within 60 s and
1 GB of peak memory. BENCH_NATIONAL_ROWS=0 leaves this out.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
from pathlib import Path

from register.bench.config import (
    NATIONAL_PUBLISHERS,
    NATIONAL_ROWS,
    PORT,
    WORK,
)
from register.bench.generate import generate
from register.bench.measure import PY, measured
from register.bench.pages import bench_pages
from register.bench.report import Table, say
from register.bench.server import Server, free_port

TARGET_S = 60.0
TARGET_MB = 1024


SYNTHETIC_OPERATOR = """\
# The national register's own publisher: SYNTHETIC, for tests and `make bench` only.
code: synthetic_national
name: Synthetic national register (test data)
short_name: Synthetic national register
area: England (synthetic)
homepage: https://national.example.org/
licence_holder: Synthetic test data
team: Test team
about: >-
  A synthetic national register built from generated and test packages, to measure and
  test how registers from many publishers are brought together. Nothing in it is real.
"""


def write_operator(folder: Path) -> None:
    """Put a clearly synthetic publisher.yml for the national register beside a registry."""
    (folder / "publisher.yml").write_text(SYNTHETIC_OPERATOR, "utf-8")


def generate_publishers(root: Path, publishers: int, rows: int) -> Path:
    """One synthetic package per publisher (each its own seed) and the registry naming them."""
    registry = root / "registry.csv"
    root.mkdir(parents=True, exist_ok=True)
    each = max(1, rows // publishers)
    write_operator(root)
    with registry.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "package", "licence", "contact", "update_frequency"])
        for i in range(publishers):
            code = f"synthetic_{i + 1:02d}"
            generate(root / code, each, seed=i + 1, progress=False)
            w.writerow([code, f"Synthetic publisher {i + 1}", code, "OGL-UK-3.0", "Bench", "P1M"])
    return registry


def bench_national(table: Table, publishers: int = NATIONAL_PUBLISHERS, rows: int = NATIONAL_ROWS) -> None:
    if rows <= 0:
        return
    size = f"national {publishers} x {rows // publishers:,}"
    root = WORK / "national"
    say(f"generating {publishers} publishers of {rows // publishers:,} log rows")
    started = time.perf_counter()
    registry = generate_publishers(root, publishers, rows)
    table.add(size, "generate publishers: wall", time.perf_counter() - started, "s", command="register.bench.national")
    out = root / "build"
    shutil.rmtree(out, ignore_errors=True)  # the first run starts with no last good copies
    for run in ("first run", "second run, nothing changed"):
        n = measured(
            [PY, "-m", "register.national.build", "--registry", str(registry), "--out", str(out)],
            env={"REGISTER_BUILD_TIMINGS": "1"},
        )
        within = n["seconds"] <= TARGET_S
        table.add(size, f"make national ({run}): wall", n["seconds"], "s", "<= 60 s", within, n["command"])
        table.add(
            size,
            f"make national ({run}): peak memory",
            n["peak_mb"],
            "MB",
            "<= 1 GB",
            n["peak_mb"] <= TARGET_MB,
            n["command"],
        )
        found = re.search(r"^timings: (\{.*\})$", n["stderr"], re.M)
        for step, (wall, peak) in (json.loads(found.group(1)) if found else {}).items():
            table.add(size, f"  {run}: {step}", f"{wall:.1f} s, peak {peak:.0f} MB", "", command="(same command)")
    port = free_port(PORT)
    with Server(out, port):
        # /publishers among them: public_pages() lists it on a national register.
        bench_pages(table, size, port, out / "register.db")
