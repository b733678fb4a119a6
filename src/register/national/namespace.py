"""Many publishers' packages merged into one national data package, without collisions.

Records (own_resources: every resource with a schema of its own, not a codelist) are each
publisher's own: their identifiers are prefixed with the publisher's code (nn_icb:PRJ-0001),
and so is every foreign key that points at them, so two publishers' PRJ-0001 never meet.
A correction names its record by table and id, which no foreign key can say, so its
record_id is prefixed too (and its values, when the field corrected is itself a key).
Each record gains a `from_publisher` column (sources already have a `publisher`: the
document's) and a link to the record on its publisher's own register.

Codelists are the shared vocabulary and are merged, not prefixed: a code means one thing
nationally. A publisher may add codes of its own. A code two publishers both use must
mean the same: every column except the wording and presentation (PRESENTATION) must
agree, the title compared without case and spacing. A publisher whose codes conflict
with those already merged (registry order) is refused as a whole, never mixed in; so is a
publisher whose files cannot be merged at all, and the rest are merged without it.

The national package uses the standard's schemas (this repository's schemas/), so the
build checks every publisher's rows against the current standard. Fields a publisher's
(older) package lacks are left empty; fields the standard no longer has are dropped.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from register.schema.package import Package
from register.schema.views import VIEWS_DIR
from register.util.workers import in_order

SEPARATOR = ":"
PRESENTATION = ("description", "sort_order", "source", "source_section")
PUBLISHERS = "publishers"
PUBLISHER_FIELD = {
    "name": "from_publisher",
    "type": "string",
    "title": "From publisher",
    "description": "The publisher whose register this record comes from (its code in the publishers table).",
    "constraints": {"required": True},
}
LINK_FIELD = {
    "name": "publisher_url",
    "type": "string",
    "title": "On the publisher's register",
    "description": "This record on its publisher's own register, where it is kept and corrected.",
    # A pattern: an address, not text people type (so the privacy check need not read it).
    "constraints": {"pattern": "^https?://[^ ]+$"},
}
# Where a record is on a register built from this repository (the site's stable URLs).
RECORD_PATHS = {"projects": "/projects/{id}"}
DEFAULT_RECORD_PATH = "/register/{table}/{id}"
# Corrections name the record they change by table and id (no foreign key can point at
# "any table"), and the field changed: (table column, id column, value columns).
CORRECTIONS = "corrections"
CORRECTED = ("resource", "record_id", ("old_value", "new_value"))
# What a file may raise when a publisher's package cannot be merged: that publisher is
# refused, in words, and the others are merged without it.
UNMERGEABLE = (KeyError, IndexError, ValueError, csv.Error, OSError, UnicodeDecodeError)


class Conflict(Exception):
    """A publisher's codes mean something else than the same codes already merged."""


@dataclass
class Source:
    """One publisher's validated package, as the merge reads it."""

    code: str
    package: Package
    homepage: str


@dataclass
class Merged:
    """What the merge wrote: rows per publisher per resource, and who was refused why."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # publisher -> resource -> rows
    refused: dict[str, str] = field(default_factory=dict)  # publisher -> reason
    # resource -> [(first CSV row, last CSV row, publisher)]: a build problem's row names its publisher
    ranges: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)

    def publisher_at(self, resource: str, row: int | None) -> str | None:
        for first, last, code in self.ranges.get(resource, []):
            if row is not None and first <= row <= last:
                return code
        return None


def own_resources(standard: Package) -> tuple[str, ...]:
    """The records each publisher owns, in the standard's order: every resource with a
    schema of its own (schemas/<name>.json, the layout register.schema.datapackage
    derives). The rest are codelists, shared and merged on their code."""
    return tuple(r.name for r in standard.resources if r.publishers_own)


def own_keys(standard: Package, own: tuple[str, ...]) -> dict[str, set[str]]:
    """resource -> its fields that hold an own record's key (prefixed nationally)."""
    return {
        r.name: {
            f.name
            for f in r.fields
            if (r.name in own and f.name in r.primary_key) or (f.reference and f.reference[0] in own)
        }
        for r in standard.resources
    }


