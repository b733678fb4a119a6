"""Fast on a phone: Lighthouse (mobile, simulated slow 4G) and pa11y (HTML_CodeSniffer,
WCAG 2 AA) against every page type of the sample register, served as `make serve` serves it.

    python -m register.bench.lighthouse      (`make bench` runs it too; BENCH_LIGHTHOUSE=0 skips)

Why here and not in the tests: a Lighthouse score is a measurement (it simulates a slow
phone from a trace of a real load, so it moves with the machine's load), and the tools
need Node and a browser. scripts/install-lighthouse installs the versions pinned in
package-lock.json, with Debian's chromium and no browser download.

Each page's performance score is the median of RUNS runs (Lighthouse's own advice for
variable machines); accessibility, best practices and SEO do not depend on timing.
A page that misses a target gets a row naming the audits that cost it points, with
what Lighthouse measured. The JSON reports are kept in build/bench/lighthouse/.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from register.bench.config import LIGHTHOUSE_RUNS, PORT, WORK
from register.bench.measure import shown
from register.bench.report import Table, say
from register.bench.server import Server, free_port, get
from register.schema.package import ROOT
from register.util.text import command_parser

BIN = ROOT / "node_modules" / ".bin"
INSTALL = ROOT / "scripts" / "install-lighthouse"
CHROME = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"
# Debian's chromium as root, on a machine with no outside network.
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 95}
TARGET_TEXT = ">= 95 / 100 / 100 / >= 95"
RUNS = max(1, LIGHTHOUSE_RUNS)
WHY_AUDITS = 6  # the audits named when a target is missed, heaviest first
SIZE = "sample"


def page_types(db_path: Path, port: int) -> list[tuple[str, str | None]]:
    """(page type, path) for every page type the issue names; path None if the sample
    register has no such page (no "You said" item, say)."""
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)

    def first(sql: str):
        row = conn.execute(sql).fetchone()
        return row[0] if row else None

    project = first("SELECT id FROM projects ORDER BY id LIMIT 1")
    item = first("SELECT id FROM you_said_we_did ORDER BY id LIMIT 1")
    activity = first("SELECT id FROM coproduction_log ORDER BY id LIMIT 1")
    title = first("SELECT title FROM projects ORDER BY id LIMIT 1") or ""
    conn.close()
    words = sorted(re.findall(r"[A-Za-z]{4,}", title), key=len, reverse=True)
    status, _, body = get(port, "/measures")
    measures = re.findall(rb'href="/measures/([a-z_]+)"', body) if status == 200 else []
    metadata = json.loads((db_path.parent / "metadata.json").read_text("utf-8"))
    queries = list(metadata.get("databases", {}).get("register", {}).get("queries", {}))
    return [
        ("home", "/"),
        ("projects", "/projects"),
        ("a project", project and f"/projects/{project}"),
        ("a 'You said' item", item and f"/you-said/{item}"),
        ("'You said, we did' list", "/you-said"),
        ("measures", "/measures"),
        ("a measure", measures and f"/measures/{measures[0].decode()}"),
        ("gate assurance", "/gate-assurance"),
        ("search", words and f"/search?q={words[0].lower()}"),
        ("glossary", "/glossary"),
        ("downloads", "/downloads"),
        ("Datasette table", "/register/coproduction_log"),
        ("Datasette row", activity and f"/register/coproduction_log/{activity}"),
        ("Datasette query", queries and f"/register/{queries[0]}"),
    ]


def lighthouse_command(url: str) -> list[str]:
    return [
        str(BIN / "lighthouse"),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=" + " ".join(CHROME_FLAGS),
    ]


def pa11y_command(url: str, config: Path) -> list[str]:
    return [
        str(BIN / "pa11y"),
        "--runner",
        "htmlcs",
        "--standard",
        "WCAG2AA",
        "--reporter",
        "json",
        "--timeout",
        "60000",
        "--config",
        str(config),
        url,
    ]


def run_lighthouse(url: str) -> dict:
    done = subprocess.run(
        lighthouse_command(url), capture_output=True, text=True, env={**os.environ, "CHROME_PATH": CHROME}
    )
    if done.returncode != 0 or not done.stdout.startswith("{"):
        raise RuntimeError(f"lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def scores(report: dict) -> dict[str, int]:
    return {c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}


def why(report: dict, missed: list[str]) -> str:
    """The audits that cost a missed category points, with what Lighthouse measured."""
    out = []
    for category in missed:
        refs = report["categories"][category]["auditRefs"]
        for ref in sorted(refs, key=lambda r: -r["weight"]):
            audit = report["audits"][ref["id"]]
            if audit.get("score") is None or audit["score"] >= 0.9:
                continue
            if ref["weight"] == 0 and audit.get("details", {}).get("type") != "opportunity":
                continue
            shown_value = f" {audit['displayValue']}" if audit.get("displayValue") else ""
            out.append(f"{ref['id']}{shown_value}")
    return "; ".join(list(dict.fromkeys(out))[:WHY_AUDITS]) or "no single audit below 0.9"


def run_pa11y(url: str, config: Path) -> list[dict]:
    done = subprocess.run(pa11y_command(url, config), capture_output=True, text=True)
    # pa11y exits 2 when it found issues, 0 when none; anything else is a failure to run.
    if done.returncode not in (0, 2):
        raise RuntimeError(f"pa11y failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}")
    return [i for i in json.loads(done.stdout or "[]") if i.get("type") == "error"]


def ensure_tools() -> bool:
    """Lighthouse and pa11y as pinned in package-lock.json (scripts/install-lighthouse)."""
    subprocess.run([str(INSTALL)], cwd=ROOT, check=False)
    return (BIN / "lighthouse").exists() and (BIN / "pa11y").exists() and Path(CHROME).exists()


def sample_build() -> Path:
    """build/ of the sample register, with its downloads (the downloads page lists them)."""
    subprocess.run(["make", "--no-print-directory", "extracts"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return ROOT / "build"


def measure_page(kind: str, url: str, out: Path) -> tuple[dict, dict[str, int]]:
    """RUNS Lighthouse runs of one page: the report of the median performance, and the
    scores with performance as that median."""
    reports = []
    for n in range(RUNS):
        say(f"lighthouse {kind} ({n + 1}/{RUNS})")
        reports.append(run_lighthouse(url))
    reports.sort(key=lambda r: scores(r)["performance"])
    median = reports[len(reports) // 2]
    result = scores(median)
    result["performance"] = round(statistics.median(scores(r)["performance"] for r in reports))
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    (out / f"{slug}.json").write_text(json.dumps(median))
    return median, result


def bench_lighthouse(table: Table) -> None:
    if not ensure_tools():
        table.add(SIZE, "lighthouse: not installed", "-", ok=False, command=shown([str(INSTALL)]))
        return
    build = sample_build()
    out = WORK / "lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port(PORT)
    with Server(build, port), tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "pa11y.json"
        config.write_text(json.dumps({"chromeLaunchConfig": {"executablePath": CHROME, "args": CHROME_FLAGS}}))
        table.add(SIZE, "lighthouse, pa11y: server", "register/site/serve.py command()", command="make build")
        for kind, path in page_types(build / "register.db", port):
            if not path:
                table.add(SIZE, f"{kind}: no such page in the sample register", "-", ok=False)
                continue
            url = f"http://127.0.0.1:{port}{path}"
            get(port, path)  # as a visitor finds it: the response cache warm
            report, result = measure_page(kind, url, out)
            missed = [c for c in CATEGORIES if result[c] < TARGETS[c]]
            table.add(
                SIZE,
                f"lighthouse {kind}: perf / a11y / BP / SEO",
                " / ".join(str(result[c]) for c in CATEGORIES),
                target=TARGET_TEXT,
                ok=not missed,
                command=f"lighthouse {path} (mobile, median of {RUNS})",
            )
            if missed:
                table.add(SIZE, f"  why {kind} misses {', '.join(missed)}", why(report, missed), ok=False)
            errors = run_pa11y(url, config)
            table.add(
                SIZE,
                f"pa11y {kind}: errors (HTML_CodeSniffer, WCAG2AA)",
                len(errors),
                target="0",
                ok=not errors,
                command=f"pa11y --runner htmlcs --standard WCAG2AA {path}",
            )
            for e in errors[:3]:
                table.add(SIZE, f"  pa11y {kind}: {e['code'].split('.')[-2]}", e["message"][:100], ok=False)


def main(argv=None) -> int:
    parser = command_parser(
        __spec__,
        __doc__,
        epilog="It takes no options: BENCH_LIGHTHOUSE sets the runs per page, BENCH_PORT the first port tried "
        "(docs/settings.md). It installs Lighthouse and pa11y first if they are missing (scripts/install-lighthouse).",
    )
    parser.parse_args(argv)
    table = Table()
    bench_lighthouse(table)
    table.print()
    return 0 if all(r["ok"] is not False for r in table.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
