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


def neutralise_row(row) -> list:
    """A row's cells, each text one through `neutralise`'s rule, written out here: a
    call per cell was a fifth of the Python time of a site CSV of 1,000 rows."""
    return ["'" + c if isinstance(c, str) and c and c[0] in FORMULA_TRIGGERS else c for c in row]
