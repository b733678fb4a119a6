"""The fast checker skips the privacy search for text with no digit and no @
(register/checks/privacy.py, NEED_A_DIGIT_OR_AT): that is safe only if no pattern can
match such text. Generated text, with and without those characters, holds it to that."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from register.checks import privacy

WITHOUT_DIGIT_OR_AT = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="@"), max_size=200
)
# Text shaped like what the patterns look for, with the digits and @ taken out.
SHAPED = st.sampled_from(
    [
        "a.b@example.co.uk",
        "0115 883 9000",
        "+44 (0)115 883 9000",
        "943 476 5919",
        "AB 12 34 56 C",
        "NG7 2UH",
        "GIR 0AA",
        "DOB 12/03/1965",
        "born on 3rd May 1941",
    ]
)


@settings(max_examples=300, deadline=None)
@given(WITHOUT_DIGIT_OR_AT, SHAPED, WITHOUT_DIGIT_OR_AT)
def test_no_pattern_matches_text_without_a_digit_or_an_at(before, shaped, after):
    text = before + re.sub(r"[\d@]", "", shaped) + after
    assert privacy.DIGIT_OR_AT.search(text) is None
    for pattern in privacy.NEED_A_DIGIT_OR_AT:
        assert pattern.search(text) is None, (pattern.pattern, text)
    assert privacy.findings(text) == []


def test_the_shaped_text_is_found_with_its_digits():
    """The shapes above are personal data as written: the test above removes something real."""
    for text in ("a.b@example.co.uk", "0115 883 9000", "AB 12 34 56 C", "NG7 2UH"):
        assert privacy.findings(text), text


def test_every_pattern_of_the_gate_is_declared_and_a_new_one_turns_the_shortcut_off(monkeypatch):
    assert privacy.prefilter_safe()
    monkeypatch.setattr(privacy, "NAME", re.compile(r"\bMr [A-Z][a-z]+"), raising=False)
    assert not privacy.prefilter_safe()
