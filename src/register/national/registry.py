"""The registry of publishers: who feeds the national register, from where, how often.

A CSV with one row per publisher (docs/national.md): code, name, package, licence,
contact, update_frequency. Every problem is reported with the file, row and field, and
nothing is fetched until the whole registry is sound.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from register.checks.privacy import findings
from register.checks.problems import Problem
from register.util.words import DURATION

COLUMNS = ("code", "name", "package", "licence", "contact", "update_frequency")
CODE = re.compile(r"^[a-z0-9_]{1,40}$")

# Licences under which data may be loaded (as GrantNav loads only openly licensed files):
# the Open Definition's conformant data licences a UK public body is likely to use.
OPEN_LICENCES = {
    "OGL-UK-3.0": "Open Government Licence v3.0",
    "CC-BY-4.0": "Creative Commons Attribution 4.0",
    "CC-BY-SA-4.0": "Creative Commons Attribution-ShareAlike 4.0",
    "CC0-1.0": "Creative Commons Zero 1.0",
    "ODC-BY-1.0": "Open Data Commons Attribution 1.0",
    "ODbL-1.0": "Open Data Commons Open Database Licence 1.0",
    "PDDL-1.0": "Open Data Commons Public Domain Dedication and Licence 1.0",
}

# Words accepted for update_frequency, and the ISO 8601 duration each one means.
FREQUENCY_WORDS = {
    "daily": "P1D",
    "weekly": "P1W",
    "fortnightly": "P2W",
    "monthly": "P1M",
    "quarterly": "P3M",
    "six-monthly": "P6M",
    "annually": "P1Y",
}
# A year, a month, a week, a day: freshness is judged in whole days, and a year or a month
# counts as the longest it can be (366, 31), so a publisher that updates on the same date
# every month, quarter or year (1 October, then 1 January: 92 days) is never judged late.
DAYS_PER = (366, 31, 7, 1)


class RegistryError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems in the registry")
        self.problems = problems


@dataclass(frozen=True)
class Publisher:
    code: str
    name: str
    package: str  # an http(s) URL of its datapackage.json, or a local folder
    licence: str
    contact: str
    update_frequency: str
    frequency_days: int


def frequency_days(text: str) -> int | None:
    """Days in an ISO 8601 duration (P1M, P3M, P1W, P1D, P1Y) or one of FREQUENCY_WORDS."""
    m = DURATION.match(FREQUENCY_WORDS.get(text.strip().lower(), text.strip().upper()))
    if not m or not any(m.groups()):
        return None
    days = sum(int(n or 0) * per for n, per in zip(m.groups(), DAYS_PER))
    return days or None


def _row_problems(row: dict, seen: set[str]) -> list[tuple[str, str, str | None]]:
    """(field, message, what is allowed) for each problem of one registry row."""
    out: list[tuple[str, str, str | None]] = [(c, f"{c} is required", None) for c in COLUMNS if not row.get(c)]
    if row.get("code") and not CODE.match(row["code"]):
        out.append(("code", "the code is not in the right form", "lower-case letters, digits and _ (at most 40)"))
    elif row.get("code") in seen:
        out.append(("code", "another row already has this code", None))
    package = row.get("package", "")
    if package.startswith(("http:", "https:", "ftp:", "file:")) and not package.startswith(("http://", "https://")):
        out.append(("package", "the package is not an http(s) URL or a local folder", None))
    if row.get("licence") and row["licence"] not in OPEN_LICENCES:
        out.append(("licence", "only openly licensed data is loaded", "one of " + ", ".join(OPEN_LICENCES)))
    for column in ("name", "contact"):
        for kind, _ in findings(row.get(column, "")):
            out.append((column, f"it contains {kind}, and the register publishes it", "a team's name or web page"))
    if row.get("update_frequency") and frequency_days(row["update_frequency"]) is None:
        out.append(
            (
                "update_frequency",
                "the update frequency is not an ISO 8601 duration",
                "for example P1M or P3M, or one of " + ", ".join(FREQUENCY_WORDS),
            )
        )
    return out


def read(path: Path | str) -> list[Publisher]:
    """The publishers in registry order; RegistryError lists every problem found."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise RegistryError([Problem(name, None, None, None, "the registry file does not exist")])
    except IsADirectoryError:
        raise RegistryError([Problem(name, None, None, None, "this is a folder: give the registry's CSV file")])
    except UnicodeDecodeError:
        raise RegistryError([Problem(name, None, None, None, "the registry is not UTF-8 text")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        allowed = ",".join(COLUMNS)
        raise RegistryError([Problem(name, 1, c, None, f"the header has no column {c!r}", allowed) for c in missing])
    problems: list[Problem] = []
    publishers: list[Publisher] = []
    seen: set[str] = set()
    for row_number, raw in enumerate(reader, 2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()) and not raw.get(None):
            continue  # a row a spreadsheet left as bare commas, as a blank line is skipped
        found = [
            Problem(name, row_number, f, row.get(f), message, allowed)
            for f, message, allowed in _row_problems(row, seen)
        ]
        problems += found
        if CODE.match(row.get("code") or ""):  # a later row repeating it is a problem, whatever else is wrong here
            seen.add(row["code"])
        if not found:
            days = frequency_days(row["update_frequency"])
            publishers.append(Publisher(**{c: row[c] for c in COLUMNS}, frequency_days=days))
    if not publishers and not problems:
        problems.append(Problem(name, None, None, None, "the registry lists no publishers"))
    if problems:
        raise RegistryError(problems)
    return publishers
