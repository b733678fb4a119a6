"""Cross-row rules a Table Schema cannot express, declared in the schemas as x- properties.

- field "x-required-when": {"field": f, "in": [codes]}  required when another field has one of the codes
- field "x-not-before": other_field                      a date not earlier than another date of the row
- field "x-not-after-today": true                         a date that is not in the future
- field "x-list-of": codelist                            semicolon-separated codes of that codelist
- field "x-same-project": true                            an activity id belonging to the row's project
- field "x-not-before-said": true                         an update dated on or after its item was said
- schema "x-unique-together": [[f1, f2]]                  no two rows share these values
- field "x-one-of-with": other_field                       exactly one of this field and the other is given
- field "x-independent-partner": true                      an organisation whose kind is an independent partner
- field "x-not-before-claim": true                         a verdict dated on or after the claim it judges
- field "x-exactly-one-true": true                         exactly one row of the file holds true
- field "x-applied": true                                  (corrections) the latest correction of a
                                                           field is what the record holds

The rules live with the fields they constrain, so prompts, templates and the data
dictionary can explain them from the same place.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from register.checks import messages
from register.checks.cells import rules_date
from register.checks.problems import Problem
from register.schema.package import Package, Resource, today


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(spreadsheet row number, row) for each record of a validated CSV."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        yield from enumerate(csv.DictReader(f), start=2)


def independent_partners(package: Package) -> dict[str, bool]:
    """Each organisation's code -> whether its kind (organisation_kinds) is an independent partner."""
    kinds_res = package.resource("organisation_kinds")
    true_values = kinds_res.field("independent_partner").true_values
    kinds = {row["code"]: row.get("independent_partner") in true_values for _, row in read_rows(kinds_res.path)}
    return {
        row["code"]: kinds.get(row.get("kind") or "", False)
        for _, row in read_rows(package.resource("organisations").path)
    }


def claim_date(row: dict, lookups: dict[str, dict[str, dict]]) -> str | None:
    """The date of the claim a verdict judges: its update's date, or its activity's."""
    update = lookups.get("you_said_we_did_updates", {}).get(row.get("update_id") or "")
    if update is not None:
        return update.get("update_date")
    activity = lookups.get("coproduction_log", {}).get(row.get("log_id") or "")
    return activity.get("activity_date") if activity is not None else None


def unapplied_corrections(rows: Iterable[tuple[int, dict]], holds: Callable[[str, str, str, str], bool | None]) -> list:
    """(row number, correction) for each correction that is the latest of its record's
    field while the record does not hold its new value: `make correct` was stopped
    between writing the correction and writing the record (register/staff/correct.py).
    holds(resource, record_id, field, value) is None when there is no such record or field."""
    latest: dict[tuple, tuple[int, dict]] = {}
    for rownum, row in rows:
        latest[(row.get("resource"), row.get("record_id"), row.get("field"))] = (rownum, row)
    return [
        (n, row)
        for (res, rec, fld), (n, row) in latest.items()
        if holds(res, rec, fld, row.get("new_value") or "") is not True
    ]


def records_holding(package: Package, own: str) -> Callable[[str, str, str, str], bool | None]:
    """holds(resource, record_id, field, value) read from the datasets, each table once
    (`own`, the corrections resource itself, holds no corrected records)."""
    tables: dict[str, dict[str, dict]] = {}

    def holds(resource: str, record_id: str, field: str, value: str) -> bool | None:
        if resource not in package.names or resource == own:
            return None
        if resource not in tables:
            res = package.resource(resource)
            tables[resource] = {row.get("id"): row for _, row in read_rows(res.path)} if res.path.exists() else {}
        row = tables[resource].get(record_id)
        return None if row is None or field not in row else row[field] == value

    return holds


