"""The quarter headline calls the latest quarter finished only once it is: while today is
in it, more activities may yet be logged in it."""

from __future__ import annotations

import datetime as dt
import sqlite3

from register.site import measures


def test_the_quarter_names_agree_with_the_view(build_dir):
    with sqlite3.connect(build_dir / "register.db") as conn:
        rows = conn.execute("select quarter, quarter_start, quarter_end from measure_activity_by_quarter").fetchall()
    assert rows
    for quarter, start, end in rows:
        assert measures.quarter_of(dt.date.fromisoformat(start)) == quarter
        assert measures.quarter_of(dt.date.fromisoformat(end)) == quarter


def test_the_latest_quarter_is_under_way_while_today_is_in_it(monkeypatch):
    h = {"of_total": 8, "figure": 8, "latest_quarter": "2026 Q4", "latest_activities": 3}
    monkeypatch.setattr(measures, "local_today", lambda: dt.date(2026, 12, 31))
    assert measures.headline_quarter(h).endswith("; the latest, still under way, is 2026 Q4, with 3 activities so far.")
    monkeypatch.setattr(measures, "local_today", lambda: dt.date(2027, 1, 1))
    assert measures.headline_quarter(h).endswith("; the latest was 2026 Q4, with 3 activities.")
