"""The one palette of the register's charts, for the site (Vega-Lite in the browser) and
the report (static SVG), so a colour means the same thing in both.

Every colour has at least 3:1 contrast with a white background (WCAG 2.2, 1.4.11) except
NOT_REACHED, which marks an empty cell, and each chart also carries its figures in a table.
The views in register/database/views.sql write the labels coloured here (for example the
balance of an activity); the labels are named once below so no module spells them again.
"""

from __future__ import annotations

from collections.abc import Iterable

YES = "#00703c"  # good: yes, offered, complete, evidence published
NO = "#b4261a"  # bad: no, missing, staff outnumbered, passed without evidence
UNKNOWN = "#505a5f"  # not recorded
NOT_REACHED = "#b1b4b6"  # not applicable yet
AMBER = "#8a5a00"  # under way

# Categories with no order (organisations, impacts without a colour of their own).
CATEGORY = ["#1d5fa0", "#8a5a00", "#00707a", "#6f3c96", "#0b4f8a", "#505a5f", "#00703c", "#b4261a"]
# Ordered scales (the participation flower), one colour a step.
LEVELS = ["#505a5f", "#8a5a00", "#00707a", "#6f3c96", "#0b4f8a"]

# Labels the views give (register/database/views.sql); matched here, never re-derived.
NOT_RECORDED = "not recorded"
STAFF_OUTNUMBERED = "staff outnumbered people with lived experience"
BALANCED = "balanced"

YES_NO = {"yes": YES, "no": NO, NOT_RECORDED: UNKNOWN}
BALANCE = {BALANCED: YES, STAFF_OUTNUMBERED: NO, NOT_RECORDED: UNKNOWN}
REIMBURSEMENT = {"offered": YES, "not offered": NO, NOT_RECORDED: UNKNOWN}
COVERAGE = {"complete": YES, "missing": NO}
GATE_STATES = {"evidence published": YES, "no evidence": NO, "not reached yet": NOT_REACHED}

# Statuses that close the loop are greens, those still open greys, blues and amber.
CLOSED = [YES, "#00707a", "#0b4f8a"]
OPEN = [UNKNOWN, "#1d5fa0", AMBER, "#6f3c96"]


def status_colours(statuses: Iterable[tuple[str, bool]]) -> dict[str, str]:
    """code -> colour, for (code, closes_loop) in the statuses codelist's order: whether a
    status closes the loop is read from the codelist, not written here."""
    closed, still_open = iter(CLOSED * 4), iter(OPEN * 4)
    return {code: next(closed) if closes else next(still_open) for code, closes in statuses}
