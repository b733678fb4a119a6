"""Words that agree with a count, for the site's sentences and the report's alike."""

from __future__ import annotations


def agree(n, one: str, many: str) -> str:
    """The word that agrees with a count: "1 of 10 projects has", "2 of 10 projects have"."""
    return one if int(n or 0) == 1 else many
