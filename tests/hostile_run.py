"""A bounded hostile run against a real local server, started as `make serve` starts it.

Normal visitors ask for cached pages at a steady rate while hostile clients send, at
the same time: URLs with 2,000 parameters (about 15 KB), unique long URLs (7 KB, under
the limit) that each make a new 404 for the cache to hold, and bad parameter values.
It prints the p99 of the normal requests during the attack, the server's resident
memory before and after, and the number of 5xx answers (which should be 0):

    .venv/bin/python -m tests.hostile_run --build-dir build

Loopback only, bounded in count and time. tests/integration/test_limits.py runs a
small version of it; this command is the full one.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from register.schema.package import ROOT

NORMAL_PATHS = ("/", "/register/projects", "/register/coproduction_log", "/measures", "/static/css/register.css")
FLOOD = "/register/projects?" + "&".join(f"p{i}=v{i}" for i in range(2000))
BAD_VALUES = (
    "_sort=nonexistent",
    "_sort=%FF",
    "_sort=rowid&_sort_desc=id",
    "_facet=%00",
    "_through=garbage",
    "_where=%00",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextlib.contextmanager
def serve(build_dir: Path, log: Path, **env: str):
    """The server exactly as `make serve` runs it (register.site.serve), on a free
    loopback port, without the cache warmer (it would add its own traffic)."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("REGISTER_WARM")}
    environ = {**inherited, "REGISTER_WARM": "0", **env}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "register.site.serve", "--build-dir", str(build_dir), "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if get(port, "/-/versions.json")[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield proc, port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def get(port: int, path: str, timeout: float = 30) -> tuple[int, float]:
    """One GET on a fresh connection: status and seconds taken."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def attack(port: int, normal: int = 200, rate: float = 20.0, floods: int = 40, long_404s: int = 1000) -> dict:
    """Normal traffic at `rate` a second while two hostile clients each send `floods`
    flood URLs (and as many bad values) and `long_404s` unique long URLs; what each got."""
    for path in NORMAL_PATHS:  # warm: normal visitors are answered from the cache
        get(port, path)
    results: dict = {"normal": [], "flood": [], "long_404": [], "bad_values": []}
    stop = threading.Event()

    def hostile(thread: int):
        pad = "x" * 7000
        for i in range(max(floods, long_404s)):
            if stop.is_set():
                return
            if i < floods:
                results["flood"].append(get(port, FLOOD))
                results["bad_values"].append(get(port, "/register/projects?" + BAD_VALUES[i % len(BAD_VALUES)]))
            if i < long_404s:
                results["long_404"].append(get(port, f"/no-such-page-{thread}-{i}?{pad}"))

    threads = [threading.Thread(target=hostile, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(normal):
            started = time.perf_counter()
            results["normal"].append(get(port, NORMAL_PATHS[i % len(NORMAL_PATHS)]))
            time.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    return results


def summary(results: dict) -> dict:
    everything = [status for answers in results.values() for status, _ in answers]
    return {
        "normal requests": len(results["normal"]),
        "normal p99 ms": round(percentile([t for _, t in results["normal"]], 99) * 1000, 1),
        "hostile requests": len(everything) - len(results["normal"]),
        "flood statuses": sorted({s for s, _ in results["flood"]}),
        "flood slowest ms": round(max(t for _, t in results["flood"]) * 1000, 1),
        "5xx answers": sum(1 for s in everything if s >= 500),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build"))
    parser.add_argument("--normal", type=int, default=300, help="normal requests, at --rate a second")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--floods", type=int, default=100, help="requests with 2,000 parameters, per hostile client")
    parser.add_argument(
        "--long-404s", type=int, default=3000, help="unique 7 KB URLs that are not found, per hostile client"
    )
    parser.add_argument("--cache-mb", default="64", help="REGISTER_CACHE_MB for the server")
    args = parser.parse_args(argv)
    log = Path(args.build_dir) / "hostile-run.log"
    with serve(Path(args.build_dir), log, REGISTER_CACHE_MB=args.cache_mb) as (proc, port):
        for path in NORMAL_PATHS:
            get(port, path)
        before = rss_mb(proc.pid)
        results = attack(port, args.normal, args.rate, args.floods, args.long_404s)
        after = rss_mb(proc.pid)
    figures = summary(results)
    figures.update({"server RSS before MB": round(before, 1), "server RSS after MB": round(after, 1)})
    figures["log bytes"] = log.stat().st_size
    for name, value in figures.items():
        print(f"{name:>22}: {value}")
    return 0 if figures["5xx answers"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
