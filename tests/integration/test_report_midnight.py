"""`make report` across midnight: a report whose notebook was still running when the day
turned is made again for the new day, so its as_of, its "produced on" date and its overdue
items are of one day, as the extracts are (test_extracts_moved_clock.py)."""

from __future__ import annotations

import json

from register.publishing import report
from register.util.words import uk_date


def test_a_day_that_turns_while_the_notebook_runs_makes_the_report_again(build_dir, tmp_path, monkeypatch):
    real_today, real_execute = report.today, report.execute
    day = real_today()
    asked = []

    def today():
        # The first look at the clock is just before midnight; every later one after it.
        asked.append(None)
        return "2026-12-03" if len(asked) == 1 else real_today()

    runs = []

    def execute(*args, **kwargs):
        runs.append(None)
        return real_execute(*args, **kwargs)

    monkeypatch.setattr(report, "today", today)
    monkeypatch.setattr(report, "execute", execute)
    figures = report.run(build_dir / "register.db", tmp_path)
    assert len(runs) == 2
    assert figures["as_of"] == day
    assert json.loads((tmp_path / "impact_report_figures.json").read_text("utf-8"))["as_of"] == day
    assert f"Report produced on {uk_date(day)}." in (tmp_path / "impact_report.html").read_text("utf-8")
