"""New values as staff type them, made into what the register stores, then checked by
the one row checker (register/checks/codegen.py) that `make validate` and `make build`
use, so every path refuses the same values in the same words.

Staff may type a date as 06/08/2024 (day first, as UK Excel writes dates in a CSV), a
code by its title ("In person" for in_person), yes or no for a boolean, and codes of a
list separated by commas. The register is a little stricter than its schemas where
staff input is concerned: whole numbers in ASCII digits only, no formulas, no control
characters.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import replace

from register.checks import messages
from register.checks.cells import whole_number
from register.checks.codegen import RowChecker, check_rows
from register.checks.problems import Problem
from register.checks.rules import independent_partners
from register.schema.package import Field, Package, Resource, today
from register.staff.batch import Batch
from register.staff.input_file import INVISIBLE

DATE_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
DATE_UK = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
# A date with a midnight time, as Excel writes a date-time cell to a CSV (in a UK
# setting, 06/08/2024 00:00).
DATE_TIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})[ T]00:00(:00)?$")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
# A whole number with commas between thousands, as Excel writes a cell formatted with a
# thousands separator to a CSV ("1,234"), and as the register itself writes its limits.
GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+$")
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}
# Text a spreadsheet would run as a formula when the register's data is opened in one.
# Includes the DDE form (+cmd|' /C calc'!A0), which needs no brackets.
FORMULA = re.compile(r"^(?:=|[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*(?:\(|\|))")
# What Excel and LibreOffice Calc show, and write to a CSV, in place of a value when a
# formula fails (#N/A, #REF!, Err:502): never a value to publish.
SPREADSHEET_ERROR = re.compile(
    r"#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)"
    r"|Err:[0-9]{3}",
    re.IGNORECASE,
)
# Spaces and invisible characters that come with text copied from a web page, an email or
# Word: a non-breaking space in "In person", a zero-width space after PRJ-0002. They
# look like nothing, so a code or an identifier holding one would be refused in words
# nobody could act on: in those fields they are made plain spaces, or removed.
ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The dates staff may type (normalise_date); datasets/ itself holds YYYY-MM-DD only.
STAFF_DATES = "a date written YYYY-MM-DD or DD/MM/YYYY, for example 2024-08-06 or 06/08/2024"


# A record offered by its title in a template's drop-down: "PRJ-0002 — Co-production
# Strategy refresh". The id is what is stored; the rest is only shown.
LABEL_SEP = " — "
LABEL_FIELDS = ("title", "you_said", "description")
LABEL_CHARS = 70


def record_title(row: dict) -> str:
    """What a record is called: its title, or what was said, or its description."""
    return " ".join(next((row[k] for k in LABEL_FIELDS if row.get(k)), "").split())


def record_label(row: dict, key: str = "id") -> str:
    """A record's id with its (shortened) title, as drop-downs show it."""
    title = record_title(row)
    if len(title) > LABEL_CHARS:
        title = title[: LABEL_CHARS - 1] + "…"
    return f"{row[key]}{LABEL_SEP}{title}" if title else row[key]


# Beyond this a maximum is the database's limit, not a rule anyone would type against.
NO_REAL_MAXIMUM = 2**53
# The pattern of codes (sources, code lists), in words.
CODE_PATTERN = "^[a-z0-9_]+$"
CODE_WORDS = "a short code of lower-case letters, digits and underscores, for example my_review_2026"


def maybe_partial_date(f: Field) -> bool:
    """A date kept as text because it may be partial (a source's `published`: 2018,
    2018-01 or 2018-01-19): its pattern takes a whole date. Staff type its whole dates as
    they type the others."""
    pattern = f.constraints.get("pattern")
    return f.type == "string" and bool(pattern) and re.fullmatch(pattern, "2024-08-06") is not None


