"""The impact report and the analysts' guide, executed headless on the sample data.

The report's figures are checked against counts written here straight against the base
tables (not through the views the report uses), so a wrong view or a wrong report both
show up. The guide is run against a real Datasette server started as `make serve` starts
it, so its API examples (paging included) are known to work.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import json
import math
import os
import re
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from register.database.build import build
from register.publishing import report
from register.schema.package import ROOT, Package
from register.site.serve import command
from tests.conftest import copy_repo, rewrite_dataset

PERIOD = ("2024-07-01", "2024-09-30")
PORTS = range(8140, 8150)
# What closes the loop is the statuses codelist's to say; read here from its CSV.
with (ROOT / "datasets" / "codelists" / "statuses.csv").open(newline="", encoding="utf-8") as _f:
    CLOSED = tuple(r["code"] for r in csv.DictReader(_f) if r["closes_loop"] == "true")


# --- independent counts ------------------------------------------------------------------


def expected(db: Path, start: str | None = None, end: str | None = None) -> dict:
    """The report's headline figures, worked out afresh from the base tables."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = lambda sql, *p: conn.execute(sql, p).fetchall()  # noqa: E731
    lo, hi = start or "0000-01-01", end or "9999-12-31"

    log = q(
        "SELECT l.id, l.activity_date, l.gate, l.participation_level, l.place, l.lived_experience_count,"
        " l.staff_count, l.reimbursement_offered, p.organisation FROM coproduction_log l"
        " JOIN projects p ON p.id = l.project_id WHERE l.activity_date BETWEEN ? AND ?",
        lo,
        hi,
    )
    e = {"activities": len(log)}
    e["activities_by_gate"] = dict(collections.Counter(r[2] for r in log))
    e["activities_by_level"] = dict(collections.Counter(r[3] for r in log))
    e["activities_by_organisation"] = dict(collections.Counter(r[8] for r in log))
    e["activities_by_place"] = dict(collections.Counter(r[4] or "not recorded" for r in log))
    e["quarters_with_activity"] = dict(collections.Counter(f"{r[1][:4]} Q{(int(r[1][5:7]) - 1) // 3 + 1}" for r in log))
    judged = [r for r in log if r[5] is not None and r[6] is not None]
    e["staff_outnumbered_activities"] = sorted(r[0] for r in judged if r[6] > r[5])
    e["balance_not_recorded"] = len(log) - len(judged)
    e["reimbursement"] = {
        k: v
        for k, v in {
            "offered": sum(r[7] == 1 for r in log),
            "not offered": sum(r[7] == 0 for r in log),
            "not recorded": sum(r[7] is None for r in log),
        }.items()
        if v
    }

    e["projects"] = q("SELECT COUNT(*) FROM projects")[0][0]
    e["projects_via_strategic_group"] = q("SELECT COUNT(*) FROM projects WHERE via_strategic_group = 1")[0][0]

    eia = q(
        "SELECT project_id, characteristic, impact, mitigation, coproduced FROM equality_impacts"
        " WHERE assessed_date IS NULL OR assessed_date BETWEEN ? AND ?",
        lo,
        hi,
    )
    e["eia_projects"] = len({r[0] for r in eia})
    e["eia_coproduced_projects"] = len({r[0] for r in eia if r[4] == 1})
    negative = [r for r in eia if r[2] == "negative"]
    e["negative_impacts"] = len(negative)
    e["negative_with_mitigation"] = sum(1 for r in negative if r[3])
    e["negative_without_mitigation"] = sum(1 for r in negative if not r[3])
    characteristics = q("SELECT COUNT(*) FROM characteristics")[0][0]
    e["equality_coverage"] = {
        k: v
        for k, v in {
            "assessed": sum(r[2] != "not_assessed" for r in eia),
            "not assessed": sum(r[2] == "not_assessed" for r in eia),
            "missing": e["projects"] * characteristics - len(eia),
        }.items()
        if v
    }

    # Due: the date staff set, or the one the response rule gives (tests/unit/test_deadlines.py).
    items = q(
        "SELECT y.id, y.said_date, d.due_date FROM you_said_we_did y JOIN you_said_due_dates d ON d.you_said_id = y.id "
        "WHERE y.said_date BETWEEN ? AND ?",
        lo,
        hi,
    )
    history = collections.defaultdict(list)
    for item, date, uid, status in q("SELECT you_said_id, update_date, id, status FROM you_said_we_did_updates"):
        history[item].append((date, uid, status))
    today = dt.date.today().isoformat()  # date('now', 'localtime'), as the views have it
    status, days, overdue = {}, [], []
    for item, said, target in items:
        updates = sorted(history[item])
        status[item] = updates[-1][2] if updates else "open"
        responses = [d for d, _, s in updates if s != "open"]
        if responses:
            days.append((dt.date.fromisoformat(min(responses)) - dt.date.fromisoformat(said)).days)
        if target and target < today and status[item] not in CLOSED:
            overdue.append(item)
    e["you_said_items"] = len(items)
    e["you_said_by_status"] = dict(collections.Counter(status.values()))
    e["loop_closed"] = sum(s in CLOSED for s in status.values())
    e["overdue_items"] = sorted(overdue)
    e["average_days_to_response"] = round(sum(days) / len(days), 1) if days else None

    # Gate assurance, from the strategy's list of evidence at each gate (003 s7.0).
    order = dict(q("SELECT code, sort_order FROM gates"))
    gaps = []
    for pid, current in q("SELECT id, current_gate FROM projects"):
        at = lambda gate, extra="": q(  # noqa: E731
            f"SELECT COUNT(*) FROM coproduction_log WHERE project_id = ? AND gate = ? {extra}", pid, gate
        )[0][0]
        evidence = {
            "assess": at("assess") > 0,
            "plan": at("plan") > 0
            and q(  # an entry recorded as not assessed is not the evidence
                "SELECT COUNT(DISTINCT e.characteristic) FROM equality_impacts e JOIN impacts i ON i.code = e.impact"
                " WHERE e.project_id = ? AND i.assessed",
                pid,
            )[0][0]
            == characteristics,
            "procure": at("procure", "AND lived_experience_count > 0 AND reimbursement_offered = 1") > 0,
            "monitor_evaluate": q(
                "SELECT COUNT(*) FROM you_said_we_did_updates u JOIN you_said_we_did y"
                " ON y.id = u.you_said_id WHERE y.project_id = ?",
                pid,
            )[0][0]
            > 0,
        }
        gaps += [[pid, g] for g in evidence if order[g] < order[current] and not evidence[g]]
    e["gate_gaps"] = sorted(gaps)
    conn.close()
    return e


