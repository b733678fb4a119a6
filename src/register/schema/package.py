"""The data package as the one source of truth: resources, their schemas and codelists.

Every other module (validate, build, metadata, append, extracts) asks this one what a
field is, so that a field's name, type, codes, title and description live only in its
Table Schema.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from register import settings
from register.util.clock import local_today
from register.util.text import printable, shell_word

ROOT = settings.ROOT

# The resources staff add records to, in the order their foreign keys need.
MAIN_RESOURCES = (
    "projects",
    "coproduction_log",
    "equality_impacts",
    "you_said_we_did",
    "you_said_we_did_updates",
)

SQLITE_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "datetime": "TEXT",
    "year": "INTEGER",
}
# The integers SQLite holds (64-bit): a schema's maximum is at most SQLITE_MAX_INTEGER.
SQLITE_MAX_INTEGER = 2**63 - 1
SQLITE_MIN_INTEGER = -(2**63)


@dataclass
class Field:
    descriptor: dict
    resource: Resource

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def type(self) -> str:
        return self.descriptor.get("type", "string")

    @property
    def title(self) -> str:
        return self.descriptor.get("title", self.name)

    @property
    def description(self) -> str:
        return self.descriptor.get("description", "")

    @property
    def constraints(self) -> dict:
        return self.descriptor.get("constraints", {})

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required")) or self.name in self.resource.primary_key

    @property
    def free_text(self) -> bool:
        return bool(self.descriptor.get("x-free-text"))

    @property
    def list_of(self) -> str | None:
        """Codelist whose codes this field holds as a semicolon-separated list."""
        return self.descriptor.get("x-list-of")

    @property
    def reference(self) -> tuple[str, str] | None:
        """(resource, field) this field points at through a single-field foreign key."""
        for fk in self.resource.schema.get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            if fields == [self.name]:
                ref = fk["reference"]
                ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
                return ref["resource"], ref_fields[0]
        return None

    @property
    def sqlite_type(self) -> str:
        return SQLITE_TYPES[self.type]

    @property
    def true_values(self) -> list[str]:
        return self.descriptor.get("trueValues", ["true", "True", "TRUE", "1"])

    @property
    def false_values(self) -> list[str]:
        return self.descriptor.get("falseValues", ["false", "False", "FALSE", "0"])

    def convert(self, text: str | None):
        """Typed value of a CSV cell already validated against the schema; None if empty."""
        if text is None or text == "":
            return None
        if self.type == "integer":
            value = int(text)
            # Beyond SQLite's range only when the schema sets no maximum: kept as text
            # rather than crash the build (the fast path stores the same).
            return value if SQLITE_MIN_INTEGER <= value <= SQLITE_MAX_INTEGER else text
        if self.type == "number":
            return float(text)
        if self.type == "boolean":
            return 1 if text in self.true_values else 0
        return text

    def allowed(self, package: Package, published: bool = False) -> str:
        """What a valid value looks like, in words a member of staff can act on; published:
        as the register's files hold it (the data dictionary), without what staff may type
        in its place (a blank identifier, yes or no)."""
        ref = self.reference
        if ref and package.is_codelist(ref[0]):
            return f"one of the codes in {ref[0]}{listed_codes(package, ref[0], published)}"
        if ref:
            return f"the id of an existing row of {ref[0]}"
        if self.list_of:
            return f"codes from {self.list_of} separated by semicolons{listed_codes(package, self.list_of, published)}"
        pattern = self.constraints.get("pattern")
        identifier = re.match(r"^\^([A-Z]+)-\[0-9\]", pattern or "")
        if identifier:
            given = "" if published else " (or leave blank to have one given)"
            return f"an identifier like {identifier.group(1)}-0001{given}"
        words = {
            "date": "a date written YYYY-MM-DD, for example 2024-08-06",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false" if published else "true or false (yes or no)",
        }.get(self.type, "text")
        low, high = self.constraints.get("minimum"), self.constraints.get("maximum")
        if self.type == "integer" and low is not None and high is not None:
            words = f"a whole number from {low:,} to {high:,}"
        elif self.type == "integer" and low is not None:
            words = f"a whole number of at least {low:,}"
        elif self.type == "integer" and high is not None:
            words = f"a whole number of at most {high:,}"
        longest = self.constraints.get("maxLength")
        if pattern and self.type == "string" and not self.list_of:
            words = pattern_words(pattern) + (f", at most {longest} characters" if longest else "")
        elif longest:
            words += f" of at most {longest} characters"
        return words


# The patterns of the standard's schemas, in words staff can act on; a test holds every
# pattern the schemas use to having its words here. Any other is quoted as it is.
PATTERN_WORDS = {
    "^[a-z0-9_]+$": "a code: lower-case letters, digits and underscores",
    "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$": "a year, a year and month, or a date, such as 2024, 2024-08 or 2024-08-06",
    "^https?://[^\\s]+$": "a web address starting http:// or https://, with no spaces",
}


def pattern_words(pattern: str) -> str:
    choices = re.fullmatch(r"\^\(([a-z0-9_|]+)\)\$", pattern)
    if choices:
        return "one of: " + ", ".join(choices.group(1).split("|"))
    return PATTERN_WORDS.get(pattern, f"text matching the pattern {pattern}")


@dataclass
class Resource:
    descriptor: dict
    package: Package
    schema: dict = field(init=False)

    def __post_init__(self):
        self.schema = json.loads((self.package.root / self.descriptor["schema"]).read_text("utf-8"))

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def title(self) -> str:
        return self.descriptor.get("title") or self.schema.get("title") or self.name

    @property
    def description(self) -> str:
        return self.descriptor.get("description") or self.schema.get("description", "")

    @property
    def path(self) -> Path:
        return self.package.root / self.descriptor["path"]

    @property
    def schema_path(self) -> str:
        return self.descriptor["schema"]

    @property
    def publishers_own(self) -> bool:
        """Records a publisher owns: a resource with a schema of its own (schemas/<name>.json,
        the layout register.schema.datapackage derives). The rest are codelists, the
        standard's shared vocabulary."""
        return self.schema_path == f"schemas/{self.name}.json"

    @cached_property
    def fields(self) -> list[Field]:
        return [Field(f, self) for f in self.schema["fields"]]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey", [])
        return pk if isinstance(pk, list) else [pk]

    @property
    def id_prefix(self) -> str | None:
        """'PRJ' for ids like PRJ-0001: the prefix used to generate blank identifiers."""
        if len(self.primary_key) != 1:
            return None
        m = re.match(r"^\^([A-Z]+)-", self.field(self.primary_key[0]).constraints.get("pattern", ""))
        return m.group(1) if m else None


