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
import time
from zoneinfo import ZoneInfo

TIME_ZONE = "Europe/London"


def tz_is_set() -> bool:
    """Whether TZ names a zone. An empty TZ names none (the C library then takes UTC), so
    it counts as not set, here and in in_england()."""
    return bool(os.environ.get("TZ", "").strip())


def in_england() -> None:
    """Make this process, and the processes it starts, take the day in England (TIME_ZONE)
    unless TZ names another zone: the site, `make report` and `make extracts` call it."""
    if not tz_is_set():
        os.environ["TZ"] = TIME_ZONE
    time.tzset()


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