def check(figures: dict, e: dict) -> None:
    nonzero = lambda d: {k: v for k, v in d.items() if v}  # noqa: E731
    assert figures["activities"] == e["activities"]
    for key in ("activities_by_gate", "activities_by_level", "activities_by_organisation", "activities_by_place"):
        assert nonzero(figures[key]) == e[key], key
    assert nonzero(figures["activities_by_quarter"]) == e["quarters_with_activity"]
    assert figures["staff_outnumbered_activities"] == e["staff_outnumbered_activities"]
    assert figures["balance"].get("not recorded", 0) == e["balance_not_recorded"]
    assert figures["reimbursement"] == e["reimbursement"]
    # One word for a value not recorded, in every group of figures: a reader joining
    # them must not meet "not_recorded" in one and "not recorded" in another.
    keys = {k for v in figures.values() if isinstance(v, dict) for k in v}
    assert "not_recorded" not in keys and not any(k is None or k == "null" for k in keys)
    for key in (
        "projects",
        "projects_via_strategic_group",
        "eia_projects",
        "eia_coproduced_projects",
        "negative_impacts",
        "negative_with_mitigation",
        "negative_without_mitigation",
        "you_said_items",
        "loop_closed",
        "overdue_items",
        "average_days_to_response",
        "equality_coverage",
    ):
        assert figures[key] == e[key], key
    assert nonzero(figures["you_said_by_status"]) == e["you_said_by_status"]
    assert figures["overdue"] == len(e["overdue_items"])
    assert figures["loop_closure_rate"] == (
        round(e["loop_closed"] / e["you_said_items"], 4) if e["you_said_items"] else None
    )
    assert sorted(figures["gate_gaps"]) == e["gate_gaps"]


# --- the impact report -------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_report(build_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return out, report.run(build_dir / "register.db", out)


def test_report_figures_match_independent_counts(full_report, build_dir):
    _, figures = full_report
    assert figures["period"] == {"start": None, "end": None}
    assert figures["activities"] > 0 and figures["you_said_items"] > 0  # the sample data is there
    check(figures, expected(build_dir / "register.db"))


