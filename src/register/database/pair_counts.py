"""Facet counts under two filters at once, for the views and stored views whose codes are
not kept: a facet link clicked on a page already filtered on one value.

Why: a table's codes answer any number of filters (register/site/coded_facets.py), but
a view's rows are worked out as they are read. At a million log rows,
`measure_balance?balance=balanced&gate=assess` took 1.1 s, its count and facets each
working out the balance of the 250,000 activities at that gate; `measure_equality_coverage`
filtered on coverage and impact 330 ms. However few rows a pair matches, SQLite reads as
many to find them, so every pair of values of two columns with few values is counted,
not only the common ones (facet_counts.py stores one filter's counts for those).

Stored among the facet counts (facet_counts.TABLE): `filter_column` is the two columns
as a JSON list, in the order of their names (Datasette's order of a page's filters),
`filter_value` their values as a JSON list. Only the pairs a table has are stored; rank 0
says the column was counted, as for one filter. An append adds to them
(facet_counts.add), and a pair it adds is counted whole, as a build counts it.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np

PREFIX = '["'  # a pair's filter_column starts with this; one column's never does


def key(columns: tuple[str, str]) -> str:
    """The filter_column of two columns' pair counts."""
    return json.dumps(sorted(columns), ensure_ascii=False)


def value(values: dict[str, object]) -> str:
    """The filter_value of a pair's values, {column: value}, in the order of the names."""
    return json.dumps([values[c] for c in sorted(values)], ensure_ascii=False)


def pairs_of(row: dict[str, object], few: list[str]) -> list[tuple[str, str]]:
    """The (filter_column, filter_value) of each pair of the columns in `few` that a row
    with these values counts under (neither value NULL)."""
    return [
        (key((a, b)), value({a: row[a], b: row[b]}))
        for a, b in combinations(sorted(few), 2)
        if row[a] is not None and row[b] is not None
    ]


def counted(table: str, columns: list[str], values: list[list], codes: list, few: list[int], ranking) -> list[tuple]:
    """The facet_counts rows of every pair of values two of the columns at `few` have
    (columns with few values): for each pair, each column's counts over its rows, ranked
    by `ranking(counts, j)`, a list of (value, count). One sort of the rows per pair of
    columns: 0.2 s for the 111 pairs of equality coverage at a million log rows."""
    rows = []
    for i, j in combinations(sorted(few, key=lambda k: columns[k]), 2):
        width = len(values[j])
        both = codes[i].astype(np.int64) * width + codes[j]
        order = np.argsort(both, kind="stable")
        ends = np.flatnonzero(np.diff(both[order])) + 1
        for chosen in np.split(order, ends):
            if not len(chosen):
                continue
            a, b = values[i][int(codes[i][chosen[0]])], values[j][int(codes[j][chosen[0]])]
            if a is None or b is None:
                continue
            f, fv = key((columns[i], columns[j])), value({columns[i]: a, columns[j]: b})
            for k, column in enumerate(columns):
                found = ranking(np.bincount(codes[k].take(chosen), minlength=len(values[k])), k)
                rows.append((table, f, fv, column, 0, None, 0))
                rows += [(table, f, fv, column, rank, v, n) for rank, (v, n) in enumerate(found, start=1)]
    return rows