def allowed(package: Package, f: Field) -> str:
    """What staff may type in a field: the schema's words, with the date forms they may
    use, and plain words where the schema's would be a pattern or a 19-digit number."""
    if f.type == "date":
        return STAFF_DATES
    low, high = f.constraints.get("minimum"), f.constraints.get("maximum")
    if f.type == "integer" and low is not None and high is not None and high >= NO_REAL_MAXIMUM:
        return f"a whole number, {low:,} or more"
    if f.type == "string" and f.constraints.get("pattern") == CODE_PATTERN:
        return CODE_WORDS
    if f.descriptor.get("x-independent-partner"):  # not every organisation: the ones that may judge
        ref = f.reference[0] if f.reference else "organisations"
        partners = [code for code, independent in independent_partners(package).items() if independent]
        return f"the code of an independent partner in {ref}: {', '.join(partners)}"
    if maybe_partial_date(f):
        return f"{f.allowed(package)} (a full date may also be written DD/MM/YYYY, such as 06/08/2024)"
    return f.allowed(package)


class Codes:
    """The codes of every codelist, with titles, so a code may also be typed by its
    name ('In person' for in_person) or in another case."""

    def __init__(self, package: Package):
        self.package = package
        self._lists: dict[str, dict[str, str]] = {}
        self._titles: dict[str, dict[str, str]] = {}

    def titles(self, codelist: str) -> dict[str, str]:
        """code -> title, in the codelist's order."""
        if codelist not in self._titles:
            with self.package.resource(codelist).path.open(newline="", encoding="utf-8-sig") as f:
                self._titles[codelist] = {r["code"]: r.get("title") or r["code"] for r in csv.DictReader(f)}
        return self._titles[codelist]

    def lookup(self, codelist: str) -> dict[str, str]:
        """lower-cased code or title -> code."""
        if codelist not in self._lists:
            table: dict[str, str] = {}
            titles = self.titles(codelist)
            for code, title in titles.items():
                table.setdefault(title.strip().lower(), code)
            for code in titles:
                table[code.lower()] = code
            self._lists[codelist] = table
        return self._lists[codelist]

    def normalise(self, codelist: str, text: str) -> str | None:
        return self.lookup(codelist).get(text.strip().lower())

    def offered(self, f: Field, codelist: str) -> dict[str, str]:
        """The codes a field's pick list or drop-down offers: its codelist's, less those
        its rules refuse (a partner's verdict is given only by an independent partner)."""
        titles = self.titles(codelist)
        if f.descriptor.get("x-independent-partner"):
            partners = independent_partners(self.package)
            return {code: title for code, title in titles.items() if partners.get(code)}
        return titles


def codelist_of(package: Package, f: Field) -> str | None:
    ref = f.reference
    if ref and package.is_codelist(ref[0]):
        return ref[0]
    return None


DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))


def is_prose(f: Field) -> bool:
    """Text as people write it (kept as typed), not a code, an identifier, a date, a
    number or yes/no."""
    return f.type == "string" and not (f.reference or f.list_of or {"pattern", "enum"} & f.constraints.keys())


def normalise(codes: Codes, f: Field, text: str) -> tuple[str, list[str]]:
    """(the value as stored, messages for what the register refuses before any check)."""
    value = text.replace("\r\n", "\n").replace("\r", "\n")
    if not is_prose(f):
        value = ODD_SPACES.sub(" ", value.translate(DROP_INVISIBLE))
    value = value.strip().strip(INVISIBLE).strip()
    if not value:
        return "", []
    if FORMULA.match(value):
        return value, [messages.formula(f, value[0])]
    if SPREADSHEET_ERROR.fullmatch(value):
        return value, [messages.spreadsheet_error(f, value)]
    control = CONTROL.search(value)
    if control:
        return value, [messages.control_character(f, control.group(0), control.start() + 1)]
    if f.type == "date":
        date = normalise_date(value)
        if date is None:
            return value, [messages.not_of_type(f, value)]
        value = date
    elif maybe_partial_date(f) and not re.fullmatch(f.constraints["pattern"], value):
        value = normalise_date(value) or value  # 19/01/2018 typed as the other dates are
    elif f.type == "integer":
        if GROUPED.match(value):
            value = value.replace(",", "")
        if not INTEGER.match(value):
            return value, [messages.not_of_type(f, value)]
        number = whole_number(value)
        value = value if number is None else str(number)
    elif f.type == "boolean":
        word = value.lower()
        if word in TRUE_WORDS:
            value = "true" if "true" in f.true_values else f.true_values[0]
        elif word in FALSE_WORDS:
            value = "false" if "false" in f.false_values else f.false_values[0]
    if f.list_of:
        # Codes may be typed by name or separated by commas; unknown ones are kept as
        # typed, one per item, for the checker to report each by name.
        items = []
        for p in (p.strip() for p in re.split(r"[;,]", value)):
            code = codes.normalise(f.list_of, p) or p if p else None
            if code and code not in items:
                items.append(code)
        value = ";".join(items)
    cl = codelist_of(f.resource.package, f)
    if cl:
        value = codes.normalise(cl, value) or value
    elif f.reference:
        if LABEL_SEP in value:
            value = value.split(LABEL_SEP, 1)[0].strip()
        value = id_in_capitals(f.resource.package.resource(f.reference[0]).id_prefix, value)
    elif f.resource.id_prefix and f.resource.primary_key == [f.name]:  # the record's own id, as its references
        value = id_in_capitals(f.resource.id_prefix, value)
    return value, []


