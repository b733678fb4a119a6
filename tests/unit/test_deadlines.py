"""Due dates from the response rules (src/register/database/deadlines.py): working days
skip weekends and the bank holidays of England and Wales; the policy is the codelist."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from register.database.deadlines import BankHolidays, due_date, write_due_dates
from register.database.views import VIEWS_SQL

D = dt.date


@pytest.fixture(scope="module")
def bank_holidays() -> BankHolidays:
    return BankHolidays()


@pytest.mark.parametrize(
    "said,after,unit,due",
    [
        (D(2025, 3, 3), 20, "working_days", D(2025, 3, 31)),  # four plain weeks
        (D(2025, 12, 19), 7, "working_days", D(2026, 1, 2)),  # Christmas, Boxing Day and New Year's Day skipped
        (D(2025, 4, 17), 1, "working_days", D(2025, 4, 22)),  # Good Friday and Easter Monday skipped
        (D(2025, 8, 22), 1, "working_days", D(2025, 8, 26)),  # the weekend and the late summer bank holiday
        (D(2024, 8, 6), 12, "weeks", D(2024, 10, 29)),
        (D(2024, 2, 28), 2, "calendar_days", D(2024, 3, 1)),
    ],
)
def test_due_dates(bank_holidays, said, after, unit, due):
    assert due_date(said, after, unit, bank_holidays) == due


def test_an_unknown_unit_is_an_error(bank_holidays):
    with pytest.raises(ValueError, match="unknown due_unit 'months'"):
        due_date(D(2025, 1, 1), 1, "months", bank_holidays)


def test_set_dates_win_and_empty_rules_use_the_default():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE response_rules (code, due_after, due_unit, is_default)")
    conn.execute("CREATE TABLE you_said_we_did (id, said_date, target_date, response_rule)")
    conn.executemany(
        "INSERT INTO response_rules (code, due_after, due_unit, is_default) VALUES (?, ?, ?, ?)",
        [("consultation", 12, "weeks", 1), ("healthwatch_recommendation", 20, "working_days", 0)],
    )
    conn.executemany(
        "INSERT INTO you_said_we_did (id, said_date, target_date, response_rule) VALUES (?, ?, ?, ?)",
        [
            ("YS-1", "2024-08-06", None, None),
            ("YS-2", "2025-03-03", None, "healthwatch_recommendation"),
            ("YS-3", "2025-03-03", "2025-03-10", "healthwatch_recommendation"),
        ],
    )
    table = re.search(r"CREATE TABLE IF NOT EXISTS you_said_due_dates \(.*?\);", VIEWS_SQL.read_text("utf-8"), re.S)
    conn.execute(table.group(0))  # as views.sql creates it
    assert write_due_dates(conn) == 3
    assert conn.execute("SELECT * FROM you_said_due_dates ORDER BY you_said_id").fetchall() == [
        ("YS-1", "consultation", "2024-10-29", "derived"),
        ("YS-2", "healthwatch_recommendation", "2025-03-31", "derived"),
        ("YS-3", "healthwatch_recommendation", "2025-03-10", "set"),
    ]