def test_report_says_what_a_response_is_as_the_statuses_codelist_does(full_report):
    """A first response is the first update whose status responds (standard 1.3.0): the
    report named it "any status after open", a code the views no longer write."""
    out, figures = full_report
    text = " ".join(BeautifulSoup((out / "impact_report.html").read_text("utf-8"), "html.parser").get_text(" ").split())
    assert figures["you_said_items"] > 0 and "after open" not in text
    assert "had a response (an update that is planned, in progress, done or not taken forward); on average" in text


def test_report_quarters_are_contiguous(full_report):
    """Quiet quarters are shown as zero, not dropped."""
    quarters = list(full_report[1]["activities_by_quarter"])
    years = [int(q[:4]) * 4 + int(q[-1]) - 1 for q in quarters]
    assert years == list(range(years[0], years[0] + len(years)))


def test_report_period_parameter(build_dir, tmp_path):
    figures = report.run(build_dir / "register.db", tmp_path, *PERIOD)
    assert figures["period"] == {"start": PERIOD[0], "end": PERIOD[1]}
    e = expected(build_dir / "register.db", *PERIOD)
    check(figures, e)
    whole = expected(build_dir / "register.db")
    # The sample data has activity outside this quarter, so the period must bite.
    assert e["activities"] < whole["activities"]
    html = (tmp_path / "impact_report.html").read_text("utf-8")
    assert "Reporting period: 1 July 2024 to 30 September 2024." in html


def test_report_says_a_one_day_period_and_all_at_one_gate_plainly(build_dir, tmp_path):
    """A one-day period is that day, not a range from it to itself; when every activity is
    at one gate the report says all were, not most (6 August 2024: two, both at Assess)."""
    day = "2024-08-06"
    figures = report.run(build_dir / "register.db", tmp_path, day, day)
    text = BeautifulSoup((tmp_path / "impact_report.html").read_text("utf-8"), "html.parser").get_text(" ")
    assert "Reporting period: 6 August 2024." in text and "to 6 August 2024" not in text
    gates = {g: n for g, n in figures["activities_by_gate"].items() if n}
    assert len(gates) == 1 and figures["activities"] > 1, "the sample has activities at one gate that day"
    assert re.search(rf"All were at the \w+ gate \({figures['activities']}\)", text)
    assert "Most were at" not in text


def test_report_says_a_count_of_one_with_a_singular_verb(tmp_path):
    """A register with one activity, one "You said" item (its loop closed by one update)
    and one equality impact entry (undated, co-produced): "1 of 1 ... says", "1 ... has
    had", "1 row ... has no date", never "1 ... say" or "1 ... have"."""
    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    rewrite_dataset(root, "you_said_we_did", lambda rows: [r for r in rows if r["id"] == "YS-0001"])
    rewrite_dataset(root, "you_said_we_did_updates", lambda rows: [r for r in rows if r["you_said_id"] == "YS-0001"])
    rewrite_dataset(root, "equality_impacts", lambda rows: [r for r in rows if r["project_id"] == "PRJ-0001"])
    rewrite_dataset(root, "coproduction_log", lambda rows: [r for r in rows if r["id"] == "LOG-0001"])
    build(Package(root), root / "build")
    figures = report.run(root / "build" / "register.db", tmp_path / "out", "2024-08-01", "2025-12-31", root)
    assert (figures["you_said_items"], figures["loop_closed"], figures["eia_coproduced_projects"]) == (1, 1, 1)
    text = " ".join(
        BeautifulSoup((tmp_path / "out" / "impact_report.html").read_text("utf-8"), "html.parser").get_text(" ").split()
    )
    assert "1 of 1 equality impact assessment says the transformation was co-produced." in text
    assert "1 of 1 thing people said has had the loop closed" in text
    assert "1 has had a response" in text
    assert "1 row of Equality impacts has no date" in text
    # One activity: it was at a gate, in a quarter ("All were at ... (1)" read oddly).
    assert figures["activities"] == 1 and "It was at the Assess gate." in text and "All were at" not in text
    assert "Activity was logged in one quarter, 2024 Q3: every activity in this period is in it." in text


