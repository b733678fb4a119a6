"""The one rule that keeps text from being run as a formula when a CSV is opened in a
spreadsheet (OWASP "CSV injection"): the extracts, the workbook and the site's own CSV
answers all apply it, so a cell reads the same whichever download it came from."""

from __future__ import annotations

# Cells starting with these are run as formulas by spreadsheets (a tab or a carriage
# return can hide a formula after them).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, with a single quote in front."""
    return "'" + text if text and text[0] in FORMULA_TRIGGERS else text
