"""Throughput, p99 and errors under load from a separate process: Debian's wrk
(scripts/install-wrk), CONNECTIONS connections on loopback, rotating over a list of pages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

from register.bench.config import CONNECTIONS, LOAD_SECONDS, TARGETS
from register.bench.measure import measured, shown
from register.bench.report import Table
from register.bench.server import get
from register.schema.package import ROOT

HTML_PAGES = ("home", "table coproduction_log (default facets)", "filtered table coproduction_log", "project page")
UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}


def ensure_wrk() -> str | None:
    if not shutil.which("wrk"):
        subprocess.run([str(ROOT / "scripts" / "install-wrk")], check=False)
    return shutil.which("wrk")


def ms(text: str) -> float:
    """A wrk duration such as 12.5ms or 1.02s, in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * UNITS_MS[unit]


def parse_wrk(text: str) -> dict:
    """The figures of wrk's --latency report: requests/s, requests, p50, p99 and errors
    (non-2xx/3xx responses and socket errors together)."""
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    sock = (
        sum(int(x) for x in m.groups())
        if (m := re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", text))
        else 0
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "p50_ms": ms(re.search(r"50%\s+([\d.]+\w+)", text).group(1)),
        "p99_ms": ms(re.search(r"99%\s+([\d.]+\w+)", text).group(1)),
        "errors": non2xx + sock,
    }


def wrk(port: int, paths: list[str], seconds: int) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    quoted = ", ".join(json.dumps(p) for p in paths)
    script.write(
        f"local paths = {{{quoted}}}\n"
        "local i = 0\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    script.close()
    cmd = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}",
    ]
    r = measured(cmd)
    os.unlink(script.name)
    return {
        **parse_wrk(r["stdout"]),
        "command": shown(cmd).replace(script.name, "pages.lua") + f"  # pages.lua rotates {len(paths)} paths",
    }


def bench_load(
    table: Table, size: int, port: int, pages: list[tuple[str, str]], label: str, every_page: bool = True
) -> None:
    if not ensure_wrk():
        table.add(size, "load test: wrk not available", "-", command="scripts/install-wrk")
        return
    html = [p for k, p in pages if k in HTML_PAGES]
    wrk(port, html, 3)  # warm every worker's cache, as a server that has been up a while is
    r = wrk(port, html, LOAD_SECONDS)
    table.add(
        size,
        f"load ({label}), public HTML pages: throughput",
        r["rps"],
        "req/s",
        ">= 500 req/s",
        r["rps"] >= TARGETS["load_rps"],
        r["command"],
    )
    table.add(
        size,
        f"load ({label}): p50 / p99 latency",
        f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f}",
        "ms",
        "p99 <= 500 ms",
        r["p99_ms"] <= TARGETS["load_p99_ms"],
        r["command"],
    )
    table.add(
        size, f"load ({label}): errors", r["errors"], f"of {r['requests']:,}", "0", r["errors"] == 0, r["command"]
    )
    if every_page:
        every = [p for _, p in pages]
        for path in every:  # one visit each, as register/site/warm_cache.py does for the main pages
            get(port, path)
        r = wrk(port, every, max(5, LOAD_SECONDS // 3))
        table.add(size, f"load ({label}), every public page type: throughput", r["rps"], "req/s", command=r["command"])
        table.add(
            size,
            f"load ({label}), every page type: p99 / errors",
            f"{r['p99_ms']:.0f} ms / {r['errors']}",
            "",
            "p99 <= 500 ms, 0 errors",
            r["p99_ms"] <= TARGETS["load_p99_ms"] and r["errors"] == 0,
            r["command"],
        )
