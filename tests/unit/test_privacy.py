"""The privacy gate (issue 4): email addresses, UK phone numbers, NHS numbers (with the
modulus-11 check), National Insurance numbers, full postcodes and dates of birth are found in free text,
and refused both by `make append` (tests/test_append.py) and by `make validate`; ordinary
text of the register (dates, section numbers, counts, partial postcodes) is not."""

from __future__ import annotations

import csv

import pytest

from register.checks import privacy
from register.checks.validate import main as validate_main

FOUND = [
    ("Email jo.bloggs@example.org for details", "an email address", "jo.bloggs@example.org"),
    ("Contact A.B@NHS.NET", "an email address", "A.B@NHS.NET"),
    ("Ring 0115 883 9000 today", "a UK phone number", "0115 883 9000"),
    ("call +44 (0)115 883 9000", "a UK phone number", "+44 (0)115 883 9000"),
    ("or 0044 115 883 9000 from abroad", "a UK phone number", "0044 115 883 9000"),
    ("mobile 07700900123", "a UK phone number", "07700900123"),
    ("(0115) 8839000", "a UK phone number", "(0115) 8839000"),
    ("Sam (07700 900123) led it", "a UK phone number", "07700 900123"),
    ("call 0115 883 9000.", "a UK phone number", "0115 883 9000"),
    ("NHS number 943 476 5919", "an NHS number", "943 476 5919"),
    ("nhs no: 943-476-5919", "an NHS number", "943-476-5919"),
    ("ref 9434765919", "an NHS number", "9434765919"),
    # Said to be an NHS number, refused though a digit is wrong (the check fails).
    ("NHS number 943 476 5918", "an NHS number", "943 476 5918"),
    ("her NHS No. 9434765918 was read out", "an NHS number", "9434765918"),
    ("nhs#: 943-476-5918", "an NHS number", "943-476-5918"),
    ("NHS number 012 345 6789", "an NHS number", "012 345 6789"),  # not also a phone number
    # ... as people write it: with "is" or "was", in brackets, in the plural, hyphenated.
    ("her NHS number is 943 476 5918", "an NHS number", "943 476 5918"),
    ("NHS number was 9434765918", "an NHS number", "9434765918"),
    ("NHS number (943 476 5918)", "an NHS number", "943 476 5918"),
    ("NHS numbers: 9434765918", "an NHS number", "9434765918"),
    ("NHS nos. 943-476-5918", "an NHS number", "943-476-5918"),
    ("NHS-number 9434765918", "an NHS number", "9434765918"),
    ("NI number AB 12 34 56 C", "a National Insurance number", "AB 12 34 56 C"),
    ("ni ab123456c", "a National Insurance number", "ab123456c"),
    ("lives at NG9 2FD", "a full postcode", "NG9 2FD"),
    ("sw1a1aa", "a full postcode", "sw1a1aa"),
    ("Mum (DOB 12/03/1965) said", "a date of birth", "DOB 12/03/1965"),
    ("d.o.b. 12.3.65", "a date of birth", "d.o.b. 12.3.65"),
    ("Date of birth: 1965-03-12", "a date of birth", "Date of birth: 1965-03-12"),
    ("she was born on 3rd May 1941", "a date of birth", "born on 3rd May 1941"),
    ("DOB 12 / 03 / 1965", "a date of birth", "DOB 12 / 03 / 1965"),
]

NOT_FOUND = [
    "Held on 2024-08-06 from 1pm to 3.30pm",
    "Action plan 8.1 to 8.8; Appendix 1; 5.1; 8.2",
    "100 people with lived experience and 12 staff",
    "A meeting in Beeston (NG9) and Mansfield (NG18)",
    "ref 9434765918",  # ten digits failing the NHS modulus-11 check, not said to be one
    "NHS nominated 1234567890 pence",  # "no" must be a word
    "NHS numbers rose by 1234567890 pence",  # a figure about NHS numbers, not one
    "NHS is 1234567890 pence short",
    "NHS nosocomial 1234567890",
    "QQ 12 34 56 C",  # QQ is never issued as a National Insurance prefix
    "the budget was 1234567890 pence",
    "write to the co-production team",
    "jane@example",  # no domain: not an address anyone can write to
    "the service was born in 1965",  # a year alone is no one's date of birth
    "stubborn 12/03/2024 delays",
]


@pytest.mark.parametrize("text,kind,found", FOUND, ids=[f[0] for f in FOUND])
def test_personal_data_is_found(text, kind, found):
    assert (kind, found) in privacy.findings(text)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_ordinary_text_is_not_flagged(text):
    assert privacy.findings(text) == []


