"""The register's own commands timed on a synthetic register: validate, validate + build
(beside the naive frictionless + sqlite-utils pipeline), extracts, and append."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import time
from pathlib import Path

from register.bench.config import TARGETS
from register.bench.measure import PY, ROOT, last_line, measured, shown
from register.bench.report import Table
from register.bench.server import Server, get
from register.schema.package import Package
from register.site.reload import GRACE_S as SWAP_GRACE_S

BUILD_STEP_MIN_S = 0.3  # shorter build steps are noise in the table
VISIBLE_TIMEOUT_S = 600


def synthetic_rows(root: Path) -> int:
    """Rows in all resources of a generated register (register/bench/generate.py)."""
    return sum(json.loads((root / "synthetic.json").read_text())["rows"].values())


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


def bench_build(table: Table, size: int, root: Path, naive: bool, steps: bool) -> None:
    """Validate alone, then validate + build; `steps` adds the build's own step timings."""
    rows = synthetic_rows(root)
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
    table.add(
        size, "validate + build: wall", b["seconds"], "s", f"<= {TARGETS['build_s']:g} s at 1M", ok_s, b["command"]
    )
    table.add(size, "validate + build: CPU", b["cpu_s"], "s", command=b["command"])
    table.add(
        size,
        "validate + build: peak memory",
        b["peak_mb"],
        "MB",
        f"<= {TARGETS['build_mb']:g} MB at 1M",
        ok_mb,
        b["command"],
    )
    table.add(size, "validate + build: rows/s", rows / b["seconds"], "rows/s", command=b["command"])
    found = re.search(r"^timings: (\{.*\})$", b["stderr"], re.M)
    if found and steps:
        for name, (wall, cpu) in json.loads(found.group(1)).items():
            if wall >= BUILD_STEP_MIN_S:
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
            f">= {TARGETS['ratio']:g}x",
            ratio >= TARGETS["ratio"],
            "naive wall / validate+build wall",
        )


def bench_extracts(table: Table, size: int, root: Path) -> None:
    r = measured(
        [PY, "-m", "register.publishing.extracts", "--root", str(root), "--build-dir", str(root / "build")], check=False
    )
    if r["code"] != 0:
        table.add(size, "extracts: FAILED", last_line(r), command=r["command"])
        return
    table.add(size, "extracts: wall", r["seconds"], "s", command=r["command"])
    table.add(size, "extracts: peak memory", r["peak_mb"], "MB", command=r["command"])


def _append_files(root: Path) -> dict[int, Path]:
    """CSV files of 1 and of 1,000 copies of a log row with its id left blank."""
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
    return files


def bench_append(table: Table, size: int, root: Path) -> None:
    files = _append_files(root)
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
            "--allow-duplicates",  # copies of one row, on purpose: the refusal of repeats is not what is timed
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
            table.add(size, f"{label}: FAILED", last_line(bad), command=bad["command"])
            continue
        timed = n == 1 and not build  # the append itself; with the update, see bench_visible's 5 s
        target = "<= 1 s" if timed else None
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
            (r["seconds"] <= TARGETS["append_1_s"]) if timed else None,
            r["command"],
        )
        table.add(size, f"{label}: peak memory", r["peak_mb"], "MB", command=r["command"])


def _numbered_files(root: Path, n: int) -> tuple[Path, str]:
    """A CSV of n copies of the log's last row with the next identifiers; the first one."""
    res = Package(root).resource("coproduction_log")
    with res.path.open(newline="", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    with res.path.open("rb") as f:
        f.seek(max(0, res.path.stat().st_size - 65536))
        last = next(csv.reader([f.read().decode("utf-8").splitlines()[-1]]))
    prefix, number = last[0].rsplit("-", 1)
    rows = [[f"{prefix}-{int(number) + 1 + k:04d}", *last[1:]] for k in range(n)]
    path = root / f"append-visible-{n}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return path, rows[0][0]


def bench_visible(table: Table, size: int, root: Path, port: int) -> None:
    """`make append` of 1 and of 1,000 records while the site runs as `make serve` runs
    it: from the command's start until the running server answers the first new row's
    page (the build brought up to date in place: register/database/incremental.py)."""
    with Server(root / "build", port):
        for n in (1, 1000):
            # Appends come minutes apart: let the site close the build it swapped out
            # (5 s after the swap), so the update may start from it (register/database/spare.py).
            time.sleep(SWAP_GRACE_S + 1)
            path, first = _numbered_files(root, n)
            page = f"/register/coproduction_log/{first}.json"
            cmd = [PY, "-m", "register.staff.append", "--root", str(root), "--table", "coproduction_log"]
            cmd += ["--file", str(path), "--allow-duplicates"]
            os.sync()
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "CI": "true", "REGISTER_BUILD_TIMINGS": "1"},
            )
            seen = None
            while seen is None and time.perf_counter() - start < VISIBLE_TIMEOUT_S:
                if get(port, page)[0] == 200:
                    seen = time.perf_counter() - start
                else:
                    time.sleep(0.05)
            _, err = proc.communicate()
            label = f"append {n:,} record{'s' if n > 1 else ''} -> visible on the running site"
            shown_cmd = shown(cmd)
            if seen is None or proc.returncode != 0:
                why = (err.strip().splitlines() or [f"not shown within {VISIBLE_TIMEOUT_S} s"])[-1]
                table.add(size, f"{label}: FAILED", why, command=shown_cmd)
                continue
            ok = seen <= TARGETS["visible_s"] if n == 1 else None
            table.add(size, f"{label}: wall", seen, "s", "<= 5 s" if n == 1 else None, ok, shown_cmd)
            found = re.search(r"^timings: (\{.*\})$", err, re.M)
            for name, (wall, cpu) in json.loads(found.group(1)).items() if found else ():
                if wall >= BUILD_STEP_MIN_S:
                    table.add(size, f"  update step: {name}", f"{wall:.1f} s wall, {cpu:.1f} s CPU", "", command="")
            fallback = re.search(r"^Rebuilding the whole database: (.*)$", err, re.M)
            if fallback:
                table.add(size, f"{label}: full build, because", fallback.group(1), "", command="")
