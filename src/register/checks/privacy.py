"""The privacy gate: no personal data reaches the public register.

Free text is refused if it holds an email address, a UK phone number, an NHS number
(10 digits passing the modulus-11 check, or any 10 digits written after "NHS number" or
"NHS no": one digit mistyped still points at a person), a National Insurance number, a full postcode
or a date of birth (a whole date after "DOB", "date of birth" or "born"). Names cannot
be detected reliably; the schemas have no field for a participant's name, and staff are
recorded by role.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from register.checks import messages
from register.checks.problems import Problem
from register.checks.rules import read_rows
from register.schema.package import Field, Package, Resource

# The look-behind anchors the match at the start of a run of address characters:
# without it the search is quadratic and a 1 MB cell takes an hour.
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 0, +44 or 0044 (optionally then "(0)"), then 9 or 10 more digits with spaces, dots or dashes.
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?44[\s.-]*(?:\(0\)[\s.-]*)?|\(?0)(?:\d[\s.)-]*){9,10}(?!\d)")
# Between the groups of an NHS number or the halves of a postcode: a space of any kind (a
# non-breaking space from Word or an email signature, a tab from a spreadsheet), doubled
# as often as not in a pasted form.
NHS_CANDIDATE = re.compile(r"(?<!\d)(\d{3})(?:\s{0,2}|-)(\d{3})(?:\s{0,2}|-)(\d{4})(?!\d)")
# Ten digits said to be an NHS number ("NHS number:", "NHS no.", "NHS #"), whatever their
# check digit: a number typed with one digit wrong fails the check but is still someone's,
# give or take a digit. Unlabelled, ten digits that fail the check are refused only as
# a phone number (a reference or an amount is not personal data).
# Written as people write it: "NHS number is ...", "NHS numbers: ...", "NHS-number",
# "NHS number (...)".
NHS_LABELLED = re.compile(
    r"\bNHS[\s-]*(?:numbers?|num|nos?\b\.?|#)\s*(?:(?:is|was|were)\b\s*)?[:.=#(-]?\s*"
    r"(\d{3})(?:\s{0,2}|-)(\d{3})(?:\s{0,2}|-)(\d{4})(?!\d)",
    re.IGNORECASE,
)
NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)
POSTCODE = re.compile(
    r"\b(?:GIR\s{0,2}0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]?\s{0,2}[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
# A date of birth: "DOB", "D.O.B.", "date of birth", "birth date" or "born (on)", then a
# whole date (12/03/1965, 12.3.65, 1965-03-12, 12th March 1965, 12 Mar 65). A date on its
# own is an event's date, and a year alone ("born in 1965") does not tell who it is.
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_OF_BIRTH = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)[\s:,=()-]{0,4}"
    r"(?:\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH + r",?\s+(?:\d{4}|\d{2}))(?!\d)",
    re.IGNORECASE,
)

# Every pattern above needs a digit (\d: any Unicode digit) or an @ to match, so text
# with neither is clean and the fast checker does not search it. Declared here, beside
# the patterns, and held to it with generated text by tests/unit/test_privacy_prefilter.py;
# a pattern added above but not here turns the shortcut off (prefilter_safe).
NEED_A_DIGIT_OR_AT = (EMAIL, PHONE, NHS_CANDIDATE, NHS_LABELLED, NINO, POSTCODE, DATE_OF_BIRTH)
# The shortcut: ASCII text is tested for these characters with `in` (about 25 times
# faster than a search), other text with DIGIT_OR_AT.
DIGITS_AND_AT = "@0123456789"
DIGIT_OR_AT = re.compile(r"[\d@]")


def prefilter_safe() -> bool:
    """True when every pattern this module searches with needs a digit or an @."""
    patterns = {v for v in globals().values() if isinstance(v, re.Pattern)} - {DIGIT_OR_AT}
    return bool(patterns) and patterns <= set(NEED_A_DIGIT_OR_AT)


def nhs_number_valid(digits: str) -> bool:
    """The NHS number modulus-11 check digit test."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# What text copied from a web page, an email or Word brings into a number or an address
# without changing how it reads: characters that show as nothing (zero-width spaces and
# joiners, the word joiner, a soft hyphen, a byte-order mark: Unicode's "format"
# characters), dashes other than "-" ("07700 – 900123", as Word writes " - ") and digits of
# other scripts (full-width ０７７００). Searched as they were, "07700\u200b900123" was
# published, though every reader sees a phone number.
DASHES = "\u2212\ufe63\uff0d"  # minus signs; the other dashes are Unicode's Pd


def as_read(text: str) -> str:
    """`text` as a reader sees it: format characters left out, dashes as "-" and digits
    as 0-9. Never adds a digit or an @ (the fast checker's shortcut relies on it)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind == "Cf":
            continue
        if kind == "Nd":
            ch = str(unicodedata.decimal(ch))
        elif kind == "Pd" or ch in DASHES:
            ch = "-"
        out.append(ch)
    return "".join(out)


def findings(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for each piece of personal data in `text`, as it reads
    (as_read): the matched text is given without the characters that show as nothing."""
    text = as_read(text)
    out = [("an email address", m.group(0)) for m in EMAIL.finditer(text)]
    nhs = {m.span(): m.group(0) for m in NHS_CANDIDATE.finditer(text) if nhs_number_valid("".join(m.groups()))}
    for m in NHS_LABELLED.finditer(text):
        nhs.setdefault((m.start(1), m.end(3)), text[m.start(1) : m.end(3)])
    out += [("an NHS number", found) for _, found in sorted(nhs.items())]
    nhs_spans = set(nhs)
    for m in PHONE.finditer(text):
        if not any(a <= m.start() < b for a, b in nhs_spans):
            # Trim what belongs to the sentence, not the number: "call 0115 883 9000." or
            # "(07700 900123)".
            found = m.group(0).strip().rstrip(" .-")
            if found.startswith("(") and found.find(")") == len(found) - 1:
                found = found[1:-1]
            elif found.endswith(")") and "(" not in found:
                found = found[:-1]
            out.append(("a UK phone number", found))
    out += [("a National Insurance number", m.group(0)) for m in NINO.finditer(text)]
    out += [("a full postcode", m.group(0)) for m in POSTCODE.finditer(text)]
    out += [("a date of birth", m.group(0)) for m in DATE_OF_BIRTH.finditer(text)]
    return out


def checked_fields(resource: Resource) -> list[Field]:
    """Text fields people type into: not codes, identifiers or dates."""
    return [
        f
        for f in resource.fields
        if f.type == "string" and not f.reference and not f.list_of and "pattern" not in f.constraints
    ]


def check_rows(
    resource: Resource, rows: Iterable[tuple[int, dict]], file: str, fields: list[Field] | None = None
) -> list[Problem]:
    """Personal data in the rows' text fields. `fields`, when the caller has them, saves
    working out checked_fields again for every row (the fast checker calls this per row)."""
    fields = checked_fields(resource) if fields is None else fields
    problems = []
    for rownum, row in rows:
        for f in fields:
            text = row.get(f.name) or ""
            if len(text) > f.constraints.get("maxLength", len(text)):
                continue  # already refused as too long; no need to scan it
            for kind, found in findings(text):
                message = messages.personal_data(f, kind, found)
                problems.append(Problem(file, rownum, f.name, found, message, messages.NO_PERSONAL_DATA))
    return problems


def check_package(package: Package) -> list[Problem]:

    problems = []
    for res in package.resources:
        if res.path.exists():
            problems += check_rows(res, read_rows(res.path), str(res.path.relative_to(package.root)))
    return problems
