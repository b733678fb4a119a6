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
    assert measures.headline_quarter(h).endswith(
        "; the latest, still under way, is October to December 2026, with 3 activities so far."
    )
    monkeypatch.setattr(measures, "local_today", lambda: dt.date(2027, 1, 1))
    assert measures.headline_quarter(h).endswith("; the latest was October to December 2026, with 3 activities.")


def test_the_latest_quarter_is_named_by_its_months_not_a_code():
    """An NHS reader takes "2025 Q3" for the financial year's third quarter (October to
    December); the headline names the calendar months instead."""
    h = {"of_total": 5, "figure": 2, "latest_quarter": "2025 Q3", "latest_activities": 4}
    text = measures.headline_quarter(h)
    assert "Q3" not in text
    assert text.endswith("; the latest was July to September 2025, with 4 activities.")
    assert [measures.quarter_words(f"2024 Q{n}") for n in (1, 2, 3, 4)] == [
        "January to March 2024",
        "April to June 2024",
        "July to September 2024",
        "October to December 2024",
    ]
