"""Every public page type of the register, timed one visitor at a time: as served (the
response cache may answer) and as computed (with a cookie, which the cache never answers)."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import time
from pathlib import Path
from urllib.parse import quote

from datasette.utils import tilde_encode

from register.bench.config import COMPUTED_PER_PAGE, PORT, REQUESTS_PER_PAGE, TARGETS
from register.bench.linked_pages import linked_pages
from register.bench.report import Table
from register.bench.server import Server, cpu_seconds, free_port, get, latencies, pct
from register.schema.package import MAIN_RESOURCES
from register.site.measures import MEASURES
from register.util.text import command_parser


def _samples(db_path: Path) -> dict:
    """Values the site's own links carry: a mid-register activity, its project, the
    project with the most activities, a "You said" item, and the commonest value of each
    configured facet (the costliest filter)."""
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    one = lambda sql, *args: (conn.execute(sql, args).fetchone() or [None])[0]  # noqa: E731
    mid = one("SELECT id FROM coproduction_log LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM coproduction_log)")
    found = {
        "activity": mid,
        "project": one("SELECT project_id FROM coproduction_log WHERE id = ?", mid),
        "item": one("SELECT id FROM you_said_we_did LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM you_said_we_did)"),
        "views": [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('view', 'table') AND name LIKE 'measure%' ORDER BY name"
            )
        ],
        "names": {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('view', 'table')")},
    }
    # The project with the most activities: its page is the biggest of its kind.
    found["busiest_project"] = one(
        "SELECT project_id FROM log_by_project_gate GROUP BY 1 ORDER BY SUM(activities) DESC"
    )
    # Its earliest activity: a link to it (?activity=) asks for one the page does not show unasked.
    found["busiest_first_activity"] = one(
        "SELECT id FROM coproduction_log WHERE project_id = ? ORDER BY activity_date, id LIMIT 1",
        found["busiest_project"],
    )
    found["item_project"] = one("SELECT project_id FROM you_said_we_did WHERE id = ?", found["item"])
    found["item_said"] = one("SELECT said_date FROM you_said_we_did WHERE id = ?", found["item"])
    for key, sql in {
        "theme": "SELECT theme FROM you_said_we_did GROUP BY theme ORDER BY COUNT(*) DESC LIMIT 1",
        "organisation": "SELECT organisation FROM projects GROUP BY organisation ORDER BY COUNT(*) DESC LIMIT 1",
        "status": "SELECT code FROM statuses WHERE closes_loop = 0 ORDER BY sort_order LIMIT 1",
    }.items():
        found[key] = one(sql)
    meta = json.loads((db_path.parent / "metadata.json").read_text("utf-8"))
    found["facets"] = {}
    for table, conf in meta.get("databases", {}).get("register", {}).get("tables", {}).items():
        if table not in found["names"]:
            continue
        for column in conf.get("facets", []):
            try:
                value = one(
                    f"SELECT [{column}] FROM [{table}] WHERE [{column}] IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
                )
            except sqlite3.Error:
                continue
            if value is not None:
                found["facets"].setdefault(table, []).append((column, value))
    found["queries"] = list(meta.get("databases", {}).get("register", {}).get("queries", {}))
    found["meta"] = meta
    if "publishers" in found["names"]:  # a national register: the publisher with the most activities
        found["publisher"] = one(
            "SELECT from_publisher FROM coproduction_log GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
        )
    conn.close()
    return found


def public_pages(port: int, db_path: Path) -> list[tuple[str, str]]:
    """(page type, path) for every public page type of the register and every filter
    its pages link to."""
    s = _samples(db_path)
    project, item = quote(str(s["project"])), quote(str(s["item"]))  # in a query string
    # In a path, as the site links them (a national register's ids hold a colon, which
    # Datasette's row pages would redirect to this form).
    project_at, item_at = tilde_encode(str(s["project"])), tilde_encode(str(s["item"]))
    pages = [
        ("home", "/"),
        ("projects index", "/projects"),
        ("projects index, a later page", "/projects?page=300"),
        ("project page", f"/projects/{project_at}"),
        ("project page, the project with the most activities", f"/projects/{tilde_encode(str(s['busiest_project']))}"),
        (
            "project page, the project with the most activities, its first activity asked for",
            f"/projects/{tilde_encode(str(s['busiest_project']))}?activity={quote(str(s['busiest_first_activity']))}",
        ),
        ("glossary", "/glossary"),
        ("accessibility", "/accessibility"),
        ("downloads", "/downloads/"),
        ("database page", "/register"),
        ("database page with its hidden tables", "/register?_show_hidden=1"),
        ("database page as JSON", "/register.json"),
        ("home page as JSON", "/.json"),
        ("releases", "/releases"),
    ]
    said = [
        ("", ""),
        ("status", f"status={s['status']}"),
        ("theme", f"theme={s['theme']}"),
        ("project", f"project={quote(str(s['item_project']))}"),
        ("organisation", f"organisation={s['organisation']}"),
        ("overdue yes", "overdue=yes"),
        ("overdue no", "overdue=no"),
        ("said from/to", f"from={s['item_said'][:4]}-01-01&to={s['item_said'][:4]}-06-30"),
        ("sort oldest", "sort=oldest"),
        ("sort due", "sort=due"),
        ("a later page", "page=200"),
        ("status + organisation, sort due", f"status={s['status']}&organisation={s['organisation']}&sort=due"),
        ("theme + overdue yes", f"theme={s['theme']}&overdue=yes"),
        ("theme + overdue no, sort due", f"theme={s['theme']}&overdue=no&sort=due"),
        ("said from, sort due", f"from={s['item_said'][:4]}-01-01&sort=due"),
    ]
    pages += [(f"you-said list{', ' + k if k else ''}", "/you-said" + (f"?{q}" if q else "")) for k, q in said]
    # The newest citable release, where `make extracts` has made one (its id is read from /releases).
    status, _, body = get(port, "/releases", {"Cookie": "bench=list"})
    release = re.search(rb'href="/releases/([^"#?/]+)"', body) if status == 200 else None
    if release:
        pages.append(("a release", f"/releases/{release.group(1).decode()}"))
    # A filtered list's pages link each other (?status=&page=): its last page, the furthest in.
    status, _, body = get(port, f"/you-said?status={s['status']}", {"Cookie": "bench=list"})
    last = re.search(rb"\(page 1 of ([\d,]+)\)", body) if status == 200 else None
    if last:
        page = last.group(1).decode().replace(",", "")
        pages.append(("you-said list, status, its last page", f"/you-said?status={s['status']}&page={page}"))
    pages += [
        ("you-said item", f"/you-said/{item_at}"),
        ("you-said how to follow", "/you-said/how-to-follow"),
        ("feed you-said", "/feeds/you-said.atom"),
        ("feed you-said, a project", f"/feeds/you-said.atom?project={quote(str(s['item_project']))}"),
        ("feed status changes", "/feeds/status-changes.atom"),
        ("feed status changes, a project", f"/feeds/status-changes.atom?project={quote(str(s['item_project']))}"),
        ("feed one item", f"/feeds/you-said/{item_at}.atom"),
        ("search, nothing asked yet", "/search"),
        ("search", "/search?q=waiting+times"),
        ("search, one common word", "/search?q=care"),
    ]
    for t in MAIN_RESOURCES:
        pages.append((f"table {t} (default facets)", f"/register/{t}"))
    for t in ("you_said_we_did_current", "gate_assurance", "partner_verdicts_current"):
        if t in s["names"]:
            pages.append((f"table {t} (default facets)", f"/register/{t}"))
    pages += [
        ("filtered table coproduction_log", "/register/coproduction_log?gate=plan&participation_level=co_design"),
        ("filtered table equality_impacts", "/register/equality_impacts?impact=negative&characteristic=disability"),
        ("project's coproduction_log", f"/register/coproduction_log?project_id={project}"),
        ("project's equality_impacts", f"/register/equality_impacts?project_id={project}"),
        ("project's you_said_we_did_current", f"/register/you_said_we_did_current?project_id={project}"),
        ("item's you_said_we_did_updates", f"/register/you_said_we_did_updates?you_said_id={item}"),
    ]
    for table, filters in s["facets"].items():
        if table.startswith(("measure_", "summary_")):
            continue  # measured with the measure views below
        for column, value in filters:  # a record's column too: its commonest value is the busiest record
            pages.append((f"facet link {table}?{column}=", f"/register/{table}?{column}={quote(str(value))}"))
    pages += [
        ("row coproduction_log", f"/register/coproduction_log/{tilde_encode(str(s['activity']))}"),
        ("row projects", f"/register/projects/{project_at}"),
        ("row you_said_we_did", f"/register/you_said_we_did/{item_at}"),
        ("table search", "/register/coproduction_log?_search=transport"),
        ("table search you_said_we_did", "/register/you_said_we_did?_search=transport"),
        # The search page links its words' search of each of these tables too.
        ("table search projects", "/register/projects?_search=transport"),
        ("table search you_said_we_did_updates", "/register/you_said_we_did_updates?_search=transport"),
        # As the table page links it: labels expanded, up to 1,000 rows.
        (
            "CSV of a filtered table",
            "/register/coproduction_log.csv?gate=plan&participation_level=co_design&_labels=on&_size=max",
        ),
        ("JSON of a filtered table", "/register/coproduction_log.json?gate=plan&participation_level=co_design"),
    ]
    for name in s["queries"]:
        pages.append((f"query {name}", f"/register/{name}"))
    if s.get("publisher"):  # each publisher's links on the national register's /publishers
        code = quote(str(s["publisher"]))
        pages.append(("publisher's projects", f"/register/projects?from_publisher={code}"))
        pages.append(("publisher's fetches", f"/register/publisher_fetches?publisher={code}"))
    if "publishers" in s["names"]:
        pages.append(("publishers", "/publishers"))
    status, _, body = get(port, "/measures", {"Cookie": "bench=list"})
    names = {n.decode() for n in re.findall(rb'href="/measures/([a-z_]+)"', body)} if status == 200 else set()
    # Each measure view has a page (register/site/pages.py), whether or not the index
    # page itself can be shown.
    names |= {v[len("measure_") :] for v in s["views"]} | {"gate_assurance"}
    pages.append(("measures index", "/measures"))
    pages.append(("gate assurance", "/gate-assurance"))
    pages.append(("gate assurance, a later page", "/gate-assurance?page=300"))
    charted = {m.name for m in MEASURES if m.chart}
    for name in sorted(names):
        pages.append((f"measure {name}", f"/measures/{name}"))
        # The chart image of each size: the first request draws it (vl-convert), later
        # ones compute the spec again and find it drawn (register/site/measure_chart.py).
        for size in ("narrow", "wide") if name in charted else ():
            pages.append((f"measure {name} chart {size}", f"/measures/{name}/chart-{size}.svg"))
    for view in s["views"]:
        pages.append((f"measure view {view}", f"/register/{view}"))
        for column, value in s["facets"].get(view, []):
            pages.append((f"facet link {view}?{column}=", f"/register/{view}?{column}={quote(str(value))}"))
    pages += linked_pages(get, port, db_path, s["meta"], s)
    timed: set[str] = set()  # each address once, under the first page type that names it
    return [(kind, path) for kind, path in pages if not (path in timed or timed.add(path))]


def add_latency(
    table: Table, size: int, figure: str, times: list[float], errors: int, command: str, cpu_ms: float | None = None
) -> None:
    p95 = pct(times, 95)
    shown_errors = f", {errors} errors" if errors else ""
    shown_cpu = f", {cpu_ms:.0f} ms CPU a page" if cpu_ms is not None else ""
    table.add(
        size,
        figure,
        f"{pct(times, 50):.1f} / {p95:.1f} ms{shown_cpu}{shown_errors}",
        "",
        "p95 <= 100 ms",
        p95 <= TARGETS["p95_ms"] and not errors,
        command,
    )


def bench_pages(
    table: Table, size: int, port: int, db_path: Path, served: bool = True, only: str = "", pid: int | None = None
) -> list[tuple[str, str]]:
    """Time every page type (those whose type matches `only`, if given); returns those
    that exist, for the load test. `served=False` times the computed page alone. With
    the server's process id, the CPU it spent per computed page is given too (wall
    times on a shared machine include waiting for a core)."""
    pages = [(k, p) for k, p in public_pages(port, db_path) if re.search(only, k)]
    kept = []
    for kind, path in pages:
        start = time.perf_counter()
        status, _, _ = get(port, path, {"Cookie": "bench=cold"})
        cold = (time.perf_counter() - start) * 1000
        if status == 404:
            table.add(size, f"{kind}: skipped (404)", "-", command=f"GET {path}")
            continue
        if "_stream=on" in path and status == 200:
            # Every row of a table as one answer is a download, not a page: its whole time,
            # once (a million-row view streams for tens of seconds), and not in the load test.
            table.add(size, f"{kind}: the whole answer, once", f"{cold / 1000:.1f}", "s", command=f"GET {path}")
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
        before = cpu_seconds(pid) if pid else None
        computed, c_err = latencies(port, path, COMPUTED_PER_PAGE, {"Cookie": "bench=uncached"})
        after = cpu_seconds(pid) if pid else None
        cpu_ms = (after - before) * 1000 / len(computed) if before is not None and after is not None else None
        if served:
            served_times, s_err = latencies(port, path, REQUESTS_PER_PAGE)
            add_latency(
                table, size, f"{kind}: p50 / p95 as served", served_times, s_err, f"GET {path}  x{len(served_times)}"
            )
        add_latency(
            table,
            size,
            f"{kind}: p50 / p95 computed (uncached)",
            computed,
            c_err,
            f"GET {path} -H 'Cookie: bench=1'  x{len(computed)} (first request {cold:.0f} ms)",
            cpu_ms,
        )
    return kept


def main(argv=None) -> int:
    """Every page type of a built register computed fresh (the cache never answers), as
    `make bench` measures it at its largest size, without generating or building."""
    parser = command_parser(__spec__, main.__doc__)
    parser.add_argument("--build-dir", required=True, help="a built register (python -m register.database.build)")
    parser.add_argument("--only", default="", help="a regular expression: time only the page types it matches")
    parser.add_argument("--served", action="store_true", help="time the page as served (cached) too")
    args = parser.parse_args(argv)
    build_dir = Path(args.build_dir)
    db_path = build_dir / "register.db"
    # Said before the database is opened: sqlite3 would write an empty register.db into
    # any folder named, and a pattern that is no regular expression would fail only once
    # a server had been started.
    if not db_path.is_file():
        parser.error(
            f"{db_path} does not exist: --build-dir must be a built register, for example "
            f"python -m register.database.build --out {build_dir}"
        )
    try:
        re.compile(args.only)
    except re.error as e:
        parser.error(f"--only {args.only!r} is not a regular expression ({e})")
    size = (
        sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
        .execute("SELECT COUNT(*) FROM coproduction_log")
        .fetchone()[0]
    )
    table = Table()
    port = free_port(PORT)
    with Server(build_dir, port) as server:
        bench_pages(table, size, port, db_path, served=args.served, only=args.only, pid=server.proc.pid)
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
