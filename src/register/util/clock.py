"""Which day it is for the register: the day in England.

The site, `make report`, `make extracts` and the report opened in a notebook run with
TZ=Europe/London unless TZ is set, so "today" (overdue items, days open) turns at
midnight in England. The staff commands and
the checks ("not in the future") ask local_today() for the same day, so a machine on UTC
(a CI runner, a container) does not refuse, between midnight and one in the morning in
summer, a date that is already today in England, nor stamp yesterday's date on a change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from zoneinfo import ZoneInfo

TIME_ZONE = "Europe/London"


def tz_is_set() -> bool:
    """Whether TZ names a zone. An empty TZ names none (the C library then takes UTC), so
    it counts as not set, here and in in_england()."""
    return bool(os.environ.get("TZ", "").strip())


def in_england() -> None:
    """Make this process, and the processes it starts, take the day in England (TIME_ZONE)
    unless TZ names another zone: the site, `make report` and `make extracts` call it.

    Stops (SystemExit, one sentence) when the C library cannot read that zone: it then
    takes UTC without a word, and SQLite's 'localtime' (what is overdue, on the site and
    in the downloads) would turn at midnight UTC while Python's day turns in England."""
    if not tz_is_set():
        os.environ["TZ"] = TIME_ZONE
    time.tzset()
    said = unreadable_zone(os.environ["TZ"])
    if said:
        raise SystemExit(said)


# A zone's name (Europe/London, Etc/GMT+1), not a POSIX rule (GMT0BST,M3.5.0/1,M10.5.0).
ZONE_NAME = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+")
PROBES = (dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC))


def unreadable_zone(tz: str) -> str | None:
    """Why the C library's local time (after time.tzset()) is not TZ's zone, or None."""
    name = tz.strip().removeprefix(":")
    zone = named_zone(tz)
    if zone is None:
        if not ZONE_NAME.fullmatch(name):
            return None  # a POSIX rule, which the C library reads itself
        return (
            f"TZ={name} is not the name of a time zone this computer knows: set it to one, such as "
            f"{TIME_ZONE}, or leave it unset for England's (see docs/settings.md)."
        )
    for probe in PROBES:
        if time.localtime(probe.timestamp()).tm_gmtoff != probe.astimezone(zone).utcoffset().total_seconds():
            return (
                f"This computer has no time-zone data for {name}, so its clock would give the day in UTC, "
                "not there: install it (on Debian or Ubuntu: sudo apt-get install tzdata), then start again."
            )
    return None


def named_zone(tz: str) -> ZoneInfo | None:
    """TZ's zone read afresh, not the C library's copy of it, which is only as new as the
    last time.tzset() (a TZ changed since is otherwise ignored); None, the process's local
    time, for what is no zone name (a POSIX rule such as GMT0BST,M3.5.0/1,M10.5.0)."""
    try:
        return ZoneInfo(tz.strip().removeprefix(":"))
    except (ValueError, OSError, KeyError):
        return None


def day_zone() -> ZoneInfo | None:
    """The zone whose day is the register's: TZ's if it is set, otherwise England's
    (TIME_ZONE), even in a process that did not call in_england() (a test, a notebook)."""
    return named_zone(os.environ["TZ"]) if tz_is_set() else ZoneInfo(TIME_ZONE)


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in TZ's zone if TZ is set, otherwise in England (TIME_ZONE).
    `now` (aware) stands in for the present in tests."""
    zone = day_zone()
    if now is None:
        return dt.datetime.now(zone).date()
    return now.astimezone(zone).date()
