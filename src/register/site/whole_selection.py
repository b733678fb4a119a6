"""Facets of a later page counted over the whole selection, as on its first page.

Datasette 0.65 adds a next page's start (`_next=`) to the WHERE clause it gives the facets,
so page 2 of the log counted only the rows after page 1: on the sample register a page of
8 rows showed facets adding up to 3, and at a million rows the stored counts never applied
(1.2 s for the log's second page). The clause Datasette adds for `_next` on a table (not a
view, which pages by OFFSET) is always the last, and is `rowid > :pN` or one parenthesised
group holding the highest-numbered parameters: it is taken off here, with its parameters.
"""

from __future__ import annotations

import re

ROWID_AFTER = re.compile(r"(?:\bwhere|\band) rowid > :p(\d+)\s*$")
PARAM = re.compile(r":(p\d+)\b")


def _last_group(sql: str) -> int | None:
    """Where the parenthesised group that ends `sql` opens, or None."""
    if not sql.endswith(")"):
        return None
    depth = 0
    for i in range(len(sql) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(sql[i], 0)
        if depth == 0:
            return i
    return None


def without_next(sql: str, params: dict) -> tuple[str, dict] | None:
    """(sql, params) without the clause `_next` added, or None when the end of `sql` is
    not such a clause (then the facets are left as Datasette counts them)."""
    body = sql.rstrip()
    highest = max((int(k[1:]) for k in params if re.fullmatch(r"p\d+", k)), default=None)
    if highest is None:
        return None
    found = ROWID_AFTER.search(body)
    if found and int(found.group(1)) == highest:
        start, clause = found.start(), body[found.start() :]
    else:
        opens = _last_group(body)
        if opens is None:
            return None
        head = re.search(r"(?:\bwhere|\band) $", body[:opens])
        if not head:
            return None
        start, clause = head.start(), body[opens:]
        if not re.search(rf":p{highest}\b", clause):
            return None
    rest = body[:start].rstrip()
    kept_names = set(PARAM.findall(rest))
    dropped = set(PARAM.findall(clause)) - kept_names
    return rest + " ", {k: v for k, v in params.items() if k not in dropped}


class WholeSelection:
    """Facet classes: on a table page with `_next=`, count over the page's whole selection."""

    async def whole_selection(self) -> None:
        """Take the next page's start off the facets' query, once."""
        if getattr(self, "_whole", False):
            return
        self._whole = True
        if self.request is not None and self.request.args.get("_next") and self.table:
            db = self.ds.get_database(self.database)
            if self.table not in await db.view_names():
                found = without_next(self.sql, dict(self.params or {}))
                if found:
                    self.sql, self.params = found

    async def facet_results(self):
        await self.whole_selection()
        return await super().facet_results()