class DescriptorError(ValueError):
    """datapackage.json is not JSON: a mistake made editing it by hand, said as such."""

    said_plainly = True  # register/util/guard.py: not "Something went wrong ... Please report this"


def read_descriptor(path: Path) -> dict:
    """A datapackage.json, or DescriptorError saying where its JSON goes wrong."""
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as e:
        raise DescriptorError(
            f"{path} is not valid JSON: {e.msg.lower()} at line {e.lineno}, column {e.colno} (a comma or a "
            f"quote left out or added, there or just before, when it was edited by hand). Correct it and run "
            f"the command again"
        ) from None


class Package:
    def __init__(self, root: Path | str = ROOT):
        self.root = Path(root).absolute()
        self.descriptor_path = self.root / "datapackage.json"
        self.descriptor = read_descriptor(self.descriptor_path)
        self.resources = [Resource(r, self) for r in self.descriptor["resources"]]
        self._codes: dict[str, list[str]] = {}

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(f"no resource called {name!r}; resources are: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.resources]

    def is_codelist(self, name: str) -> bool:
        r = self.resource(name)
        return r.primary_key == ["code"]

    def codes(self, name: str) -> list[str]:
        """The codes of a codelist, read from its CSV (cached)."""
        if name not in self._codes:
            with self.resource(name).path.open(newline="", encoding="utf-8") as f:
                self._codes[name] = [row["code"] for row in csv.DictReader(f)]
        return self._codes[name]


def listed_codes(package: Package, codelist: str, published: bool = False) -> str:
    """': code, code, ...' after the words naming a codelist; when it has no codes yet (a new
    publisher's organisations, places or groups), that it has none, and for staff where they
    are added, rather than a colon followed by nothing."""
    codes = package.codes(codelist)
    if codes:
        return f": {', '.join(codes)}"
    if published:
        return ", which has none yet"
    path = package.resource(codelist).path
    where = path.relative_to(package.root).as_posix() if path.is_relative_to(package.root) else path.name
    return f", which has none yet (add them to {where} first)"


def today() -> _dt.date:
    """Today's date in England (register/util/clock.py); REGISTER_TODAY overrides it so
    tests about 'the future' are stable."""
    fixed = settings.TODAY.raw().strip()
    if not fixed:
        return local_today()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", fixed):
            return _dt.date.fromisoformat(fixed)
    except ValueError:
        pass
    raise SystemExit(
        f"{settings.TODAY.name}={fixed!r} is not a date written YYYY-MM-DD (for example 2026-04-01): "
        "set it to one, or leave it empty for the real date (see docs/settings.md)."
    )


def command(package: Package, make: str) -> str:
    """A `make ...` command to type next, for the register this command worked on: with its
    ROOT= when that is another copy, so that following it never changes this one instead."""
    if package.root.resolve() == settings.ROOT.resolve():
        return make
    return f"{make} ROOT={shell_word(str(package.root))}"


def not_a_register(root: str) -> str | None:
    """Why ROOT= is not a copy of the register, said to the person who typed it, or None:
    one sentence, rather than a missing-file error about its datapackage.json."""
    path = Path(root).expanduser()
    if (path / "datapackage.json").is_file():
        return None
    where = "does not exist" if not path.exists() else "has no datapackage.json"
    return (
        f"ROOT={printable(root)} is not a copy of the register: that folder {where}. Leave ROOT= out to work on "
        "this one, or give a register's folder: the one holding its datapackage.json."
    )