def prefixed(code: str, value: str | None) -> str | None:
    return f"{code}{SEPARATOR}{value}" if value else value


def _prefixed_pattern(pattern: str) -> str:
    return "^[a-z0-9_]+" + SEPARATOR + pattern.removeprefix("^")


def national_schema(standard: Package, name: str) -> dict:
    """The standard's schema of `name`, with prefixed keys (and, for records, the
    publisher and link columns)."""
    res = standard.resource(name)
    own = own_resources(standard)
    keys = own_keys(standard, own)[name] | ({CORRECTED[1]} if name == CORRECTIONS else set())
    schema = copy.deepcopy(res.schema)
    for f in schema["fields"]:
        if f["name"] in keys:
            pattern = f.get("constraints", {}).get("pattern")
            if pattern:
                f["constraints"]["pattern"] = _prefixed_pattern(pattern)
            if "maxLength" in f.get("constraints", {}):
                f["constraints"]["maxLength"] += 41  # a publisher code and the separator
    if name in own:
        schema["fields"] += [copy.deepcopy(PUBLISHER_FIELD), copy.deepcopy(LINK_FIELD)]
        schema.setdefault("foreignKeys", []).append(
            {"fields": [PUBLISHER_FIELD["name"]], "reference": {"resource": PUBLISHERS, "fields": ["code"]}}
        )
    return schema


def _differing(a: dict, b: dict) -> list[str]:
    """The columns, wording and presentation apart, in which two rows of a codelist differ
    (the title compared without case or spacing), in b's order."""

    def norm(v):
        return re.sub(r"\s+", " ", (v or "").strip()).casefold()

    keys = list(b) + [k for k in a if k not in b]
    return [k for k in keys if k not in PRESENTATION and norm(a.get(k)) != norm(b.get(k))]


def _conflict(src: Source, name: str, row_number: int, row: dict, have: dict, first: str) -> Conflict:
    """A code of src's that means something else than the code `first` gave, said with the
    file, the row and each column that differs."""
    where = f"{src.package.resource(name).descriptor['path']}, row {row_number}"
    what = "; ".join(f"{k} {row.get(k)!r} where {first}'s has {have.get(k)!r}" for k in _differing(have, row))
    return Conflict(
        f"its code {row.get('code')!r} in {name} ({where}) has {what}: a code means one thing in every "
        f"register, so give it a code of its own, or make it agree"
    )


def _unsaid(src: Source, name: str, row_number: int, row: dict, fields: list) -> Conflict:
    """A code of src's own (not the standard's) in a codelist without a column that a
    newer minor version of the standard requires: the standard's codelist cannot say it
    for a code it does not have, and nothing may be made up for it."""
    where = f"{src.package.resource(name).descriptor['path']}, row {row_number}"
    what = ", ".join(f"{f.name!r} ({f.title})" for f in fields)
    return Conflict(
        f"its code {row.get('code')!r} in {name} ({where}) is its own and its {name} has no column {what}, which "
        f"the current standard requires and the standard's own {name} cannot give for a code it does not have: "
        f"add the column, saying it for every code, and declare the version of the standard that has it"
    )


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as f:  # a file saved by Excel starts with a BOM
        return list(csv.DictReader(f))


