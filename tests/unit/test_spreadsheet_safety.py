"""A row's cells are neutralised by the same rule as one cell (register/util/spreadsheet_safety.py)."""

from __future__ import annotations

from register.util.spreadsheet_safety import FORMULA_TRIGGERS, neutralise, neutralise_row


def test_a_row_is_neutralised_cell_by_cell_as_one_cell_is():
    cells = [f"{t}cmd|' /C calc'!A0" for t in FORMULA_TRIGGERS] + ["", "plain", "a=b", 3, -4.5, None, b"=x"]
    assert neutralise_row(cells) == [neutralise(c) if isinstance(c, str) else c for c in cells]
    assert neutralise_row(["=1+1", 7]) == ["'=1+1", 7]
