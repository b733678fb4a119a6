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


DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
# "(`citation` in `src/register/site/releases.py`)": a name and the module it is in.
NAME_IN_MODULE = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?` in `((?:src/)?register/[\w/]+\.py)`")


def defines(source: str, name: str) -> bool:
    """The module defines `name` (a function, a class or an assignment, at any depth; for
    "Class.method", the method): not merely imports it."""
    last = name.split(".")[-1]
    return bool(
        re.search(rf"^\s*(?:async def|def|class) {re.escape(last)}\b|^{re.escape(last)}\b[^=\n]*=", source, re.M)
    )


def test_a_name_the_docs_place_in_a_module_is_defined_there():
    assert defines("from x import y\ndef neutralise(text):\n", "neutralise")
    assert not defines("from register.util.spreadsheet_safety import neutralise\n", "neutralise")
    cited = {
        (doc.name, name, path)
        for doc in DOCS
        for name, path in NAME_IN_MODULE.findall(" ".join(doc.read_text("utf-8").split()))
    }
    assert len(cited) >= 3
    wrong = sorted(
        f"{doc}: `{name}` in `{path}`"
        for doc, name, path in cited
        if not defines((ROOT / ("" if path.startswith("src/") else "src/") / path).read_text("utf-8"), name)
    )
    assert not wrong, f"the docs place these where they are not defined: {wrong}"


def test_the_longest_texts_the_staff_guide_gives_are_the_schemas():
    """ "200 characters for titles" was said while a source's title may have 300."""
    import json

    said = " ".join(text("docs/staff-guide.md").split())
    m = re.search(r"\((\d+) characters for a title, (\d+) for a source's title, ([\d,]+) for a description", said)
    assert m, "docs/staff-guide.md no longer says the longest texts allowed"
    title, source_title, free_text = int(m[1]), int(m[2]), int(m[3].replace(",", ""))
    longest: dict[str, set[int]] = {"title": set(), "source title": set(), "free text": set()}
    for path in (ROOT / "schemas").glob("*.json"):
        for field in json.loads(path.read_text("utf-8")).get("fields", []):
            n = field.get("constraints", {}).get("maxLength")
            if n is None or field.get("format") == "uri" or field["name"] == "url":
                continue
            if field["name"] == "title":
                longest["source title" if path.name == "sources.json" else "title"].add(n)
            elif n >= 1000:
                longest["free text"].add(n)
    assert longest == {"title": {title}, "source title": {source_title}, "free text": {free_text}}
