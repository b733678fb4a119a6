"""The words under a table page's row count ("6 rows where Gate = "assess" sorted by
Date descending") with each column called by its title, as the facets and the filter
and sort controls call it, not by its name (gate, activity_date).

Datasette writes the sentence from the column names (filters.human_description_en and
"sorted by x"). Each clause is worked out again here exactly as Datasette wrote it, and
replaced by the same clause with the title: a value is never touched, whatever quotes
or words it holds (a code is followed by its meaning, not replaced by it), and anything
else in the sentence (a search) stays as it was."""

from __future__ import annotations

from collections.abc import Callable


def plain_description(
    text: str,
    title: Callable[[str], str],
    filters,
    sort: str | None,
    sort_desc: str | None,
    meanings: dict[str, dict[str, str]] | None = None,
) -> str:
    """`text`, Datasette's description of a table page's rows, with `title(column)` for
    each column named in a filter or the sort, and, after a code that a filter asks a
    column to equal (or not), its meaning from `meanings` ({column: {code: title}}):
    Theme = "shared_language" (Shared definition and language)."""
    if not text:
        return text
    known = getattr(filters, "_filters_by_key", {}) if filters is not None else {}
    for column, lookup, value in filters.selections() if filters is not None else ():
        clause = known.get(lookup)
        if clause is None:
            continue
        said = clause.human_clause(column, value)
        if said in text:
            plain = clause.human_clause(title(column), value)
            meaning = (meanings or {}).get(column, {}).get(value) if lookup in ("exact", "not") else None
            text = text.replace(said, f"{plain} ({meaning})" if meaning else plain, 1)
    for column, suffix in ((sort, ""), (sort_desc, " descending")):
        tail = f"sorted by {column}{suffix}"
        if column and text.endswith(tail):
            text = text[: -len(tail)] + f"sorted by {title(column)}{suffix}"
    return text
