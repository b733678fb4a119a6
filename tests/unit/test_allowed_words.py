"""What a valid value looks like, as staff read it in every refusal, in `make add` and in
the data dictionary: in words, never a regular expression, for every pattern the
standard's schemas use."""

from __future__ import annotations

import re

import pytest

from register.schema.package import PATTERN_WORDS, Package

PACKAGE = Package()
PATTERNED = [
    (res.name, f) for res in PACKAGE.resources for f in res.fields if f.constraints.get("pattern") and not f.list_of
]


@pytest.mark.parametrize("field", [f for _, f in PATTERNED], ids=[f"{r}.{f.name}" for r, f in PATTERNED])
def test_every_pattern_of_the_standard_is_said_in_words(field):
    words = field.allowed(PACKAGE)
    assert "pattern" not in words and "^" not in words, words


def test_a_date_pattern_is_not_read_as_an_identifier():
    published = PACKAGE.resource("sources").field("published")
    assert published.allowed(PACKAGE) == "a year, a year and month, or a date, such as 2024, 2024-08 or 2024-08-06"
    assert PACKAGE.resource("projects").field("id").allowed(PACKAGE).startswith("an identifier like PRJ-0001")


def test_the_words_describe_what_their_pattern_accepts():
    examples = {
        "^[a-z0-9_]+$": ("nn_icb_2025", "NN-ICB"),
        "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$": ("2024-08", "Aug 2024"),
        "^https?://[^\\s]+$": ("https://example.org/a", "www.example.org"),
    }
    assert set(examples) == set(PATTERN_WORDS)
    for pattern, (good, bad) in examples.items():
        assert re.search(pattern, good) and not re.search(pattern, bad)


def test_a_codelist_with_no_codes_yet_is_said_to_have_none(repo):
    # A new publisher empties organisations, places and groups before adding its own: what
    # is allowed meanwhile is said, not "one of the codes in places: " with nothing after.
    for name in ("places", "groups"):
        path = repo / "datasets" / "codelists" / f"{name}.csv"
        path.write_text(path.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    package = Package(repo)
    place = package.resource("projects").field("place")
    assert place.allowed(package) == (
        "one of the codes in places, which has none yet (add them to datasets/codelists/places.csv first)"
    )
    assert place.allowed(package, published=True) == "one of the codes in places, which has none yet"
    groups = package.resource("coproduction_log").field("groups")
    assert groups.allowed(package).startswith("codes from groups separated by semicolons, which has none yet")
    assert PACKAGE.resource("projects").field("place").allowed(PACKAGE).startswith("one of the codes in places: ")
