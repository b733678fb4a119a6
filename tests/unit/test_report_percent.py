"""The impact report's percentages (the loop-closure rate, the share of closed loops a
partner confirms): rounded half up, as a reader works them out from the two counts beside
them, and never 0% of something or 100% of less than everything."""

from fractions import Fraction

import pytest

from register.publishing.reportkit import percent


def by_hand(part: int, whole: int) -> str:
    """The expected words, worked out with exact fractions."""
    share = Fraction(100 * part, whole)
    rounded = int(share + Fraction(1, 2))  # half up
    if part and rounded == 0:
        return "under 1%"
    if part < whole and rounded == 100:
        return "over 99%"
    return f"{rounded}%"


@pytest.mark.parametrize(
    ("part", "whole", "words"),
    [
        (7, 80, "9%"),
        (1, 8, "13%"),  # 12.5: Python's format rounds half to even and said 12%
        (3, 8, "38%"),  # 37.5: said 38% already
        (1, 200, "1%"),  # 0.5: said 0%
        (1, 201, "under 1%"),  # said 0%
        (1, 300, "under 1%"),  # said 0%
        (199, 200, "over 99%"),  # 99.5: said 100%
        (299, 300, "over 99%"),  # said 100%
        (0, 300, "0%"),
        (300, 300, "100%"),
        (0, 0, "no"),
    ],
)
def test_percent(part, whole, words):
    assert percent(part, whole) == words


def test_percent_agrees_with_exact_arithmetic():
    for whole in range(1, 401):
        for part in range(whole + 1):
            assert percent(part, whole) == by_hand(part, whole), (part, whole)
