"""Every public page type of the register, timed one visitor at a time: as served (the
response cache may answer) and as computed (with a cookie, which the cache never answers)."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from register.bench.config import REQUESTS_PER_PAGE, TARGETS
from register.bench.report import Table
from register.bench.server import get, latencies, pct
from register.schema.package import MAIN_RESOURCES


def public_pages(port: int, db_path: Path) -> list[tuple[str, str]]:
    """(page type, path) for every public page type of the register."""
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    mid = conn.execute(
        "SELECT id FROM coproduction_log LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM coproduction_log)"
    ).fetchone()[0]
    project = conn.execute("SELECT project_id FROM coproduction_log WHERE id = ?", (mid,)).fetchone()[0]
    views = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('view', 'table') AND name LIKE 'measure%' ORDER BY name"
        )
    ]
    conn.close()
    pages = [("home", "/"), ("projects index", "/projects"), ("projects index, a later page", "/projects?page=300")]
    for t in MAIN_RESOURCES:
        pages.append((f"table {t} (default facets)", f"/register/{t}"))
    pages += [
        ("filtered table coproduction_log", "/register/coproduction_log?gate=plan&participation_level=co_design"),
        ("filtered table equality_impacts", "/register/equality_impacts?impact=negative&characteristic=disability"),
        ("row coproduction_log", f"/register/coproduction_log/{mid}"),
        ("project page", f"/projects/{project}"),
        ("search", "/search?q=waiting+times"),
        ("table search", "/register/coproduction_log?_search=transport"),
        ("CSV of a filtered table", "/register/coproduction_log.csv?gate=plan&participation_level=co_design"),
    ]
    status, _, body = get(port, "/measures", {"Cookie": "bench=list"})
    names = {n.decode() for n in re.findall(rb'href="/measures/([a-z_]+)"', body)} if status == 200 else set()
    # Each measure view has a page (register/site/pages.py), whether or not the index
    # page itself can be shown.
    names |= {v[len("measure_") :] for v in views} | {"gate_assurance"}
    pages.append(("measures index", "/measures"))
    pages.append(("gate assurance", "/gate-assurance"))
    for name in sorted(names):
        pages.append((f"measure {name}", f"/measures/{name}"))
    for view in views:
        pages.append((f"measure view {view}", f"/register/{view}"))
    return pages


def _add_latency(table: Table, size: int, figure: str, times: list[float], errors: int, command: str) -> None:
    p95 = pct(times, 95)
    shown_errors = f", {errors} errors" if errors else ""
    table.add(
        size,
        figure,
        f"{pct(times, 50):.1f} / {p95:.1f}{shown_errors}",
        "ms",
        "p95 <= 100 ms",
        p95 <= TARGETS["p95_ms"] and not errors,
        command,
    )


def bench_pages(table: Table, size: int, port: int, db_path: Path) -> list[tuple[str, str]]:
    """Time every page type; returns those that exist, for the load test."""
    pages = public_pages(port, db_path)
    kept = []
    for kind, path in pages:
        start = time.perf_counter()
        status, _, _ = get(port, path, {"Cookie": "bench=cold"})
        cold = (time.perf_counter() - start) * 1000
        if status == 404:
            table.add(size, f"{kind}: skipped (404)", "-", command=f"GET {path}")
            continue
        kept.append((kind, path))  # an error page stays in the load test: errors count there
        if status != 200:
            table.add(
                size,
                f"{kind}: HTTP {status} (first request {cold:.0f} ms)",
                "-",
                target="200",
                ok=False,
                command=f"GET {path}",
            )
            continue
        computed, c_err = latencies(port, path, max(5, REQUESTS_PER_PAGE // 4), {"Cookie": "bench=uncached"})
        served, s_err = latencies(port, path, REQUESTS_PER_PAGE)
        _add_latency(table, size, f"{kind}: p50 / p95 as served", served, s_err, f"GET {path}  x{len(served)}")
        _add_latency(
            table,
            size,
            f"{kind}: p50 / p95 computed (uncached)",
            computed,
            c_err,
            f"GET {path} -H 'Cookie: bench=1'  x{len(computed)} (first request {cold:.0f} ms)",
        )
    return kept