def id_in_capitals(prefix: str | None, value: str) -> str:
    """prj-0002 as PRJ-0002: a record's id typed in small letters points at the same record."""
    if prefix and value[: len(prefix) + 1].upper() == prefix + "-":
        return prefix + value[len(prefix) :]
    return value


def normalise_date(value: str) -> str | None:
    """YYYY-MM-DD from 2024-08-06, 2024-8-6, 06/08/2024 (day first, as UK Excel writes
    dates in a CSV) or either at midnight (2024-08-06 00:00:00, 06/08/2024 00:00), as
    Excel writes a date-time; None when it is not a date."""
    m = DATE_TIME.match(value)
    if m:
        value = m.group(1)
    m = DATE_ISO.match(value)
    if m:
        y, mo, d = m.groups()
    else:
        m = DATE_UK.match(value)
        if not m:
            return None
        d, mo, y = m.groups()
    try:
        return dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def row_checker(package: Package, res: Resource, file: str, problems: list[Problem], fields=None) -> RowChecker:
    """The one row checker, with codes looked up in the codelists; keys of other
    records are checked against datasets/ (register/staff/identifiers.py)."""

    def keys(parent: str, field: str) -> set[str] | None:
        return set(package.codes(parent)) if package.is_codelist(parent) else None

    return RowChecker(package, res, file, problems, keys, today(), fields)


def check_value(package: Package, codes: Codes, f: Field, text: str) -> tuple[str, list[str]]:
    """(value as stored, problem messages) for one cell on its own, as `make add` asks
    field by field. Empty text is the caller's business (required fields)."""
    value, refused = normalise(codes, f, text)
    if refused or not value:
        return value, refused
    problems: list[Problem] = []
    check_rows(row_checker(package, f.resource, "", problems, [f]), [(None, [value])])
    return value, [p.message for p in problems]


def normalise_cells(package: Package, batch: Batch, codes: Codes) -> None:
    """Every cell made into what the register stores, in place; refusals noted."""
    said = {(p.row, p.field) for p in batch.problems}  # a cell refused already (a formula) is said once
    for number, row in batch.rows:
        for f in batch.resource.fields:
            if f.name in row:
                row[f.name], refused = normalise(codes, f, row[f.name])
                for m in refused if (number, f.name) not in said else ():
                    batch.problems.append(Problem(batch.file, number, f.name, row[f.name], m, allowed(package, f)))


def check_cells(package: Package, batch: Batch) -> None:
    """Every row through the one row checker (after identifiers are given); a cell
    already refused by normalise is not reported twice."""
    res = batch.resource
    refused = {(p.row, p.field) for p in batch.problems}
    found: list[Problem] = []
    names = res.field_names
    check_rows(
        row_checker(package, res, batch.file, found), [(n, [row.get(k, "") for k in names]) for n, row in batch.rows]
    )
    for p in found:  # the schema's words for what is allowed, in the staff's (see allowed())
        if (p.row, p.field) not in refused:
            f = res.field(p.field) if p.field in names else None
            plain = f is not None and p.allowed == f.allowed(package)
            batch.problems.append(replace(p, allowed=allowed(package, f)) if plain else p)
