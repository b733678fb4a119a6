"""What the docs say is in an output, or where a thing is defined, agrees with the code.

(tests/unit/test_docs.py checks that what the docs cite exists; these check what they
say of it.)
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def text(path: str) -> str:
    return (ROOT / path).read_text("utf-8")


def test_report_md_names_every_section_of_the_report_in_order():
    """docs/report.md's "What is in it" lists the report's sections, as the notebook's
    headings name them (a heading may say more after the name: "Balance: people ...")."""
    headings = re.findall(r"^# ## (.+)$", text("notebooks/impact_report.py"), re.M)
    assert len(headings) >= 8
    listed = text("docs/report.md").split("## What is in it", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^- \*\*(.+?)\*\*", listed, re.M)
    unnamed = [h for h in headings if not any(h.startswith(n) for n in names)]
    assert not unnamed, f"docs/report.md's 'What is in it' does not name these sections: {unnamed}"
    order = [next(n for n in names if h.startswith(n)) for h in headings]
    assert order == names, "docs/report.md lists the report's sections in another order than the report"
