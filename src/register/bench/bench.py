"""`make bench`: the register's speed at national scale, measured, with the command behind
every figure.

For each size in BENCH_SIZES (default 10000,100000,1000000 rows of the largest
resource) it generates a synthetic register (register/bench/generate.py) under build/bench/,
then measures:

- validate + build (`python -m register.database.build`, one pass) and validate alone, wall time
  and peak memory, beside the naive pipeline measured in the same run (`frictionless
  validate` of the data package, then `sqlite-utils insert --csv` of every resource);

and at the largest size only:

- extracts (`python -m register.publishing.extracts`), time and peak memory;
- every public page type served as in production (register/site/serve.py command(), the
  plugins, the response cache): p50/p95 of the page as served, and of the page as
  computed (the same request with a cookie, which the cache never answers);
- throughput, p99 and errors under load from a separate process: Debian's wrk
  (scripts/install-wrk), 50 connections for BENCH_SECONDS (30) s on loopback, over the
  public HTML pages (home, table, filtered table, project page);
- append of 1 and of 1,000 records (`python -m register.staff.append`), with and without the
  rebuild that follows.

It prints one table and writes build/bench/results.json. Progress goes to stderr on a
terminal only (never in CI). Nothing here is part of `make test`.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from register.schema.package import ROOT, Package
from register.site.asgi import command as asgi_command
from register.site.serve import command
from register.util.progress import enabled as progress_enabled

PY = sys.executable
WORK = ROOT / "build" / "bench"
PORT = int(os.environ.get("BENCH_PORT", "8150"))
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = 50
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "40"))
TARGETS = {
    "build_s": 10.0,
    "build_mb": 300,
    "ratio": 10.0,
    "append_1_s": 1.0,
    "p95_ms": 100.0,
    "load_p99_ms": 500.0,
    "load_rps": 500.0,
}


def say(text: str) -> None:
    if progress_enabled():
        print(f"[bench] {text}", file=sys.stderr, flush=True)


def shown(cmd: list[str]) -> str:
    """A command as a person would type it from the repository root."""
    out = []
    for part in cmd:
        part = str(part)
        if part == PY:
            part = "python"
        part = part.replace(str(ROOT) + "/", "")
        out.append(part if re.fullmatch(r"[\w@%+=:,./-]+", part) else "'" + part.replace("'", "'\\''") + "'")
    return " ".join(out)


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its children, in bytes (0 if it has gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measured(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, check: bool = True) -> dict:
    """Run a command; its wall time, peak memory and output.

    Peak memory is the larger of the process's own maximum RSS and the largest sum of
    RSS over the process and its children, sampled every 50 ms (the build runs its
    search indexes in a second process).
    """
    import threading

    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env={**os.environ, "CI": "true", **(env or {})})
        peak_tree = [0]
        done = threading.Event()

        def sample():
            while not done.wait(0.05):
                peak_tree[0] = max(peak_tree[0], _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shown(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {
        "seconds": seconds,
        "peak_mb": max(usage.ru_maxrss * 1024, peak_tree[0]) / 1024 / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stdout": stdout,
        "stderr": stderr,
        "code": proc.returncode,
        "command": shown(cmd),
    }


class Table:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, size, figure, value, unit="", target=None, ok=None, command=""):
        self.rows.append(
            {
                "size": size,
                "figure": figure,
                "value": value,
                "unit": unit,
                "target": target,
                "ok": ok,
                "command": command,
            }
        )
        say(f"{size} {figure}: {_fmt(value)} {unit}")

    def print(self, out=sys.stdout):
        head = ("rows", "figure", "value", "target", "met", "command")
        lines = [head]
        for r in self.rows:
            lines.append(
                (
                    f"{r['size']:,}" if isinstance(r["size"], int) else str(r["size"]),
                    r["figure"],
                    f"{_fmt(r['value'])} {r['unit']}".strip(),
                    r["target"] or "",
                    {True: "yes", False: "NO", None: ""}[r["ok"]],
                    r["command"],
                )
            )
        widths = [max(len(str(line[i])) for line in lines) for i in range(5)]
        for n, line in enumerate(lines):
            print("  ".join(str(c).ljust(w) for c, w in zip(line[:5], widths)) + "  " + line[5], file=out)
            if n == 0:
                print("  ".join("-" * w for w in widths) + "  " + "-" * 7, file=out)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# -- validate and build -------------------------------------------------------------------


def naive_pipeline(root: Path, out: Path) -> dict:
    """`frictionless validate` then `sqlite-utils insert --csv` of every resource."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "naive.db"
    db.unlink(missing_ok=True)
    bin_dir = Path(PY).parent
    steps = [[str(bin_dir / "frictionless"), "validate", "datapackage.json"]]
    package = Package(root)
    for res in package.resources:
        steps.append(
            [
                str(bin_dir / "sqlite-utils"),
                "insert",
                str(db),
                res.name,
                str(res.path),
                "--csv",
                "--pk",
                res.primary_key[0],
            ]
        )
    total, peak = 0.0, 0.0
    for cmd in steps:
        r = measured(cmd, cwd=root)
        total += r["seconds"]
        peak = max(peak, r["peak_mb"])
    return {
        "seconds": total,
        "peak_mb": peak,
        "command": f"(cd {shown([str(root)])} && frictionless validate datapackage.json) && "
        f"sqlite-utils insert naive.db <resource> <csv> --csv --pk <key>  # for each of "
        f"{len(package.resources)} resources",
    }


