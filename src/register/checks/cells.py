"""How the checkers read one cell: dates and whole numbers, the way frictionless does.

The generated checker, the cross-row rules and the staff commands all read dates and
numbers through these, so a cell is read the same way whichever path meets it.
"""

from __future__ import annotations

import datetime as dt
import re

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
# The same shape as a GLOB, for checks done in SQL after the load.
CANONICAL_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def rules_date(text: str | None) -> dt.date | None:
    """The date the cross-row rules compare; None when empty or not a date (a type
    error, reported by the schema check)."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def date_info(text: str) -> tuple[bool, dt.date | None]:
    """(valid, the date the rules see). A date is YYYY-MM-DD exactly: frictionless's
    default format also reads 2024-5-1, which would be stored as typed, sort after
    2024-12-01 and escape every rule that compares dates (see non_iso_dates)."""
    if ISO_DATE(text):
        try:
            return True, dt.date.fromisoformat(text)
        except ValueError:
            return False, None
    return False, rules_date(text)


def lenient_date(text: str) -> bool:
    """Whether frictionless's default date format reads `text` although it is not
    YYYY-MM-DD exactly (2024-5-1): the reference checker refuses such a cell itself."""
    if not text or ISO_DATE(text):
        return False
    try:
        dt.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def whole_number(text: str) -> int | None:
    """The integer frictionless reads from `text`, or None when it reads none (not whole,
    or more than the 4,300 digits Python turns into a number)."""
    try:
        return int(text.strip())
    except ValueError:
        return None
