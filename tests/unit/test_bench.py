"""src/register/bench: the small pieces the bench's table is made from."""

from __future__ import annotations

import io

import pytest

from register.bench.generate import weighted, weighted_codes
from register.bench.load import ms, parse_wrk
from register.bench.measure import PY, last_line, shown
from register.bench.report import Table, fmt
from register.bench.server import pct
from register.schema.package import ROOT, Package

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8150
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    25.10ms   10.01ms 120.00ms   80.00%
  Latency Distribution
     50%   24.00ms
     75%   30.00ms
     90%   40.00ms
     99%    1.20s
  6008 requests in 3.02s, 90.00MB read
  Socket errors: connect 1, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:   1989.40
Transfer/sec:     29.80MB
"""


def test_percentile_is_a_measured_value_nearest_the_rank():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert pct(values, 0) == 1.0
    assert pct(values, 50) == 3.0
    assert pct(values, 100) == 5.0
    assert pct(list(range(1, 101)), 95) == 95
    assert pct([7.5], 99) == 7.5
    assert values == [5.0, 1.0, 4.0, 2.0, 3.0]  # the caller's list is not sorted in place


def test_figures_have_thousands_separators_and_decimals_only_when_small():
    assert fmt(1234567) == "1,234,567"
    assert fmt(12.345) == "12.35"
    assert fmt(1234.5) == "1,234"
    assert fmt("-") == "-"


def test_table_prints_aligned_columns_with_the_command_last():
    table = Table()
    table.add(2000, "validate alone: wall", 0.5, "s", command="python -m register.checks.validate")
    table.add(2000, "speed-up over naive", 12.0, "x", ">= 10x", True, "naive wall / validate+build wall")
    table.add("all", "append: FAILED", "boom", ok=False)
    out = io.StringIO()
    table.print(out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["rows", "figure", "value", "target", "met", "command"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("2,000  validate alone: wall ")
    assert lines[2].endswith("  python -m register.checks.validate")
    assert "12.00 x" in lines[3] and "  yes  " in lines[3]
    assert "  NO  " in lines[4]
    # Every column starts where its heading does, on every line.
    for heading, first_words in (("figure", ["validate", "speed-up", "append:"]), ("value", ["0.50", "12.00", "boom"])):
        column = lines[0].index(heading)
        assert [line[column:].split()[0] for line in lines[2:]] == first_words
    value_column = lines[0].index("value")
    assert lines[2][value_column:].startswith("0.50 s")
    assert lines[3][value_column:].startswith("12.00 x")


def test_wrk_report_is_read_into_figures():
    r = parse_wrk(WRK_OUTPUT)
    assert r == {"rps": 1989.40, "requests": 6008, "p50_ms": 24.0, "p99_ms": 1200.0, "errors": 10}
    assert ms("750us") == 0.75 and ms("2m") == 120000


def test_commands_are_shown_as_typed_from_the_repository_root():
    cmd = [PY, "-m", "register.bench.generate", "--out", str(ROOT / "build" / "bench"), "--note", "it's here"]
    assert shown(cmd) == "python -m register.bench.generate --out build/bench --note 'it'\\''s here'"


def test_a_failed_command_is_summed_up_by_its_last_line_or_its_exit_code():
    assert last_line({"stderr": "Traceback\n  ...\nValueError: bad row 3\n", "code": 1}) == "ValueError: bad row 3"
    assert last_line({"stderr": "  \n", "code": 2}) == 2


def test_weights_are_keyed_by_the_codes_of_their_codelist():
    assert weighted(["a", "b"], [2, 1]) == ["a", "a", "b"]
    package = Package(ROOT)
    pool = weighted_codes(package, "formats", {"online": 2, "": 1})
    assert pool == ["online", "online", ""]
    with pytest.raises(ValueError, match="gates has no code review"):
        weighted_codes(package, "gates", {"assess": 1, "review": 1})


def test_page_type_summary_puts_every_fresh_figure_under_its_page_type():
    """The summary the issue asks for: per page type, Lighthouse beside the worst fresh p95;
    a page that failed counts as missed, and a type with no figures is not called met."""
    from register.bench.report import Table
    from register.bench.summary import GROUPS, page_type_summary

    t = Table()
    computed = ": p50 / p95 computed (uncached)"
    t.add(1_000_000, "home" + computed, "29.0 / 38.0 ms, 14 ms CPU a page", "", "p95 <= 100 ms", True)
    t.add(1_000_000, "table projects (default facets)" + computed, "20.0 / 30.0 ms", "", "p95 <= 100 ms", True)
    t.add(1_000_000, "table search" + computed, "1,200.0 / 1,400.0 ms", "", "p95 <= 100 ms", False)
    t.add(1_000_000, "row projects" + computed, "5.0 / 6.0 ms", "", "p95 <= 100 ms", True)
    t.add(1_000_000, "query overdue_you_said: HTTP 503 (first request 1000 ms)", "-", target="200", ok=False)
    for kind in ("home", "Datasette table", "Datasette row", "Datasette query"):
        t.add("sample", f"lighthouse {kind}: perf / a11y / BP / SEO", "100 / 100 / 100 / 100", ok=True)
    page_type_summary(t)
    summary = {r["figure"].split(":")[0]: r for r in t.rows if r["size"] == "summary"}
    assert list(summary) == list(GROUPS)
    assert summary["home"]["ok"] is True and "1 of 1 pages" in summary["home"]["value"]
    assert summary["Datasette table"]["ok"] is False
    assert "1 of 2 pages; slowest table search 1,400 ms" in summary["Datasette table"]["value"]
    assert summary["Datasette row"]["ok"] is True
    assert summary["Datasette query"]["ok"] is False and "error" in summary["Datasette query"]["value"]
    assert summary["glossary"]["ok"] is None and "not measured; not measured" in summary["glossary"]["value"]


def test_a_step_that_fails_leaves_the_figures_measured_before_it_printed_and_saved(tmp_path, monkeypatch, capsys):
    """The bench's last step (Lighthouse) failing after half an hour of the others lost
    every figure: they were printed and saved only at the end."""
    import json

    from register.bench import bench

    def generated(table, size, root):
        table.add(size, "generate: rows/s", 123_456, "rows/s")

    def broken(*args, **kwargs):
        raise RuntimeError("make extracts failed")

    monkeypatch.setattr(bench, "WORK", tmp_path)
    monkeypatch.setattr(bench, "SIZES", [10])
    monkeypatch.setattr(bench, "ensure_wrk", lambda: None)
    monkeypatch.setattr(bench, "bench_generate", generated)
    monkeypatch.setattr(bench, "bench_build", broken)
    with pytest.raises(RuntimeError):
        bench.main([])
    printed = capsys.readouterr().out
    assert "generate: rows/s" in printed and "123,456" in printed
    assert "STOPPED by RuntimeError (make extracts failed)" in printed
    saved = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert [r["figure"] for r in saved["rows"]] == ["generate: rows/s"]
    assert saved["finished"].startswith("STOPPED by RuntimeError")


@pytest.mark.parametrize(
    "argv,said",
    [
        (["--size", "0"], "--size must be a whole number of rows, 1 or more, not 0"),
        (["--size", "-5"], "--size must be a whole number of rows, 1 or more, not -5"),
        (["--today", "2026-13-01"], "--today '2026-13-01' is not a date written YYYY-MM-DD"),
    ],
)
def test_generate_refuses_a_size_or_day_it_cannot_use_in_one_line(tmp_path, capsys, argv, said):
    """--size -5 wrote an empty register and said it had; a --today that is no date ended
    in a traceback. Each is said in one line, and nothing is written."""
    from register.bench import generate

    with pytest.raises(SystemExit) as ended:
        generate.main([*argv, "--out", str(tmp_path / "out")])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("made", [False, True])
def test_pages_refuses_a_folder_with_no_built_register_and_writes_nothing_there(tmp_path, capsys, made):
    """python -m register.bench.pages --build-dir DIR, DIR holding no register.db, ended in
    a traceback, and left an empty register.db in DIR when DIR existed."""
    from register.bench import pages

    build_dir = tmp_path / "build"
    if made:
        build_dir.mkdir()
    with pytest.raises(SystemExit) as ended:
        pages.main(["--build-dir", str(build_dir)])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "register.db does not exist: --build-dir must be a built register" in err
    assert "python -m register.database.build --out" in err
    assert not (build_dir / "register.db").exists()


def test_pages_refuses_a_pattern_that_is_no_regular_expression(tmp_path, capsys):
    from register.bench import pages

    (tmp_path / "register.db").write_bytes(b"")
    with pytest.raises(SystemExit) as ended:
        pages.main(["--build-dir", str(tmp_path), "--only", "("])
    assert ended.value.code == 2
    assert "--only '(' is not a regular expression" in capsys.readouterr().err


def test_every_bench_variable_is_read_in_config_and_listed_with_its_default():
    """bench/config.py said the BENCH_* knobs are "read in this one place", while
    BENCH_NATIONAL_ROWS and BENCH_NATIONAL_PUBLISHERS were read in bench/national.py, and
    docs/performance.md's table of settings left both out."""
    import re

    bench_dir = ROOT / "src" / "register" / "bench"
    read = r'os\.environ\.get\("(BENCH_\w+)", "([^"]*)"\)'
    elsewhere = {
        p.name: re.findall(read, p.read_text("utf-8")) for p in bench_dir.glob("*.py") if p.name != "config.py"
    }
    assert not {k: v for k, v in elsewhere.items() if v}, "read these in register/bench/config.py"
    defaults = dict(re.findall(read, (bench_dir / "config.py").read_text("utf-8")))
    assert {"BENCH_SIZES", "BENCH_NATIONAL_ROWS"} <= set(defaults)
    doc = (ROOT / "docs" / "performance.md").read_text("utf-8")
    listed = dict(re.findall(r"^\| `(BENCH_\w+)` \| `([^`]*)` \|", doc, re.M))
    assert listed == defaults, "docs/performance.md's table of BENCH_* settings differs from register/bench/config.py"


def test_the_time_performance_md_gives_a_whole_bench_is_not_less_than_its_latest_run():
    """docs/performance.md said `make bench` takes "about 15 minutes" (23 November, before
    the national register and Lighthouse joined it); the latest whole run it records, at
    1M rows alone, took 1,615 s."""
    import re

    doc = (ROOT / "docs" / "performance.md").read_text("utf-8")
    said = int(re.search(r"^make bench +# 10k, 100k and 1M rows \(about (\d+) minutes\)$", doc, re.M)[1])
    closing = doc.split("## Closing figures", 1)[1]
    latest = re.search(r"One whole `[^`]*make bench` \([^)]*?([\d,]+) s\)", " ".join(closing.split()))
    seconds = int(latest[1].replace(",", ""))
    assert seconds > 600
    assert said * 60 >= seconds, f"a whole bench is said to take {said} minutes; the latest run took {seconds} s"
