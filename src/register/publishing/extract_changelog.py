"""The extract's changelog: what changed since the previous extract, row by row.

A merge of the previous and new CSV files, both sorted by primary key, so memory does
not grow with the number of rows. When nothing changed, the last real change is carried
forward, so the changelog keeps saying what it was.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from register.publishing.extract_tables import CHANGES_JSON, DESCRIPTOR_NAME, Table

# How many row identifiers of each kind (added, changed, removed) the changelog lists
# per resource; the counts are always complete.
CHANGELOG_ID_LIMIT = 1000


class NotSorted(Exception):
    pass


def _keyed_rows(path: Path, pk: list[str], types: dict[str, str]) -> tuple[list[str], Iterator[tuple[tuple, list]]]:
    """(header, iterator of (key, row)) for a CSV extract, checking it is in key order."""
    fh = path.open(newline="", encoding="utf-8")
    reader = csv.reader(fh)
    header = next(reader, [])
    if not set(pk) <= set(header):
        fh.close()
        raise NotSorted(f"the previous file has no {', '.join(pk)} column")
    key_idx = [(header.index(k), types.get(k) == "integer") for k in pk]

    def conv(v, is_int):
        if is_int:
            try:
                return (0, int(v))
            except ValueError:
                return (1, v)
        return (0, v)

    def gen():
        last = None
        try:
            for row in reader:
                key = tuple(conv(row[i], is_int) for i, is_int in key_idx)
                if last is not None and key <= last:
                    raise NotSorted(f"{path.name} is not in order of {', '.join(pk)}")
                last = key
                yield key, row
        finally:
            fh.close()

    return header, gen()


def compare(old_path: Path, new_path: Path, table: Table, limit: int = CHANGELOG_ID_LIMIT) -> dict:
    """Rows added, changed and removed between two CSV extracts of one table.

    Both files are in primary-key order (the extract writes them so), so one pass over
    each, side by side, finds every difference without holding either in memory.
    """
    pk = table.primary_key
    types = {d["name"]: d.get("type", "string") for d in table.schema["fields"]}
    old_header, old_rows = _keyed_rows(old_path, pk, types)
    new_header, new_rows = _keyed_rows(new_path, pk, types)
    same_header = old_header == new_header
    common = [(c, old_header.index(c), i) for i, c in enumerate(new_header) if c in old_header and c not in pk]
    pk_idx = [new_header.index(k) for k in pk]
    old_pk_idx = [old_header.index(k) for k in pk]
    result = _unchanged(
        fields_added=[c for c in new_header if c not in old_header],
        fields_removed=[c for c in old_header if c not in new_header],
    )

    def ident(row, idx):
        return row[idx[0]] if len(idx) == 1 else [row[i] for i in idx]

    def note(kind, value):
        result[kind] += 1
        if len(result[kind + "_ids"]) < limit:
            result[kind + "_ids"].append(value)

    end = object()
    o = next(old_rows, end)
    n = next(new_rows, end)
    while o is not end or n is not end:
        if n is end or (o is not end and o[0] < n[0]):
            note("removed", ident(o[1], old_pk_idx))
            o = next(old_rows, end)
        elif o is end or n[0] < o[0]:
            note("added", ident(n[1], pk_idx))
            n = next(new_rows, end)
        else:
            if not (same_header and o[1] == n[1]):
                diff = [c for c, oi, ni in common if o[1][oi] != n[1][ni]]
                if diff:
                    note("changed", {"id": ident(n[1], pk_idx), "fields": diff})
            o = next(old_rows, end)
            n = next(new_rows, end)
    result["ids_truncated"] = any(result[k] > limit for k in ("added", "changed", "removed"))
    return result


def _unchanged(fields_added=(), fields_removed=()) -> dict:
    return {
        "status": "compared",
        "added": 0,
        "changed": 0,
        "removed": 0,
        "added_ids": [],
        "changed_ids": [],
        "removed_ids": [],
        "fields_added": list(fields_added),
        "fields_removed": list(fields_removed),
        "ids_truncated": False,
    }


def changes(previous_dir: Path, new_dir: Path, written: list[dict], created: str, version: str) -> dict:
    """What changed since the extract in previous_dir (None fields when there is none)."""
    prev_desc = previous_dir / DESCRIPTOR_NAME
    if not prev_desc.is_file():
        return {"created": created, "version": version, "previous": None, "resources": {}}
    prev = json.loads(prev_desc.read_text("utf-8"))
    prev_csv = {r["name"]: r for r in prev.get("resources", []) if r.get("format") == "csv"}
    prev_paths = {name: r["path"] for name, r in prev_csv.items()}
    out = {
        "created": created,
        "version": version,
        "previous": {"created": prev.get("created"), "version": prev.get("version")},
        "resources": {},
    }
    for w in written:
        t: Table = w["table"]
        old = prev_paths.get(t.name)
        if not old or not (previous_dir / old).is_file():
            out["resources"][t.name] = {"status": "new", "added": w["rows"], "changed": 0, "removed": 0}
            continue
        if prev_csv[t.name].get("hash") == "sha256:" + w["csv_sha256"]:
            out["resources"][t.name] = _unchanged()  # the same bytes: nothing to read
            continue
        try:
            out["resources"][t.name] = compare(previous_dir / old, new_dir / w["csv"], t)
        except NotSorted as exc:
            out["resources"][t.name] = {"status": f"not compared: {exc}"}
    for name in prev_paths:
        if name not in out["resources"]:
            out["resources"][name] = {"status": "removed from the extract"}
    return out


def _nothing_changed(c: dict) -> bool:
    return c["previous"] is not None and all(
        r.get("status") == "compared"
        and not (r["added"] or r["changed"] or r["removed"] or r["fields_added"] or r["fields_removed"])
        for r in c["resources"].values()
    )


def carry_forward(c: dict, previous_dir: Path) -> dict:
    """When no data changed, keep saying what the last real change was."""
    if not _nothing_changed(c):
        return c
    try:
        old = json.loads((previous_dir / CHANGES_JSON).read_text("utf-8"))
    except (OSError, ValueError):
        return c
    if old.get("previous") is None:
        return c
    old.setdefault("unchanged_since", old.get("created"))
    old["checked"] = c["created"]
    old["created"] = c["created"]
    old["version"] = c["version"]
    return old


def changelog_markdown(c: dict, title: str) -> str:
    lines = [f"# Changes to the {title} extract", ""]
    lines.append(f"Extract created {c['created']} (version {c['version']}).")
    lines.append("")
    if c.get("as_of_note"):
        lines += [c["as_of_note"], ""]
    if c.get("unchanged_since"):
        lines += [
            f"No rows have changed since the extract of {c['unchanged_since']}; "
            "the changes below are the ones that extract made.",
            "",
        ]
    if c["previous"] is None:
        lines += ["This is the first extract: there is no previous extract to compare it with.", ""]
        return "\n".join(lines)
    lines += [
        f"Compared with the previous extract, created {c['previous']['created']} "
        f"(version {c['previous']['version']}). Rows are matched by their identifier "
        "(the primary key).",
        "",
        "| Table | Added | Changed | Removed |",
        "| --- | ---: | ---: | ---: |",
    ]
    if not any(
        r.get("added") or r.get("changed") or r.get("removed") or r.get("status") not in ("compared", "new")
        for r in c["resources"].values()
    ):
        lines.insert(-2, "No rows were added, changed or removed.\n")
    for name, r in c["resources"].items():
        if r.get("status") == "compared" or r.get("status") == "new":
            lines.append(
                f"| {name}{' (new)' if r['status'] == 'new' else ''} | {r['added']} | {r['changed']} | {r['removed']} |"
            )
        else:
            lines.append(f"| {name} | {r['status']} | | |")
    lines.append("")
    for name, r in c["resources"].items():
        if r.get("status") == "new":
            lines += [f"## {name}", "", f"New in this extract: {r['added']} rows.", ""]
            continue
        if r.get("status") != "compared" or not (
            r["added"] or r["changed"] or r["removed"] or r["fields_added"] or r["fields_removed"]
        ):
            continue
        lines += [f"## {name}", ""]
        if r["fields_added"]:
            lines.append("- Fields added: " + ", ".join(r["fields_added"]))
        if r["fields_removed"]:
            lines.append("- Fields removed: " + ", ".join(r["fields_removed"]))
        for kind in ("added", "removed"):
            if r[kind]:
                shown = ", ".join(str(i) for i in r[f"{kind}_ids"])
                more = r[kind] - len(r[f"{kind}_ids"])
                lines.append(f"- {kind.capitalize()} ({r[kind]}): {shown}" + (f" and {more} more" if more > 0 else ""))
        if r["changed"]:
            shown = "; ".join(f"{x['id']} ({', '.join(x['fields'])})" for x in r["changed_ids"])
            more = r["changed"] - len(r["changed_ids"])
            lines.append(f"- Changed ({r['changed']}): {shown}" + (f" and {more} more" if more > 0 else ""))
        lines.append("")
    return "\n".join(lines)


def console_summary(c: dict, changelog: Path) -> str:
    """What `make extracts` prints about the changes: the changelog's own words, in short.

    Worked out from the changes.json published beside that changelog, so the two never
    disagree (not when an earlier release's files are reused, nor when no row changed)."""
    if c["previous"] is None:
        return f"First extract: there is no previous extract to compare with (see {changelog})."
    counts = {k: sum(r.get(k, 0) for r in c["resources"].values()) for k in ("added", "changed", "removed")}
    said = (
        f"{counts['added']} row{'s' if counts['added'] != 1 else ''} added, "
        f"{counts['changed']} changed, {counts['removed']} removed"
    )
    if c.get("unchanged_since"):
        return (
            f"No rows have changed since the extract of {c['unchanged_since']}; that extract's changes: {said} "
            f"(see {changelog})."
        )
    return f"Since the previous extract, created {c['previous']['created']}: {said} (see {changelog})."
