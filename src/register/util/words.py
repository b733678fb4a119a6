"""Words for the site's sentences and the report's alike: agreeing with a count, dates
as people in England write them."""

from __future__ import annotations

import datetime as dt
import re

from register.util.clock import day_zone


def agree(n, one: str, many: str) -> str:
    """The word that agrees with a count: "1 of 10 projects has", "2 of 10 projects have"."""
    return one if int(n or 0) == 1 else many


def n_of(figure, total, one: str, many: str, the: bool = False) -> str:
    """ "3 of 10 projects", "1 of 1 project" (not "1 of 1 projects"), "2 of the 5 claims"."""
    return f"{int(figure or 0):,} of {'the ' if the else ''}{int(total or 0):,} {agree(total, one, many)}"


def uk_date(value) -> str:
    """'6 August 2024' from an ISO date or a date; '' for none; text that is no date as it is."""
    if value in (None, ""):
        return ""
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


# How a "You said" item's due date came about (due_date_basis of you_said_we_did_current),
# in the words the site, the feeds and the impact report use.
DUE_DATE_BASIS = {"set": "set by staff", "derived": "worked out from the response rules"}


def due_date_basis(code) -> str:
    """'set by staff' or 'worked out from the response rules' for an item's due_date_basis."""
    return DUE_DATE_BASIS.get(code, "" if code is None else str(code))


def how_long(n, unit: str) -> str:
    """A response rule's due_after and due_unit in words: '1 week', '20 working days',
    '1 calendar day'."""
    n, words = int(n), str(unit).replace("_", " ")
    return f"{n:,} {words[:-1] if n == 1 and words.endswith('s') else words}"


def clock_time(when: dt.datetime | dt.time) -> str:
    """A time as the NHS style guide writes it: '9am', '3:41pm', 'midday', 'midnight'."""
    if (when.hour, when.minute) == (0, 0):
        return "midnight"
    if (when.hour, when.minute) == (12, 0):
        return "midday"
    hour = when.hour % 12 or 12
    minutes = f":{when.minute:02d}" if when.minute else ""
    return f"{hour}{minutes}{'am' if when.hour < 12 else 'pm'}"


def uk_moment(value) -> str:
    """'4 December 2026 at 3:41pm' from an ISO 8601 time ('2026-12-04T15:41:25Z', or with
    another offset), in England's time (GMT or BST, register/util/clock.py), as the dates
    beside it are the day in England; '' for none; text that is no such time as it is."""
    if value in (None, ""):
        return ""
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if when.tzinfo is None:
        return str(value)
    when = when.astimezone(day_zone())
    return f"{when.day} {when:%B %Y} at {clock_time(when)}"


# An ISO 8601 duration of years, months, weeks and days (a publisher's update_frequency):
# read here for its words and by the national registry for its days.
DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
DURATION_UNITS = ("year", "month", "week", "day")


def every(frequency) -> str:
    """A duration as people say how often: 'P1M' is 'every month', 'P2W' 'every 2 weeks',
    'P1Y6M' 'every 1 year and 6 months'; a word ('monthly') or anything else as it is."""
    text = "" if frequency is None else str(frequency).strip()
    m = DURATION.match(text.upper())
    counts = [(int(n), unit) for n, unit in zip(m.groups(), DURATION_UNITS) if n] if m else []
    if not counts:
        return text
    if len(counts) == 1 and counts[0][0] == 1:
        return f"every {counts[0][1]}"
    return "every " + " and ".join(f"{n:,} {unit}{'' if n == 1 else 's'}" for n, unit in counts)