def test_report_of_an_empty_register_draws_no_empty_chart(tmp_path):
    """A register with no record yet (a new publisher's first build) said "0 of 0 projects
    came through the group", "Of the 0 pairs of project and characteristic, 0 are
    assessed", and drew three charts with nothing in them, each named for screen readers
    as a chart of projects. Each section now says there is no project, and draws nothing."""
    (tmp_path / "repo").mkdir()
    root = copy_repo(tmp_path / "repo")
    for name in (
        "projects",
        "coproduction_log",
        "equality_impacts",
        "you_said_we_did",
        "you_said_we_did_updates",
        "partner_verdicts",
        "corrections",
    ):
        rewrite_dataset(root, name, lambda rows: [])
    build(Package(root), root / "build")
    figures = report.run(root / "build" / "register.db", tmp_path / "out", None, None, root)
    assert figures["projects"] == figures["activities"] == figures["you_said_items"] == 0
    page = BeautifulSoup((tmp_path / "out" / "impact_report.html").read_text("utf-8"), "html.parser")
    text = " ".join(page.get_text(" ").split())
    assert not page.find_all("figure") and not page.find_all("svg")
    assert not re.search(r"\b0 of 0\b|\bthe 0\b|Of the 0", text), re.findall(
        r".{40}\b0 of 0.{40}|.{40}the 0.{40}", text
    )
    for section in ("Strategic Co-production Group", "Equality impacts", "Gate assurance"):
        said = page.find("h2", string=re.compile(section)).find_next("div", class_="commentary").get_text(" ")
        assert "No project is recorded in the register." in said, section


