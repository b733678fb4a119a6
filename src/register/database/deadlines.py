"""When a response to each "You said" item is due: the build's you_said_due_dates table.

Staff may set an item's target_date; otherwise the response rule it names (or the
default rule) in the response_rules codelist says how long after it was said the
response is due. The policy is data, so changing it is an edit to that codelist, not to
code. Working days are Monday to Friday without the bank holidays of England and Wales,
taken from the maintained `holidays` package rather than a hand-kept list.

Due dates depend only on the data, so they are worked out once at build time and
stored. Whether an item is overdue depends on today's date, so it is never stored: the
views compare due_date with date('now', 'localtime') on every request.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import holidays

TABLE = "you_said_due_dates"
UNITS = ("calendar_days", "weeks", "working_days")


class BankHolidays:
    """England and Wales bank holidays (the same days in both), any year asked for."""

    def __init__(self) -> None:
        self._days = holidays.country_holidays("GB", subdiv="ENG") + holidays.country_holidays("GB", subdiv="WLS")

    def __contains__(self, day: dt.date) -> bool:
        return day in self._days


def is_working_day(day: dt.date, bank_holidays: BankHolidays) -> bool:
    return day.weekday() < 5 and day not in bank_holidays


def due_date(said: dt.date, after: int, unit: str, bank_holidays: BankHolidays) -> dt.date:
    """The day a response is due, `after` units after the day it was said.

    Working days are counted from the day after it was said, so 20 working days after a
    Monday with no bank holiday between is the Monday four weeks on.
    """
    if unit == "calendar_days":
        return said + dt.timedelta(days=after)
    if unit == "weeks":
        return said + dt.timedelta(weeks=after)
    if unit != "working_days":
        raise ValueError(f"unknown due_unit {unit!r}: one of {', '.join(UNITS)}")
    day, counted = said, 0
    while counted < after:
        day += dt.timedelta(days=1)
        if is_working_day(day, bank_holidays):
            counted += 1
    return day


def rule_calculator(conn: sqlite3.Connection) -> tuple[str, Callable[[str | None, dt.date], dt.date]]:
    """(the default rule's code, a function giving the due date under a rule)."""
    rules = {
        code: (after, unit, default)
        for code, after, unit, default in conn.execute(
            "SELECT code, due_after, due_unit, is_default FROM response_rules"
        )
    }
    defaults = [code for code, (_, _, default) in rules.items() if default]
    if len(defaults) != 1:  # validation refuses this first (register/checks/rules.py)
        raise ValueError(f"response_rules must have exactly one default rule, not {len(defaults)}")
    bank_holidays = BankHolidays()

    def due(rule: str | None, said: dt.date) -> dt.date:
        after, unit, _ = rules[rule or defaults[0]]
        return due_date(said, after, unit, bank_holidays)

    return defaults[0], due


def write_due_dates(conn: sqlite3.Connection, after_rowid: int = 0) -> int:
    """Fill you_said_due_dates (its table is created by views.sql) for the items after
    `after_rowid` (all by default), in rowid order; returns the rows written."""
    default, due = rule_calculator(conn)
    # Worked out once for each rule and day: 278,000 items at a million log rows say
    # things on a few thousand days (2.2 s counting working days for each item, 0.3 s so).
    worked_out: dict[tuple, str] = {}
    rows = []
    for item, said, target, rule in conn.execute(
        "SELECT id, said_date, target_date, response_rule FROM you_said_we_did WHERE rowid > ? ORDER BY rowid",
        (after_rowid,),
    ):
        if target:
            rows.append((item, rule or default, target, "set"))
            continue
        if (rule, said) not in worked_out:
            worked_out[rule, said] = due(rule, dt.date.fromisoformat(said)).isoformat()
        rows.append((item, rule or default, worked_out[rule, said], "derived"))
    conn.executemany(f"INSERT INTO [{TABLE}] VALUES (?, ?, ?, ?)", rows)
    return len(rows)
