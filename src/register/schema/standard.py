"""The Co-production Register standard: the versioned schemas other publishers conform to.

schemas/standard.json is the one place the standard's name, version and schema files
are written; schemas/CHANGELOG.md says what each version changed. A data package
declares the version it follows in datapackage.json ("x-register-standard"), and
`make validate` checks it against that version: a package on the validator's own
version must carry the standard's schemas unchanged; one on an older minor version is
checked with its own (older) copies, which a newer minor version still accepts; a
newer version than the validator knows is refused, since its fields cannot be checked.

A field the standard replaces carries "x-deprecated": {"since": "1.1.0",
"replaced_by": "..."}. A package still using it is warned while the standard is on that
minor version, and refused from the next minor version on.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from register.schema.package import ROOT, Package

STANDARD_DIR = ROOT / "schemas"
STANDARD_FILE = "standard.json"
DECLARATION = "x-register-standard"
DEPRECATED = "x-deprecated"
VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def parse(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a semantic version, or None if it is not one."""
    m = VERSION.match(str(text))
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


@dataclass(frozen=True)
class Standard:
    folder: Path
    name: str
    version: str
    schemas: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}"

    def schema(self, rel: str) -> dict:
        return json.loads((self.folder / rel).read_text("utf-8"))


def load(folder: Path | str = STANDARD_DIR) -> Standard:
    folder = Path(folder)
    about = json.loads((folder / STANDARD_FILE).read_text("utf-8"))
    if parse(about.get("version", "")) is None:
        raise ValueError(f"{folder / STANDARD_FILE}: version {about.get('version')!r} is not like 1.0.0")
    return Standard(folder, about["name"], about["version"], tuple(about["schemas"]))


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or deprecated) in a package; register.checks turns it into a Problem."""

    file: str
    field: str | None
    message: str
    allowed: str


@dataclass
class Verdict:
    """What checking a package against the standard found, before its rows are checked."""

    refusal: str | None = None  # the package cannot be checked at all
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def refusal(declared, standard: Standard) -> str | None:
    """Why a package declaring this version cannot be checked by this standard, if it cannot."""
    where = f"datapackage.json declares {DECLARATION}"
    if declared is None:
        return (
            f"datapackage.json does not say which version of the {standard.name} it follows: "
            f'add "{DECLARATION}": "{standard.version}"'
        )
    have, know = parse(declared), parse(standard.version)
    if have is None:
        return f"{where} {declared!r}, which is not a version like {standard.version}"
    if have[0] > know[0] or (have[0] == know[0] and have > know):
        return (
            f"{where} {declared}, newer than this validator knows ({standard.title}): "
            f"update the register's code to a version that knows {declared}, then check again"
        )
    if have[0] < know[0]:
        return (
            f"{where} {declared}, an older major version than this validator's ({standard.title}), "
            f"which changed what the files hold: see the standard's CHANGELOG.md and move the package to {know[0]}.x"
        )
    return None


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f), [])


def deprecations(package: Package, standard: Standard) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings): deprecated fields the package's files still have."""
    errors, warnings = [], []
    know = parse(standard.version)
    for rel in standard.schemas:
        for descriptor in standard.schema(rel)["fields"]:
            dep = descriptor.get(DEPRECATED)
            if not dep:
                continue
            since = parse(dep.get("since", "")) or know
            instead = f"use {dep['replaced_by']} instead" if dep.get("replaced_by") else "leave it out"
            for res in package.resources:
                if res.schema_path != f"schemas/{rel}" or descriptor["name"] not in _header(res.path):
                    continue
                where = res.path.relative_to(package.root).as_posix()
                if (know[0], know[1]) > (since[0], since[1]):
                    message = f"deprecated since {dep.get('since')} and no longer accepted in {standard.title}"
                    errors.append(Finding(where, descriptor["name"], message, instead))
                else:
                    message = (
                        f"deprecated since {dep.get('since')}: accepted in {standard.title}, "
                        f"refused from {know[0]}.{know[1] + 1}.0"
                    )
                    warnings.append(Finding(where, descriptor["name"], message, instead))
    return errors, warnings


def changed_schemas(package: Package, standard: Standard) -> list[Finding]:
    """Schemas of a package on the standard's own version that are not the standard's."""
    problems = []
    for rel in standard.schemas:
        own = package.root / "schemas" / rel
        if own.is_file() and json.loads(own.read_text("utf-8")) != standard.schema(rel):
            message = f"is not the {standard.title} schema it should be a copy of"
            problems.append(Finding(f"schemas/{rel}", None, message, "the standard's file unchanged"))
    return problems


def required_resources(standard: Standard) -> list[str]:
    """The resources every package holds, if only as a header row: each table with a
    schema of the standard's own, and each codelist the standard's fields take codes from."""
    names: list[str] = []
    for rel in standard.schemas:
        schema = standard.schema(rel)
        if rel != "codelist.json" and not rel.startswith("views/"):
            names.append(Path(rel).stem)
        for key in schema.get("foreignKeys", []):
            names.append(key.get("reference", {}).get("resource") or "")
        names += [f["x-list-of"] for f in schema.get("fields", []) if f.get("x-list-of")]
    return sorted({n for n in names if n})


def missing_resources(package: Package, standard: Standard) -> str | None:
    """Why a package that leaves out one of the standard's tables cannot be checked
    (its foreign keys, rules and the build all read every one), or None."""
    missing = [n for n in required_resources(standard) if n not in package.names]
    if not missing:
        return None
    root = "" if package.root.resolve() == ROOT.resolve() else f" --root {package.root}"
    return (
        f"datapackage.json has no resource {', '.join(missing)}: every table of the {standard.title} is "
        f"part of a register, even with no records (a CSV file of its header row). Add "
        f'{{"name": "{missing[0]}"}} (a codelist with its title and description) to its resources, as '
        f"the standard's own datapackage.json has it, then run `python -m register.schema.datapackage "
        f"--write{root}` (docs/publishing.md)"
    )


def check(package: Package, standard: Standard) -> Verdict:
    declared = package.descriptor.get(DECLARATION)
    why = refusal(declared, standard) or missing_resources(package, standard)
    if why:
        return Verdict(refusal=why)
    errors, warnings = deprecations(package, standard)
    if declared == standard.version:
        errors += changed_schemas(package, standard)
    return Verdict(problems=errors, warnings=warnings)
