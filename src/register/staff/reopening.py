"""A new status update that reopens a "You said" item whose loop is closed says why: the
public sees the loop open again, and its reason is what they read. `make update-status`
asks for it (NOTE=); this holds the rows added by `make append` and `make add` to the
same rule. The item's history is read as its current status is: by date, then id, with
new rows after the existing ones of their day, in the order of the file."""

from __future__ import annotations

from register.checks.problems import Problem
from register.checks.rules import read_rows
from register.schema.package import Package
from register.staff.batch import Batch
from register.staff.identifiers import id_order

RESOURCE = "you_said_we_did_updates"


def closing_statuses(package: Package) -> set[str]:
    statuses = package.resource("statuses")
    true = statuses.field("closes_loop").true_values
    return {r.get("code") or "" for _, r in read_rows(statuses.path) if r.get("closes_loop") in true}


def problems(package: Package, batch: Batch) -> list[Problem]:
    """A problem for each new row that reopens a closed item with neither we_did nor a reason."""
    res = batch.resource
    if res.name != RESOURCE or not batch.rows:
        return []
    closing = closing_statuses(package)
    items = {row.get("you_said_id") for _, row in batch.rows}
    history: dict[str, list[tuple[tuple, dict, str]]] = {}
    if res.path.exists():
        for _, row in read_rows(res.path):
            if row.get("you_said_id") in items:
                key = (row.get("update_date") or "", 0, id_order(row.get("id") or ""))
                history.setdefault(row["you_said_id"], []).append((key, row, row.get("id") or ""))
    for order, (number, row) in enumerate(batch.rows):
        key = (row.get("update_date") or "", 1, f"{order:09d}")
        history.setdefault(row.get("you_said_id") or "", []).append((key, row, f"row {number} of this file"))
    found = []
    for number, row in batch.rows:
        if row.get("status") in closing or (row.get("we_did") or "").strip() or (row.get("reason") or "").strip():
            continue
        mine = next(k for k, r, _ in history[row.get("you_said_id") or ""] if r is row)
        before = [entry for entry in history[row.get("you_said_id") or ""] if entry[0] < mine]
        if not before:
            continue
        _, last, where = max(before, key=lambda entry: entry[0])
        if last.get("status") in closing:
            found.append(
                Problem(
                    batch.file,
                    number,
                    "reason",
                    None,
                    f"{row['you_said_id']} is closed ('{last['status']}' on {last.get('update_date')}, {where}), so "
                    f"'{row.get('status')}' reopens it: say why in reason (it is published, as the loop is seen "
                    "open again)",
                )
            )
    return found