# Copied from a web page, an email or Word, a number or an address can carry characters
# that show as nothing, or a dash that is not "-": it reads, and is published, as it was.
AS_READ = [
    ("Ring 07700\u200b900123", "a UK phone number", "07700900123"),  # zero-width space
    ("Ring 0770\u200d0\u2060900123", "a UK phone number", "07700900123"),  # joiner, word joiner
    ("Ring 07700\u00ad900123", "a UK phone number", "07700900123"),  # soft hyphen
    ("Ring 07700 \u2013 900123", "a UK phone number", "07700 - 900123"),  # Word's en dash
    ("Ring 07700\u2011900123", "a UK phone number", "07700-900123"),  # non-breaking hyphen
    ("Ring \uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13", "a UK phone number", "07700 900123"),
    ("NHS 943\u200b476\u200b5919", "an NHS number", "9434765919"),
    ("NHS 943\u2013476\u20135919", "an NHS number", "943-476-5919"),
    ("Email jo\ufeff@example.org", "an email address", "jo@example.org"),
    ("Email jo@exam\u200bple.org", "an email address", "jo@example.org"),
    ("lives at NG9\u200b2FD", "a full postcode", "NG92FD"),
]


@pytest.mark.parametrize("text,kind,found", AS_READ, ids=[repr(f[0]) for f in AS_READ])
def test_personal_data_is_found_as_it_reads(text, kind, found):
    assert (kind, found) in privacy.findings(text)


# A postcode or an NHS number pasted from an email signature, Word or a form: a
# non-breaking space, a tab or two spaces where one would be typed. Each was published.
SPACED = [
    ("lives at NG1\u00a05DT", "a full postcode", "NG1\u00a05DT"),
    ("lives at NG1  5DT", "a full postcode", "NG1  5DT"),
    ("postcode\tNG1\t5DT", "a full postcode", "NG1\t5DT"),
    ("NHS number 943  476  5919", "an NHS number", "943  476  5919"),
    ("NHS number 943\u00a0476\u00a05919", "an NHS number", "943\u00a0476\u00a05919"),
]


@pytest.mark.parametrize("text,kind,found", SPACED, ids=[repr(f[0]) for f in SPACED])
def test_personal_data_is_found_whatever_the_spaces(text, kind, found):
    assert (kind, found) in privacy.findings(text)


def test_dashes_and_other_digits_alone_are_not_personal_data():
    assert privacy.findings("Held 2024\u20132025, on 6\u20138 August, in caf\u00e9s \u2014 12 of them") == []


def test_nhs_number_check_digit():
    assert privacy.nhs_number_valid("9434765919")
    assert not privacy.nhs_number_valid("9434765918")
    assert not privacy.nhs_number_valid("943476591")
    # Nine digits whose check digit would be 10 make an invalid number, whatever comes last.
    invalid_ten = next(
        d
        for d in (f"{n:09d}" for n in range(100000000, 100001000))
        if 11 - sum(int(c) * w for c, w in zip(d, range(10, 1, -1))) % 11 == 10
    )
    assert not any(privacy.nhs_number_valid(invalid_ten + str(k)) for k in range(10))
    # A weighted sum divisible by 11 gives the check digit 0 (11 - 0 = 11, written as 0).
    assert privacy.nhs_number_valid("4000000020")
    assert [privacy.nhs_number_valid(f"400000002{k}") for k in range(10)] == [True] + [False] * 9
    assert privacy.findings("ref 400 000 0020")


def test_only_free_text_fields_are_checked(package):
    fields = {f.name for f in privacy.checked_fields(package.resource("coproduction_log"))}
    assert {"description", "what_changed", "title", "accessibility_measures"} <= fields
    assert not fields & {"id", "project_id", "gate", "groups", "activity_date", "lived_experience_count"}


def test_validate_refuses_personal_data_already_in_datasets(repo, capsys):
    """`make validate` runs the same gate over everything in datasets/."""
    path = repo / "datasets" / "you_said_we_did.csv"
    with path.open(newline="", encoding="utf-8") as f:
        data = list(csv.DictReader(f))
    data[0]["you_said"] = "Phone me on 07700 900123 about this"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(data[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(data)
    assert validate_main(["--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert (
        "datasets/you_said_we_did.csv, row 2, field you_said: You said contains a UK phone number; personal "
        "data must not be published. Remove or reword '07700 900123'"
    ) in err


def test_a_labelled_nhs_number_is_reported_once_and_not_as_a_phone_number():
    assert privacy.findings("NHS number 943 476 5919") == [("an NHS number", "943 476 5919")]
    assert privacy.findings("NHS no 0123456789") == [("an NHS number", "0123456789")]