def bench_build(table: Table, size: int, root: Path, naive: bool) -> None:
    rows = sum(json.loads((root / "synthetic.json").read_text())["rows"].values())
    table.add(size, "rows in all resources", rows, command="")
    v = measured([PY, "-m", "register.checks.validate", "--root", str(root)])
    table.add(size, "validate alone: wall", v["seconds"], "s", command=v["command"])
    table.add(size, "validate alone: peak memory", v["peak_mb"], "MB", command=v["command"])
    b = measured(
        [PY, "-m", "register.database.build", "--root", str(root), "--out", str(root / "build")],
        env={"REGISTER_BUILD_TIMINGS": "1"},
    )
    ok_s = b["seconds"] <= TARGETS["build_s"] if size >= 1_000_000 else None
    ok_mb = b["peak_mb"] <= TARGETS["build_mb"] if size >= 1_000_000 else None
    table.add(size, "validate + build: wall", b["seconds"], "s", "<= 10 s at 1M", ok_s, b["command"])
    table.add(size, "validate + build: CPU", b["cpu_s"], "s", command=b["command"])
    table.add(size, "validate + build: peak memory", b["peak_mb"], "MB", "<= 300 MB at 1M", ok_mb, b["command"])
    table.add(size, "validate + build: rows/s", rows / b["seconds"], "rows/s", command=b["command"])
    found = re.search(r"^timings: (\{.*\})$", b["stderr"], re.M)
    if found and size == max(SIZES):
        for name, (wall, cpu) in json.loads(found.group(1)).items():
            if wall >= 0.3:
                table.add(
                    size,
                    f"  build step: {name}",
                    f"{wall:.1f} s wall, {cpu:.1f} s CPU",
                    "",
                    command="(from REGISTER_BUILD_TIMINGS=1 " + b["command"] + ")",
                )
    if naive:
        n = naive_pipeline(root, root / "naive")
        ratio = n["seconds"] / b["seconds"]
        table.add(size, "naive pipeline: wall", n["seconds"], "s", command=n["command"])
        table.add(size, "naive pipeline: peak memory", n["peak_mb"], "MB", command=n["command"])
        table.add(
            size,
            "speed-up over naive",
            ratio,
            "x",
            ">= 10x",
            ratio >= TARGETS["ratio"],
            "naive wall / validate+build wall",
        )


# -- serving ----------------------------------------------------------------------------


