"""What the generated checker models exactly, and the hand-over when it does not.

Anything outside this (a constraint or type the schemas do not use today, a composite
key, an x- rule added later, a CSV that is not plain comma-separated) raises Fallback,
and the caller runs the frictionless reference instead: slower, never different.
"""

from __future__ import annotations

import csv
from pathlib import Path

from register.schema.package import Field, Resource

SUPPORTED_CONSTRAINTS = {"required", "unique", "pattern", "maxLength", "minimum", "maximum"}
SUPPORTED_TYPES = {"string", "integer", "boolean", "date"}
# The x- properties register/checks/rules.py (and the site) read; a new rule there that
# the checker does not model makes it hand over to the reference rather than skip it.
FIELD_X = {
    "x-free-text",
    "x-list-of",
    "x-required-when",
    "x-not-before",
    "x-not-after-today",
    "x-same-project",
    "x-not-before-said",
    "x-one-of-with",
    "x-independent-partner",
    "x-not-before-claim",
    "x-exactly-one-true",
    "x-applied",
}
SCHEMA_X = {"x-unique-together"}


class Fallback(Exception):
    """The fast path cannot promise frictionless's exact answer here: use the reference."""


def check_field(res: Resource, f: Field) -> None:
    """Raise Fallback unless the generated code checks this field exactly."""
    if f.type not in SUPPORTED_TYPES or f.descriptor.get("format", "default") != "default":
        raise Fallback(f"{res.name}.{f.name}: type {f.type} is not modelled")
    if set(f.constraints) - SUPPORTED_CONSTRAINTS:
        raise Fallback(f"{res.name}.{f.name}: constraint not modelled")
    if f.constraints.get("unique") and f.name not in res.primary_key:
        raise Fallback(f"{res.name}.{f.name}: unique outside the primary key")
    if f.reference and (f.type != "string" or f.reference[0] == res.name):
        raise Fallback(f"{res.name}.{f.name}: foreign key not modelled")
    if "missingValues" in f.descriptor:
        raise Fallback(f"{res.name}.{f.name}: field missing values")


def check_rules(res: Resource) -> None:
    """Raise Fallback for x- rules the checker does not know."""
    unknown = {k for k in res.schema if k.startswith("x-")} - SCHEMA_X
    unknown |= {k for f in res.fields for k in f.descriptor if k.startswith("x-")} - FIELD_X
    if unknown:
        raise Fallback(f"{res.name}: {', '.join(sorted(unknown))} not modelled")
    for key in res.schema.get("x-unique-together", []):
        if len(key) != 2:
            raise Fallback(f"{res.name}: x-unique-together of {len(key)} fields")


def check_resource(res: Resource) -> None:
    """Raise Fallback unless every check of the resource is modelled exactly."""
    if len(res.primary_key) != 1:
        raise Fallback(f"{res.name} has a composite primary key")
    if res.schema.get("missingValues", [""]) != [""]:
        raise Fallback(f"{res.name} has other missing values")
    for f in res.fields:
        check_field(res, f)
    for fk in res.schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        if len(fields) != 1:
            raise Fallback(f"{res.name}: composite foreign key")
    check_rules(res)


def standard_dialect(path: Path) -> None:
    """Raise Fallback unless frictionless would read the file as plain comma-separated CSV.

    Frictionless sniffs the dialect from the first 100 lines (formats/csv/parser.py);
    the same sniff is repeated here so both read the same cells.
    """
    with path.open("rb") as fb:
        head = fb.read(3)
    if head.startswith(b"\xef\xbb\xbf"):
        raise Fallback(f"{path.name} starts with a byte-order mark")
    sample = []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for line in f:
                sample.append(line)
                if len(sample) >= 100:
                    break
    except UnicodeDecodeError as e:
        raise Fallback(f"{path.name}: {e}") from e
    try:
        config = csv.Sniffer().sniff("".join(sample), ",\t;|")
    except csv.Error:
        return  # frictionless falls back to the excel dialect: the standard one
    quote = '"' if config.quotechar == "'" else config.quotechar
    if config.delimiter != "," or quote != '"' or config.skipinitialspace or config.escapechar:
        raise Fallback(f"{path.name} is not read as plain comma-separated CSV")
