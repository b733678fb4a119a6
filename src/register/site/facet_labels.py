"""Facet values in words: a code as its title, a yes/no column as Yes and No.

Datasette labels a facet's values only through a table's foreign keys, so a view's codes
(the current "You said" view's status, theme and project) and every 0/1 column were shown
raw ("in_progress", "1 73 rows"). A code is titled by the same Linker as the cells of the
page (register/site/links.py), so a value reads the same in the facet as in the table.
The filter each value links to is unchanged: only the words shown are.
"""

from __future__ import annotations

from register.site.filters import yes_no as words_yes_no
from register.site.links import DB, Linker, load_codelists, load_column_targets, project_titles
from register.site.measures import MEASURES

BOOLEAN_VALUES = (0, 1, "0", "1")  # how SQLite holds a yes/no, as a number or as text


def yes_no_columns(datasette, table: str) -> set[str]:
    """The table's boolean columns: from its schema (the build's metadata) or, for a
    measure view, as the measure declares them."""
    meta = datasette.table_metadata(DB, table) or {}
    names = set(meta.get("yes_no") or ())
    for m in MEASURES:
        if m.view == table:
            names |= set(m.booleans)
    return names


async def relabel(datasette, table: str, facet_results: list[dict]) -> None:
    """Put each facet value of a table page into words, in place."""
    if not facet_results:
        return
    yes_no = yes_no_columns(datasette, table)
    # Not make_linker: it copies every project's title (68,000 nationally) for each page.
    linker = Linker(datasette, await load_codelists(datasette), await load_column_targets(datasette))
    for facet in facet_results:
        column = facet["name"]
        projects = await project_titles(datasette) if linker.table_for(column) == "projects" else None
        for value in facet.get("results", ()):
            raw = value.get("value")
            if column in yes_no and raw in BOOLEAN_VALUES:
                value["label"] = words_yes_no(raw)
            elif value.get("label") == raw and isinstance(raw, str):
                value["label"] = projects.get(raw, raw) if projects is not None else linker.title(column, raw)