class Server:
    """The register served exactly as `make serve` serves it, on a bench port."""

    def __init__(self, build_dir: Path, port: int, workers: int = 0):

        self.env = {}
        if workers:
            self.cmd, self.env = asgi_command(build_dir, "127.0.0.1", port, workers)
        else:
            self.cmd = command(build_dir, "127.0.0.1", port)
        self.port = port
        self.proc = None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            stdout=self.log,
            stderr=self.log,
            env={**os.environ, "CI": "true", **self.env},
            start_new_session=True,
        )
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("the server stopped:\n" + self.log.read().decode(errors="replace")[-3000:])
            try:
                status, _, _ = get(self.port, "/-/versions.json")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the server did not start within 180 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def get(port: int, path: str, headers: dict | None = None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, dict(resp.getheaders()), body
    finally:
        if own:
            conn.close()


def latencies(port: int, path: str, n: int, headers: dict | None = None) -> tuple[list[float], int]:
    """n sequential requests on one keep-alive connection: (milliseconds each, errors)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out, errors = [], 0
    try:
        for _ in range(n):
            start = time.perf_counter()
            status, _, _ = get(port, path, headers, conn)
            out.append((time.perf_counter() - start) * 1000)
            errors += status >= 400
    finally:
        conn.close()
    return out, errors


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def public_pages(port: int, db_path: Path) -> list[tuple[str, str]]:
    """(page type, path) for every public page type of the register."""
    import sqlite3

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
    for t in ("projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"):
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


def bench_pages(table: Table, size: int, port: int, db_path: Path) -> list[tuple[str, str]]:
    pages = public_pages(port, db_path)
    kept = []
    for kind, path in pages:
        start = time.perf_counter()
        status, _, _ = get(port, path, {"Cookie": "bench=cold"})
        cold = (time.perf_counter() - start) * 1000
        if status == 404:
            table.add(size, f"{kind}: skipped (404)", "-", command=f"GET {path}")
            continue
        if status != 200:
            table.add(
                size,
                f"{kind}: HTTP {status} (first request {cold:.0f} ms)",
                "-",
                target="200",
                ok=False,
                command=f"GET {path}",
            )
            kept.append((kind, path))  # still part of the load test: errors count there
            continue
        kept.append((kind, path))
        computed, c_err = latencies(port, path, max(5, REQUESTS_PER_PAGE // 4), {"Cookie": "bench=uncached"})
        served, s_err = latencies(port, path, REQUESTS_PER_PAGE)
        p95 = pct(served, 95)
        errors = f", {s_err} errors" if s_err else ""
        table.add(
            size,
            f"{kind}: p50 / p95 as served",
            f"{pct(served, 50):.1f} / {p95:.1f}{errors}",
            "ms",
            "p95 <= 100 ms",
            p95 <= TARGETS["p95_ms"] and not s_err,
            f"GET {path}  x{len(served)}",
        )
        c95 = pct(computed, 95)
        errors = f", {c_err} errors" if c_err else ""
        table.add(
            size,
            f"{kind}: p50 / p95 computed (uncached)",
            f"{pct(computed, 50):.1f} / {c95:.1f}{errors}",
            "ms",
            "p95 <= 100 ms",
            c95 <= TARGETS["p95_ms"] and not c_err,
            f"GET {path} -H 'Cookie: bench=1'  x{len(computed)} (first request {cold:.0f} ms)",
        )
    return kept


def ensure_wrk() -> str | None:
    if not shutil.which("wrk"):
        subprocess.run([str(ROOT / "scripts" / "install-wrk")], check=False)
    return shutil.which("wrk")


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
    text = r["stdout"]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", text).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", text).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    sock = (
        sum(int(x) for x in m.groups())
        if (m := re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", text))
        else 0
    )
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": non2xx + sock,
        "command": shown(cmd).replace(script.name, "pages.lua") + f"  # pages.lua rotates {len(paths)} paths",
    }


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


HTML_PAGES = ("home", "table coproduction_log (default facets)", "filtered table coproduction_log", "project page")


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


# -- extracts and append ------------------------------------------------------------------


def bench_extracts(table: Table, size: int, root: Path) -> None:
    if not (ROOT / "scripts" / "extracts.py").exists():
        table.add(size, "extracts: skipped (register/publishing/extracts.py missing)", "-")
        return
    r = measured(
        [PY, "-m", "register.publishing.extracts", "--root", str(root), "--build-dir", str(root / "build")], check=False
    )
    if r["code"] != 0:
        table.add(
            size,
            "extracts: FAILED",
            r["stderr"].strip().splitlines()[-1][:80] if r["stderr"] else r["code"],
            command=r["command"],
        )
        return
    table.add(size, "extracts: wall", r["seconds"], "s", command=r["command"])
    table.add(size, "extracts: peak memory", r["peak_mb"], "MB", command=r["command"])


def bench_append(table: Table, size: int, root: Path) -> None:
    if not (ROOT / "scripts" / "append.py").exists():
        table.add(size, "append: skipped (register/staff/append.py missing)", "-")
        return
    res = Package(root).resource("coproduction_log")
    with res.path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        template = next(reader)
    template[header.index("id")] = ""  # blank: append gives the next identifier
    files = {}
    for n in (1, 1000):
        path = root / f"append-{n}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([header] + [template] * n)
        files[n] = path
    for n, build, runs in ((1, False, 3), (1000, False, 1), (1, True, 1)):
        cmd = [
            PY,
            "-m",
            "register.staff.append",
            "--root",
            str(root),
            "--table",
            "coproduction_log",
            "--file",
            str(files[n]),
        ]
        if not build:
            cmd.append("--no-build")
        results = []
        for _ in range(runs):
            # Write back what earlier steps left in memory (gigabytes of builds), so the
            # append's own fsync does not pay for it.
            os.sync()
            results.append(measured(cmd, check=False))
        r = sorted(results, key=lambda x: x["seconds"])[len(results) // 2]  # the median run
        label = f"append {n:,} record{'s' if n > 1 else ''}" + (" and rebuild" if build else " (no rebuild)")
        if any(x["code"] != 0 for x in results):
            bad = next(x for x in results if x["code"] != 0)
            table.add(
                size, f"{label}: FAILED", (bad["stderr"].strip().splitlines() or ["?"])[-1][:80], command=bad["command"]
            )
            continue
        target = "<= 1 s" if n == 1 else None
        value = (
            r["seconds"]
            if runs == 1
            else f"{r['seconds']:.2f} s (median of {runs}: " + ", ".join(f"{x['seconds']:.2f}" for x in results) + ")"
        )
        table.add(
            size,
            f"{label}: wall",
            value,
            "s" if runs == 1 else "",
            target,
            (r["seconds"] <= TARGETS["append_1_s"]) if n == 1 else None,
            r["command"],
        )
        table.add(size, f"{label}: peak memory", r["peak_mb"], "MB", command=r["command"])


# -- the whole bench ------------------------------------------------------------------------


def free_port(port: int) -> int:
    for candidate in range(port, 8200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", candidate)) != 0:
                return candidate
    raise RuntimeError("no free port in 8150-8199")


SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,1000000").replace(" ", "").split(",") if s]


def main(argv=None) -> int:
    sizes = SIZES
    naive = os.environ.get("BENCH_NAIVE", "1") != "0"
    table = Table()
    started = time.perf_counter()
    ensure_wrk()
    machine = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    for size in sizes:
        root = WORK / str(size)
        say(f"generating {size:,}")
        g = measured([PY, "-m", "register.bench.generate", "--size", str(size), "--out", str(root)])
        rows = sum(json.loads((root / "synthetic.json").read_text())["rows"].values())
        table.add(
            size,
            "generate: wall (rows/s)",
            f"{g['seconds']:.1f} s ({rows / g['seconds']:,.0f}/s)",
            "",
            ">= 200k rows/s",
            rows / g["seconds"] >= 200_000,
            g["command"],
        )
        bench_build(table, size, root, naive)
        if size == max(sizes):
            bench_extracts(table, size, root)
            port = free_port(PORT)
            with Server(root / "build", port) as server:
                table.add(
                    size, "server", "register/site/serve.py command()", "", command=shown(server.cmd[:4]) + " ..."
                )
                pages = bench_pages(table, size, port, root / "build" / "register.db")
                bench_load(table, size, port, pages, "datasette serve, 1 process")
            with Server(root / "build", port, workers=2) as server:
                bench_load(table, size, port, pages, "uvicorn, 2 workers", every_page=False)
            bench_append(table, size, root)
    print(
        f"make bench: {machine}; finished in {time.perf_counter() - started:.0f} s; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    table.print()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps({"machine": machine, "rows": table.rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