def merge_codelists(standard: Package, sources: list[Source], merged: Merged) -> dict[str, dict[str, dict]]:
    """codelist -> code -> row, in registry order; conflicting publishers go in merged.refused.
    A column a publisher's codelist lacks, because its package follows an older minor version
    of the standard (impacts' `assessed` came in 1.2.0, statuses' `responds` in 1.3.0), is
    taken from the standard's own codelist for the codes it has: what a standard code means
    is the standard's. A code of the publisher's own cannot be given it: the publisher is
    refused, saying so, rather than the merged package failing the standard for everyone."""
    own = own_resources(standard)
    lists = [r.name for r in standard.resources if r.name not in own]
    out: dict[str, dict[str, dict]] = {name: {} for name in lists}
    ours = {name: {r.get("code"): r for r in _read(standard.resource(name).path)} for name in lists}
    given_by: dict[tuple[str, str], str] = {}  # (codelist, code) -> the publisher that gave it
    # The columns a code of the publisher's own must have: those the standard requires.
    required = {name: [f for f in standard.resource(name).fields if f.required and f.name != "code"] for name in lists}
    for src in sources:
        mine: dict[str, dict[str, dict]] = {}
        name = ""
        try:
            for name in lists:
                if name not in src.package.names:
                    continue
                for row_number, row in enumerate(_read(src.package.resource(name).path), start=2):
                    if row.get("code") not in ours[name] and (
                        lacks := [f for f in required[name] if f.name not in row]
                    ):
                        raise _unsaid(src, name, row_number, row, lacks)
                    row = {**ours[name].get(row.get("code"), {}), **row}
                    have = out[name].get(row.get("code"))
                    if have is not None and _differing(have, row):
                        raise _conflict(src, name, row_number, row, have, given_by[(name, row.get("code"))])
                    if have is None:
                        mine.setdefault(name, {})[row["code"]] = {
                            **row,
                            "source": prefixed(src.code, row.get("source")),
                        }
        except Conflict as e:
            merged.refused[src.code] = f"refused: {e}"
            continue
        except UNMERGEABLE as e:
            merged.refused[src.code] = f"refused: its {name} could not be merged ({_why(e)})"
            continue
        for name, rows in mine.items():
            out[name].update(rows)
            given_by.update({(name, code): src.code for code in rows})
    return out


def _why(error: Exception) -> str:
    """Why a file could not be merged, in words a publisher can act on."""
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(error, KeyError):
        return f"it has no column {error.args[0]!r}" if error.args else "a column is missing"
    return f"{type(error).__name__}: {error}"


def record_url(homepage: str, table: str, record_id: str) -> str:
    if not homepage.startswith(("http://", "https://")) or not record_id:
        return ""
    path = RECORD_PATHS.get(table, DEFAULT_RECORD_PATH).format(table=table, id=record_id)
    return homepage.rstrip("/") + path


def _row_maker(res, header: list[str], src: Source, keys: dict[str, set[str]]):
    """A function from one CSV row (a list, in the publisher's column order) to the national
    row: the standard's columns in its order, own keys prefixed, then publisher and link.
    `keys`: each resource's fields that hold an own record's key (own_keys)."""
    index = {c: i for i, c in enumerate(header)}
    prefix = src.code + SEPARATOR
    plan = [(index.get(c), c in keys[res.name]) for c in res.field_names]
    pk = index.get(res.primary_key[0])
    base = record_url(src.homepage, res.name, "{id}")
    corrects = res.name == CORRECTIONS
    if corrects:  # positions in the national row
        table, record, field_at = (res.field_names.index(c) for c in (*CORRECTED[:2], "field"))
        value_at = [res.field_names.index(c) for c in CORRECTED[2]]

    def make(row: list[str]) -> list[str]:
        values = []
        for i, is_own in plan:
            v = row[i] if i is not None and i < len(row) else ""
            values.append(prefix + v if is_own and v else v)
        if corrects:  # the record it names, and its values if the field is a key
            values[record] = prefix + values[record] if values[record] else ""
            if values[field_at] in keys.get(values[table], ()):
                for i in value_at:
                    values[i] = prefix + values[i] if values[i] else ""
        key = row[pk] if pk is not None and pk < len(row) else ""
        values += [src.code, base.replace("{id}", key) if base and key else ""]
        return values

    return make


def _write_parts(task: tuple) -> tuple[dict[str, int], str]:
    """One publisher's rows of every record resource, as national rows, each into its own
    part file (no header): ({resource: rows}, why it could not be merged, or ""). Reads only
    that publisher's package, so publishers are merged in parallel; one argument, a tuple,
    for register.util.workers."""
    standard_root, code, package_root, homepage, parts = task
    standard, src = Package(standard_root), Source(code, Package(package_root), homepage)
    own = own_resources(standard)
    keys = own_keys(standard, own)
    counts = {}
    for name in own:
        if name not in src.package.names:
            continue
        res = standard.resource(name)
        n = 0
        try:
            with (
                src.package.resource(name).path.open(newline="", encoding="utf-8-sig") as fin,  # BOM, as _read
                _part(parts, name, code).open("w", newline="", encoding="utf-8") as fout,
            ):
                reader, writer = csv.reader(fin), csv.writer(fout, lineterminator="\n")
                make = _row_maker(res, next(reader, []), src, keys)
                for row in reader:
                    writer.writerow(make(row))
                    n += 1
        except UNMERGEABLE as e:
            return counts, f"refused: its {name} could not be merged ({_why(e)})"
        counts[name] = n
    return counts, ""


