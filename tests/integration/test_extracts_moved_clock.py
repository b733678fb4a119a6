"""A download never states a day-dependent figure for a day other than the one it says.

`overdue` and `days_open` of you_said_we_did_current are worked out on the day of the
extract. A release is the inputs and that day (the data package's x-as-of), so with the
clock moved half a year on and the data unchanged, `make extracts` makes a new release
whose figures are the database's on that day, not the earlier release's, and what it
prints about the changes is what the changelog beside it says.

`make extracts` runs under libfaketime, as the server does in test_moved_clock.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys

from register.database.build import build
from register.publishing import extracts as extracts_mod
from register.publishing.extract_tables import AS_OF_KEY
from register.schema.package import Package
from tests.conftest import copy_repo
from tests.integration.test_dated_columns import on_day
from tests.integration.test_moved_clock import clock_env, preload  # noqa: F401  (preload is a fixture)

VIEW = "you_said_we_did_current"
COUNTS = re.compile(r"(\d+) rows? added, (\d+) changed, (\d+) removed")


def make_extracts(root, env) -> dict:
    """`python -m register.publishing.extracts` with the clock of env; what it said and wrote."""
    done = subprocess.run(
        [sys.executable, "-m", "register.publishing.extracts", "--root", str(root)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = root / "build" / "extracts"
    with (out / f"{VIEW}.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    return {
        "said": done.stdout,
        "release": re.search(r"^Release (\S+):", done.stdout, re.M).group(1),
        "package": json.loads((out / "datapackage.json").read_text("utf-8")),
        "changes": json.loads((out / "changes.json").read_text("utf-8")),
        "changelog": (out / "CHANGELOG.md").read_text("utf-8"),
        "rows": rows,
    }


def changes_line(said: str) -> str:
    return said.strip().splitlines()[-1]


def assert_said_as_the_changelog_says(run: dict) -> None:
    """The printed counts are the changelog's, or both say there is nothing to compare."""
    line, changes, changelog = changes_line(run["said"]), run["changes"], run["changelog"]
    if changes["previous"] is None:
        assert line.startswith("First extract") and "This is the first extract" in changelog, (line, changelog)
        return
    assert "This is the first extract" not in changelog
    counts = tuple(int(n) for n in COUNTS.search(line).groups())
    assert counts == tuple(
        sum(r.get(k, 0) for r in changes["resources"].values()) for k in ("added", "changed", "removed")
    )
    assert changes["previous"]["created"] in line and f"created {changes['previous']['created']}" in changelog
    for name, r in changes["resources"].items():
        if r.get("status") == "compared":
            assert f"| {name} | {r['added']} | {r['changed']} | {r['removed']} |" in changelog, name


def test_a_new_day_makes_a_new_release_with_that_days_figures(preload, tmp_path):  # noqa: F811
    root = copy_repo(tmp_path)
    build(Package(root), root / "build", progress=False)
    clock = tmp_path / "faketime"
    env = clock_env(preload, clock)

    clock.write_text("@2026-12-03 12:00:00\n")
    first = make_extracts(root, env)
    clock.write_text("@2027-06-01 12:00:00\n")
    later = make_extracts(root, env)
    again = make_extracts(root, env)

    assert first["package"][AS_OF_KEY] == "2026-12-03" and later["package"][AS_OF_KEY] == "2027-06-01"
    assert later["release"] != first["release"] and later["release"].startswith("2027-06-01-")
    assert "as of 2027-06-01" in later["package"]["description"]
    # Every day-dependent figure is the database's own on the day the files say.
    conn = on_day(root / "build", "2027-06-01")
    db = {
        i: (str(d), "true" if o else "false") for i, d, o in conn.execute(f"SELECT id, days_open, overdue FROM {VIEW}")
    }
    assert {i: (r["days_open"], r["overdue"]) for i, r in later["rows"].items()} == db
    assert later["rows"] != first["rows"]
    # The earlier release still holds its own day's figures, untouched.
    kept = root / "build" / "releases" / first["release"]
    assert json.loads((kept / "datapackage.json").read_text("utf-8"))[AS_OF_KEY] == "2026-12-03"
    with (kept / f"{VIEW}.csv").open(newline="", encoding="utf-8") as f:
        assert {r["id"]: r for r in csv.DictReader(f)} == first["rows"]
    # The same day again is the same release, saying the same about its changes.
    assert again["release"] == later["release"] and "same inputs" in again["said"]
    assert changes_line(again["said"]) == changes_line(later["said"])
    for run in (first, later, again):
        assert_said_as_the_changelog_says(run)
    assert later["changes"]["resources"][VIEW]["changed"] > 0


def test_a_day_that_turns_during_the_extract_is_read_again(tmp_path, monkeypatch):
    """If midnight passes while the files are written, they are written again for the new
    day, so the data package never names a day other than its figures'."""
    root = copy_repo(tmp_path)
    package = Package(root)
    build(package, root / "build", progress=False)
    days = iter(["2026-12-03", "2026-12-04", "2026-12-04", "2026-12-04"])
    monkeypatch.setattr(extracts_mod, "day_of", lambda conn: next(days))
    summary = extracts_mod.extract(package, root / "build" / "register.db", root / "build" / "extracts")
    assert summary["as_of"] == "2026-12-04"
    written = json.loads((root / "build" / "extracts" / "datapackage.json").read_text("utf-8"))
    assert written[AS_OF_KEY] == "2026-12-04"


def test_a_plain_rerun_says_what_its_changelog_says(tmp_path):
    """Run twice the same day: the second run reuses the release and prints its changelog's words."""
    root = copy_repo(tmp_path)
    package = Package(root)
    build(package, root / "build", progress=False)
    out = root / "build" / "extracts"
    extracts_mod.extract(package, root / "build" / "register.db", out)
    again = extracts_mod.extract(package, root / "build" / "register.db", out)
    assert not again["release_new"]
    assert again["changes"] == json.loads((out / "changes.json").read_text("utf-8"))


def test_the_day_of_an_extract_is_englands_wherever_it_runs(preload, tmp_path):  # noqa: F811
    """Run on a machine whose clock is in UTC (CI, most servers), at 23:30 UTC on a summer
    evening, when it is already the next day in England: the extract's figures are as of
    England's day, the day the site (TZ=Europe/London) states them for."""
    root = copy_repo(tmp_path)
    build(Package(root), root / "build", progress=False)
    clock = tmp_path / "faketime"
    clock.write_text("@2026-07-01 23:30:00\n")
    env = {k: v for k, v in clock_env(preload, clock).items() if k != "TZ"}
    env_without_tz = {k: v for k, v in os.environ.items() if k != "TZ"}
    done = subprocess.run(
        [sys.executable, "-m", "register.publishing.extracts", "--root", str(root)],
        env={**env_without_tz, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    package = json.loads((root / "build" / "extracts" / "datapackage.json").read_text("utf-8"))
    assert package[AS_OF_KEY] == "2026-07-02", done.stdout