def test_report_html_is_self_contained_and_accessible(full_report):
    out, figures = full_report
    html = (out / "impact_report.html").read_text("utf-8")
    assert '<html lang="en-GB">' in html
    # Nothing loaded from another origin, no script, no inline style (the site's CSP). The one
    # outside address allowed is the citation's link to the release the report shows.
    page = BeautifulSoup(html, "html.parser")
    loaded = [t.get(a) for t in page.find_all(True) for a in ("src", "srcset", "data", "poster") if t.get(a)]
    loaded += [link.get("href") for link in page.find_all("link")]
    assert not [u for u in loaded if re.match(r"(?i)(https?:)?//", u)], loaded
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html)) - {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert all("/releases/" in u for u in urls), urls
    assert "cdn" not in html.lower() and "jsdelivr" not in html.lower()
    assert "<script" not in html and "<style" not in html and " style=" not in html
    page = BeautifulSoup(html, "html.parser")
    assert [link["href"] for link in page.find_all("link", rel="stylesheet")] == ["impact_report.css"]
    assert (out / "impact_report.css").stat().st_size > 0
    # Code is hidden; charts are static SVG images with a name and a caption.
    assert "import altair" not in html and "rk.query" not in html and "measure_balance" not in html
    figures_ = page.find_all("figure")
    assert len(figures_) >= 8
    for fig in figures_:
        svg = fig.find("svg")
        assert svg["role"] == "img" and len(svg["aria-label"]) > 20
        assert fig.find("figcaption").get_text().startswith("Figure ")
    assert [h.name for h in page.find_all(["h1"])] == ["h1"]
    for heading in (
        "Where co-production happens",
        "Balance",
        "Reimbursement offered",
        "Equality impacts",
        "closing the loop",
        "Gate assurance",
        "Strategic Co-production Group",
    ):
        assert heading in html
    # Headline figures as written for people.
    assert f"{figures['activities']} co-production activities logged" in html
    assert f"{figures['loop_closed']} of {figures['you_said_items']} things people said" in html
    assert "<caption>" in html and '<th scope="col"' in html
    for wrap in page.select("div.table-wrap"):  # wide tables scroll, and so take focus (axe)
        assert wrap["tabindex"] == "0" and wrap["role"] == "region" and wrap["aria-label"]
    # Every section has its worked-out commentary, not only its charts.
    commentary = " ".join(d.get_text(" ") for d in page.select("div.commentary"))
    for sentence in (
        "Reporting period: every record in the register.",
        "Activity was logged in",
        "came through the Strategic Co-production Group",
        "loop-closure rate",
        "have an equality impact assessment",
        "passed at least one gate",
        "Whether reimbursement was offered is not recorded for any of the",
    ):
        assert sentence in commentary, sentence
    # Labels come from the codelists and schemas, not codes.
    assert "Monitor and Evaluate" in html and "monitor_evaluate" not in html


def test_report_says_reimbursement_not_recorded_as_the_summary_and_the_site_say_it(full_report, client):
    """No activity of the sample records whether reimbursement was offered. The section
    said "Reimbursement offered: 0 of 8 activities. For 8 the records do not say.", which
    reads as never offered, below a summary (and a site) saying it is not recorded."""
    out, figures = full_report
    assert figures["reimbursement"] == {"not recorded": figures["activities"]}, "the sample records none"
    page = BeautifulSoup((out / "impact_report.html").read_text("utf-8"), "html.parser")
    section = page.find("h2", string="Reimbursement offered").find_next("div", class_="commentary").get_text(" ")
    said = f"Whether reimbursement was offered is not recorded for any of the {figures['activities']} activities."
    assert said in section and " 0 of " not in section
    assert said in page.find("ul").get_text(" ")
    site = client.get("/measures/reimbursement").text
    assert f"For all {figures['activities']} co-production activities the records do not say" in site


def test_report_figures_name_the_site_page_of_their_measure(full_report, client):
    """The report said only that every measure is "an SQL view in views.sql": a reader
    could not tell which of the site's pages Figure 4 is. Each caption now names the page
    that shows its measure, and that page is the site's."""
    out, _ = full_report
    page = BeautifulSoup((out / "impact_report.html").read_text("utf-8"), "html.parser")
    pages = []
    for caption in page.select("figure figcaption"):
        link = caption.find("a")
        assert link is not None and "The measure behind it: the site's page" in caption.get_text(), caption
        pages.append(link["href"])
    assert "/measures/reimbursement" in pages and "/measures/you_said_we_did" in pages
    for path in pages:
        assert client.get(path).status_code == 200, path


def test_report_ipynb_is_executed_with_parameters(full_report):
    out, _ = full_report
    nb = nbformat.read(out / "impact_report.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "period_start = None" in injected[0].source
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    # Published atomically: no temporary files or folders are left beside the report.
    assert sorted(p.name for p in out.iterdir()) == [
        "impact_report.css",
        "impact_report.html",
        "impact_report.ipynb",
        "impact_report_figures.json",
    ]


def test_report_matches_site_measure_pages(full_report, client):
    """Every figure the site's measure pages show for these measures is the report's."""
    _, figures = full_report

    def rows(view):
        response = client.get(f"/register/{view}.json?_shape=array&_size=max")
        assert response.status_code == 200
        return response.json()

    yswd = rows("measure_you_said_we_did")
    assert {r["status"]: r["items"] for r in yswd} == figures["you_said_by_status"]
    assert sum(r["loop_closed"] or 0 for r in yswd) == figures["loop_closed"]
    strategic = rows("measure_strategic_group")
    assert (
        sum(r["projects"] for r in strategic if r["came_through_group"] == "yes")
        == figures["projects_via_strategic_group"]
    )
    assert {r["reimbursement"]: r["activities"] for r in rows("measure_reimbursement")} == figures["reimbursement"]
    depth = rows("measure_depth_by_gate")
    assert sum(r["activities"] for r in depth) == figures["activities"]
    gaps = [[r["project_id"], r["gate"]] for r in rows("gate_assurance") if r["passed"] and not r["evidence_published"]]
    assert sorted(gaps) == sorted(figures["gate_gaps"])


def test_report_refuses_bad_periods_and_missing_database(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        report.main(["--start", "2025-13-01", "--out", str(tmp_path)])
    assert "YYYY-MM-DD" in str(err.value) and "2025-13-01" in str(err.value)
    with pytest.raises(SystemExit) as err:
        report.main(
            [
                "--start",
                "2025-07-01",
                "--end",
                "2025-06-30",
                "--db",
                str(ROOT / "build" / "register.db"),
                "--out",
                str(tmp_path),
            ]
        )
    assert "after it ends" in str(err.value)
    (tmp_path / "impact_report.html").write_text("previous report", "utf-8")
    with pytest.raises(SystemExit) as err:
        report.main(["--db", str(tmp_path / "nothing.db"), "--out", str(tmp_path)])
    assert "make build" in str(err.value)
    assert (tmp_path / "impact_report.html").read_text("utf-8") == "previous report"


def test_period_copy_leaves_out_records_dated_outside(build_dir):
    """The period is applied by deleting records from an in-memory copy; the file is untouched."""
    from register.publishing import reportkit

    db = build_dir / "register.db"
    before = db.stat().st_mtime_ns
    conn, note = reportkit.open_register(db, *PERIOD)
    raw = sqlite3.connect(db)
    in_period = raw.execute(
        "SELECT COUNT(*) FROM coproduction_log WHERE activity_date BETWEEN ? AND ?", PERIOD
    ).fetchone()[0]
    total = raw.execute("SELECT COUNT(*) FROM coproduction_log").fetchone()[0]
    assert conn.execute("SELECT COUNT(*) FROM coproduction_log").fetchone()[0] == in_period
    assert note["left_out"]["coproduction_log"] == total - in_period
    # Nothing is left hanging off a deleted record.
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM you_said_we_did_updates u WHERE u.you_said_id NOT IN (SELECT id FROM you_said_we_did)"
        ).fetchone()[0]
        == 0
    )
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM coproduction_log_groups g WHERE g.coproduction_log_id NOT IN"
            " (SELECT id FROM coproduction_log)"
        ).fetchone()[0]
        == 0
    )
    # Undated equality impacts are kept and counted.
    undated = raw.execute("SELECT COUNT(*) FROM equality_impacts WHERE assessed_date IS NULL").fetchone()[0]
    assert note["undated_kept"].get("equality_impacts", 0) == undated
    raw.close()
    assert db.stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        reportkit.open_register(db, "1 July 2024")
    with pytest.raises(ValueError, match="after it ends"):
        reportkit.open_register(db, "2024-09-30", "2024-07-01")