def _part(parts: Path, name: str, code: str) -> Path:
    return parts / f"{name}.{code}.csv"


def _write_own(standard: Package, sources: list[Source], out: Path, merged: Merged, workers: int | None) -> None:
    """Every record resource's CSV: the header, then each publisher's rows in registry order."""
    kept = [src for src in sources if src.code not in merged.refused]
    with tempfile.TemporaryDirectory(prefix=".parts-", dir=out) as tmp:
        parts = Path(tmp)
        tasks = [(standard.root, src.code, src.package.root, src.homepage, parts) for src in kept]
        counts = {}
        for src, (done, why) in zip(kept, in_order(_write_parts, tasks, workers), strict=True):
            if why:
                merged.refused[src.code] = why
            else:
                counts[src.code] = done
        kept = [src for src in kept if src.code in counts]
        for name in own_resources(standard):
            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow(
                [*standard.resource(name).field_names, PUBLISHER_FIELD["name"], LINK_FIELD["name"]]
            )
            row_number = 1  # the header
            with (out / standard.resource(name).descriptor["path"]).open("wb") as f:
                f.write(header.getvalue().encode("utf-8"))
                for src in kept:
                    if name not in counts[src.code]:
                        continue
                    with _part(parts, name, src.code).open("rb") as part:
                        shutil.copyfileobj(part, f, 1 << 20)
                    first, row_number = row_number + 1, row_number + counts[src.code][name]
                    merged.rows.setdefault(src.code, {})[name] = counts[src.code][name]
                    merged.ranges.setdefault(name, []).append((first, row_number, src.code))


def write_package(
    standard: Package,
    sources: list[Source],
    out: Path,
    extra: list[dict],
    descriptor: dict,
    workers: int | None = None,
) -> Merged:
    """Write the national package into `out` (replacing it). `extra` are more resources
    (with "schema_json" and "rows"): the publishers and their fetches. Publishers' records
    are rewritten in `workers` processes (default: one per core)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "schemas").mkdir(parents=True)
    (out / "datasets" / "codelists").mkdir(parents=True)
    merged = Merged()
    codelists = merge_codelists(standard, sources, merged)
    own = own_resources(standard)
    resources = []
    for res in standard.resources:
        desc = dict(res.descriptor)
        schema_path = out / desc["schema"]
        schema_path.parent.mkdir(parents=True, exist_ok=True)
        schema_path.write_text(json.dumps(national_schema(standard, res.name), indent=1), "utf-8")
        path = out / desc["path"]
        if res.name not in own:
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, res.field_names, extrasaction="ignore", lineterminator="\n")
                writer.writeheader()
                writer.writerows(codelists[res.name].values())
        resources.append(desc)
    _write_own(standard, sources, out, merged, workers)
    for item in extra:
        desc = {k: v for k, v in item.items() if k not in ("schema_json", "rows")}
        (out / desc["schema"]).write_text(json.dumps(item["schema_json"], indent=1), "utf-8")
        names = [f["name"] for f in item["schema_json"]["fields"]]
        with (out / desc["path"]).open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, names, lineterminator="\n")
            writer.writeheader()
            writer.writerows(item["rows"])
        resources.insert(0, desc)
    (out / "datapackage.json").write_text(json.dumps({**descriptor, "resources": resources}, indent=2), "utf-8")
    for name in ("metadata.yml",):
        if (standard.root / name).exists():
            shutil.copyfile(standard.root / name, out / name)
    # The exported views' schemas (schemas/views/), so that the extracts describe and
    # export the views of the national register as they do a publisher's.
    views = standard.root / VIEWS_DIR
    if views.is_dir():
        shutil.copytree(views, out / VIEWS_DIR)
    return merged