def check_rows(
    package: Package,
    resource: Resource,
    rows: Iterable[tuple[int, dict]],
    file: str,
    lookups: dict[str, dict[str, dict]] | None = None,
    across_only: bool = False,
) -> list[Problem]:
    """Problems with the x- rules in `rows` of `resource`.

    `lookups` maps resource name -> {id: row} for the rows the rules look across to
    (activities for x-same-project, "You said" items for x-not-before-said); rows being
    appended are checked against existing rows and each other through it.
    `across_only`: only the rules that look beyond the row (the staff commands check
    each row on its own with the generated checker, register/checks/codegen.py).
    """
    lookups = lookups if lookups is not None else {}
    problems: list[Problem] = []
    fields = resource.fields
    unique_sets = resource.schema.get("x-unique-together", [])
    seen: dict[tuple, dict[tuple, int]] = {tuple(s): {} for s in unique_sets}
    now = today()
    codes_cache: dict[str, set[str]] = {}
    partners: list[dict[str, bool]] = []  # read once, when a field asks
    true_rows: dict[str, list[int | None]] = {}  # x-exactly-one-true: the rows holding true
    seen_rows: list[tuple[int, dict]] = []  # x-applied: every correction, in order
    applies = not across_only and any(f.descriptor.get("x-applied") for f in fields)

    def codes(name: str) -> set[str]:
        if name not in codes_cache:
            codes_cache[name] = set(package.codes(name))
        return codes_cache[name]

    def add(rownum, f, value, message, allowed):
        problems.append(Problem(file, rownum, f.name, value, message, allowed))

    for rownum, row in rows:
        if applies:
            seen_rows.append((rownum, row))
        for f in fields:
            value = row.get(f.name) or ""
            d = f.descriptor
            if not across_only:
                cond = d.get("x-required-when")
                if cond and not value.strip() and row.get(cond["field"]) in cond["in"]:
                    add(
                        rownum,
                        f,
                        value,
                        messages.required_when(f, cond["field"], row.get(cond["field"])),
                        f.description,
                    )
                other = d.get("x-not-before")
                mine = rules_date(value)
                if other and mine and rules_date(row.get(other)) and mine < rules_date(row.get(other)):
                    message = messages.earlier_than(f, resource.field(other), row.get(other))
                    add(rownum, f, value, message, messages.on_or_after(resource.field(other)))
                if d.get("x-not-after-today") and mine and mine > now:
                    add(rownum, f, value, messages.in_future(f), messages.on_or_before_today(now.isoformat()))
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
                                    messages.not_a_code(code, d["x-list-of"]),
                                    f.allowed(package),
                                )
                            )
            if d.get("x-same-project") and value:
                activity = lookups.get("coproduction_log", {}).get(value)
                if activity is not None and activity.get("project_id") != row.get("project_id"):
                    message = messages.other_project(value, activity.get("project_id"), row.get("project_id"))
                    add(rownum, f, value, message, messages.SAME_PROJECT)
            if d.get("x-not-before-said") and rules_date(value):
                item = lookups.get("you_said_we_did", {}).get(row.get("you_said_id") or "")
                said = rules_date(item.get("said_date")) if item else None
                if said and rules_date(value) < said:
                    add(rownum, f, value, messages.before_said(item["said_date"]), messages.AFTER_SAID)
            other = d.get("x-one-of-with")
            if other and bool(value.strip()) == bool((row.get(other) or "").strip()):
                add(
                    rownum,
                    f,
                    value,
                    messages.one_of(f.name, other, bool(value.strip())),
                    messages.one_of_allowed(f.name, other),
                )
            if d.get("x-independent-partner") and value:
                if not partners:
                    partners.append(independent_partners(package))
                if value in partners[0] and not partners[0][value]:
                    add(rownum, f, value, messages.not_independent(value), messages.INDEPENDENT)
            if d.get("x-not-before-claim") and rules_date(value):
                claimed = claim_date(row, lookups)
                if rules_date(claimed) and rules_date(value) < rules_date(claimed):
                    add(rownum, f, value, messages.before_claim(claimed), messages.AFTER_CLAIM)
            if d.get("x-exactly-one-true") and not across_only and value in f.true_values:
                true_rows.setdefault(f.name, []).append(rownum)
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
                            messages.same_together(key, index[values]),
                            messages.one_row_per(key),
                        )
                    )
                else:
                    index[values] = rownum
    if not across_only:
        for f in fields:
            if f.descriptor.get("x-applied"):
                for rownum, row in unapplied_corrections(seen_rows, records_holding(package, resource.name)):
                    problems.append(
                        Problem(file, rownum, f.name, row.get(f.name) or "", messages.not_applied(row), messages.APPLY)
                    )
            if f.descriptor.get("x-exactly-one-true"):
                found = true_rows.get(f.name, [])
                for rownum in found[1:] if found else [None]:
                    problems.append(
                        Problem(
                            file,
                            rownum,
                            f.name,
                            "true" if found else "",
                            messages.not_exactly_one(f),
                            messages.EXACTLY_ONE,
                        )
                    )
    return problems


def lookups_for(package: Package) -> dict[str, dict[str, dict]]:
    """The rows the rules look across to, keyed by id, read from the datasets."""
    out = {}
    for name in ("coproduction_log", "you_said_we_did", "you_said_we_did_updates"):
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