# --- the analysts' guide -----------------------------------------------------------------


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port in 8140-8149")


@pytest.fixture(scope="module")
def server(build_dir):
    port = free_port()
    proc = subprocess.Popen(
        command(build_dir, "127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Datasette did not start: " + proc.stderr.read().decode(errors="replace"))
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_guide(server: str, extracts: Path, out: Path) -> tuple[dict, list[str]]:
    executed = out / "analyst_guide.ipynb"
    report.execute(
        ROOT / "notebooks" / "analyst_guide.py",
        executed,
        {"base_url": server, "extracts_dir": str(extracts), "page_size": 30, "output_dir": str(out)},
    )
    nb = nbformat.read(executed, as_version=4)
    printed = [
        o.text
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    ]
    return json.loads((out / "analyst_guide_summary.json").read_text("utf-8")), printed


def test_analyst_guide_reads_api_and_extracts(server, build_dir, tmp_path, package):
    try:
        from register.publishing.extracts import extract
    except ImportError:  # pragma: no cover - the extracts module is another issue's
        extract = None
    extracts = tmp_path / "extracts"
    if extract:
        extract(package, build_dir / "register.db", extracts)
    summary, printed = run_guide(server, extracts, tmp_path)
    assert summary["site_found"] is True

    e = expected(build_dir / "register.db")
    items, activities = e["you_said_items"], e["activities"]
    open_items = e["you_said_by_status"].get("open", 0)

    # Every row, read through the API's pages (30 a page: the sample needs several).
    assert summary["you_said_items"] == items == summary["measure_items"]
    assert f"you_said_we_did_current: {items} rows in {math.ceil(items / 30)} page(s)" in "".join(printed)
    assert items > 30
    assert summary["open_items"] == open_items
    assert summary["activities"] == activities
    # A table paged in its default order (newest first, with ties): each row once.
    conn = sqlite3.connect(build_dir / "register.db")
    updates = conn.execute("select count(*) from you_said_we_did_updates").fetchone()[0]
    conn.close()
    assert updates > 30
    assert summary["status_updates"] == updates == summary["status_updates_distinct"]
    # A custom query longer than the site answers is refused, not silently cut off.
    assert summary["cut_off_refused"] is True
    assert any("the answer was cut off at 1000 rows" in p for p in printed)
    if extract:
        assert summary["extracts_found"] is True
        assert summary["extract_activities"] == activities == summary["extract_json_activities"]


def test_analyst_guide_skips_extracts_when_missing(server, tmp_path):
    summary, printed = run_guide(server, tmp_path / "not-built-yet", tmp_path)
    assert summary["extracts_found"] is False
    assert "extract_activities" not in summary
    assert any("No extracts found" in p and "make extracts" in p for p in printed)


def test_analyst_guide_says_when_the_site_cannot_be_reached(build_dir, tmp_path, package):
    """Opened in `make lab` with no site running, the guide says which address it could not
    read and what to do, skips the website's examples and still reads the extracts."""
    from register.publishing.extracts import extract

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    extracts = tmp_path / "extracts"
    extract(package, build_dir / "register.db", extracts)
    summary, printed = run_guide(closed, extracts, tmp_path)
    assert summary["site_found"] is False and "you_said_items" not in summary
    assert any(f"Cannot read the register at {closed}" in p and "make serve" in p for p in printed)
    assert summary["extract_activities"] == expected(build_dir / "register.db")["activities"]


async def test_notebooks_run_in_a_kernel_reached_only_through_private_sockets():
    """The kernel that runs the report listens on Unix sockets in the user's own runtime
    folder, not on TCP ports any local account could read the outputs from."""
    import os
    import stat

    from jupyter_core.paths import jupyter_runtime_dir

    km = report.LocalKernelManager(kernel_name=report.ensure_kernel())
    await km.start_kernel()
    try:
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        sockets = [Path(f"{info['ip']}-{info[name]}") for name in ("shell_port", "iopub_port", "control_port")]
        runtime = Path(jupyter_runtime_dir()).resolve()
        for path in sockets:
            assert path.resolve().parent == runtime
        assert stat.S_IMODE(os.stat(runtime).st_mode) & 0o077 == 0
    finally:
        await km.shutdown_kernel(now=True)


def test_the_report_works_out_today_in_england(monkeypatch, tmp_path):
    """Overdue items and the report's date are as of England's day, as on the site, even on
    a machine whose clock is in UTC: the kernel the report runs in inherits TZ."""
    before = os.environ.get("TZ")
    monkeypatch.delenv("TZ", raising=False)
    seen = {}

    def run(db, out, start, end, root):
        seen["TZ"] = os.environ.get("TZ")
        return {"activities": 0, "you_said_items": 0, "loop_closed": 0}

    monkeypatch.setattr(report, "run", run)
    try:
        assert report.main(["--out", str(tmp_path)]) == 0
    finally:  # the time zone as it was, for the C library too
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert seen["TZ"] == "Europe/London"


def test_a_period_not_yet_over_says_how_far_the_report_goes(build_dir, tmp_path):
    """A report for this financial year, made in December, is not the whole year: it says
    the period has not ended and the day it shows it up to. A period not begun says so,
    and one that is over says neither. The notebook is run for the first; the other two
    ask the same sentence of the report's numbers, as the notebook does, without a kernel."""
    from register.publishing import reportkit
    from register.publishing.report_data import ReportData
    from register.util.words import uk_date

    report.run(build_dir / "register.db", tmp_path, "2024-04-01", "2099-03-31")
    text = " ".join(
        BeautifulSoup((tmp_path / "impact_report.html").read_text("utf-8"), "html.parser").get_text(" ").split()
    )
    made = re.search(r"Report produced on (\d{1,2} \w+ \d{4})\.", text).group(1)
    assert made == uk_date(report.today())
    assert (
        f"Reporting period: 1 April 2024 to 31 March 2099. The period has not ended yet: this report shows it up to {made}"
        in text
    )

    def said(start, end) -> str:
        whole, _ = reportkit.open_register(build_dir / "register.db")
        conn, period = reportkit.open_register(build_dir / "register.db", start, end)
        return ReportData(conn, whole, period).period_sentence(dt.date.fromisoformat(report.today()))

    assert said("2099-04-01", "2100-03-31") == (
        "Reporting period: 1 April 2099 to 31 March 2100. The period has not begun yet, so nothing in it can be recorded."
    )
    assert said("2024-04-01", "2025-03-31") == "Reporting period: 1 April 2024 to 31 March 2025."


def test_the_figures_say_the_day_their_overdue_items_are_for(full_report):
    """ "overdue": 73 is true on one day only: the figures JSON says which, as the extracts'
    x-as-of does: the day the report was produced, as its own words say it."""
    from register.util.words import uk_date

    out, figures = full_report
    html = (out / "impact_report.html").read_text("utf-8")
    assert f"Report produced on {uk_date(dt.date.fromisoformat(figures['as_of']))}." in html
    written = json.loads((out / "impact_report_figures.json").read_text("utf-8"))
    assert written["as_of"] == figures["as_of"] and written["overdue"] == figures["overdue"]
