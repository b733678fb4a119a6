"""Cross-row rules a Table Schema cannot express, declared in the schemas as x- properties.

- field "x-required-when": {"field": f, "in": [codes]}  required when another field has one of the codes
- field "x-not-before": other_field                      a date not earlier than another date of the row
- field "x-not-after-today": true                         a date that is not in the future
- field "x-list-of": codelist                            semicolon-separated codes of that codelist
- field "x-same-project": true                            an activity id belonging to the row's project
- field "x-not-before-said": true                         an update dated on or after its item was said
- schema "x-unique-together": [[f1, f2]]                  no two rows share these values

The rules live with the fields they constrain, so prompts, templates and the data
dictionary can explain them from the same place.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from register.checks.problems import Problem
from register.schema.package import Package, Resource, today


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(spreadsheet row number, row) for each record of a validated CSV."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        yield from enumerate(csv.DictReader(f), start=2)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a type error, already reported by the schema check


def check_rows(
    package: Package,
    resource: Resource,
    rows: Iterable[tuple[int, dict]],
    file: str,
    lookups: dict[str, dict[str, dict]] | None = None,
) -> list[Problem]:
    """Problems with the cross-row rules in `rows` of `resource`.

    `lookups` maps resource name -> {id: row} for the rows the rules look across to
    (activities for x-same-project, "You said" items for x-not-before-said); rows being
    appended are checked against existing rows and each other through it.
    """
    lookups = lookups if lookups is not None else {}
    problems: list[Problem] = []
    fields = resource.fields
    unique_sets = resource.schema.get("x-unique-together", [])
    seen: dict[tuple, dict[tuple, int]] = {tuple(s): {} for s in unique_sets}
    now = today()
    codes_cache: dict[str, set[str]] = {}

    def codes(name: str) -> set[str]:
        if name not in codes_cache:
            codes_cache[name] = set(package.codes(name))
        return codes_cache[name]

    for rownum, row in rows:
        for f in fields:
            value = row.get(f.name) or ""
            d = f.descriptor
            cond = d.get("x-required-when")
            if cond and not value.strip() and row.get(cond["field"]) in cond["in"]:
                problems.append(
                    Problem(
                        file,
                        rownum,
                        f.name,
                        value,
                        f"{f.title} is required when {cond['field']} is {row.get(cond['field'])}",
                        f.description,
                    )
                )
            other = d.get("x-not-before")
            if other and _date(value) and _date(row.get(other)) and _date(value) < _date(row.get(other)):
                problems.append(
                    Problem(
                        file,
                        rownum,
                        f.name,
                        value,
                        f"{f.title} is earlier than {resource.field(other).title} ({row.get(other)})",
                        f"a date on or after {other}",
                    )
                )
            if d.get("x-not-after-today") and _date(value) and _date(value) > now:
                problems.append(
                    Problem(
                        file,
                        rownum,
                        f.name,
                        value,
                        f"{f.title} is in the future",
                        f"a date on or before today ({now.isoformat()})",
                    )
                )
            if d.get("x-list-of") and value:
                allowed = codes(d["x-list-of"])
                for code in value.split(";"):
                    if code and code not in allowed:
                        problems.append(
                            Problem(
                                file,
                                rownum,
                                f.name,
                                code,
                                f"{code!r} is not a code in {d['x-list-of']}",
                                f.allowed(package),
                            )
                        )
            if d.get("x-same-project") and value:
                activity = lookups.get("coproduction_log", {}).get(value)
                if activity is not None and activity.get("project_id") != row.get("project_id"):
                    problems.append(
                        Problem(
                            file,
                            rownum,
                            f.name,
                            value,
                            f"activity {value} belongs to project {activity.get('project_id')}, "
                            f"not to {row.get('project_id')}",
                            "an activity of the same project",
                        )
                    )
            if d.get("x-not-before-said") and _date(value):
                item = lookups.get("you_said_we_did", {}).get(row.get("you_said_id") or "")
                said = _date(item.get("said_date")) if item else None
                if said and _date(value) < said:
                    problems.append(
                        Problem(
                            file,
                            rownum,
                            f.name,
                            value,
                            f"the update is dated before the item was said ({item['said_date']})",
                            "a date on or after the date the item was said",
                        )
                    )
        for key, index in seen.items():
            values = tuple(row.get(k) or "" for k in key)
            if all(values):
                if values in index:
                    problems.append(
                        Problem(
                            file,
                            rownum,
                            ",".join(key),
                            ",".join(values),
                            f"the same {' and '.join(key)} as row {index[values]}",
                            f"one row per {' and '.join(key)}",
                        )
                    )
                else:
                    index[values] = rownum
    return problems


def lookups_for(package: Package) -> dict[str, dict[str, dict]]:
    """The rows the rules look across to, keyed by id, read from the datasets."""
    out = {}
    for name in ("coproduction_log", "you_said_we_did"):
        res = package.resource(name)
        if res.path.exists():
            out[name] = {row["id"]: row for _, row in read_rows(res.path)}
    return out


def check_package(package: Package) -> list[Problem]:
    lookups = lookups_for(package)
    problems: list[Problem] = []
    for res in package.resources:
        if not res.path.exists():
            continue
        rel = str(res.path.relative_to(package.root))
        problems += check_rows(package, res, read_rows(res.path), rel, lookups)
    return problems
