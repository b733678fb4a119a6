"""One line per page type of the issue "Fast for everyone": its Lighthouse scores on the
sample register beside the p95 of its pages computed fresh at the largest size.

The two measurements name pages differently (Lighthouse one page per type, the latency
bench every page and link filter of a type), so this groups the latency figures under the
Lighthouse page types. It only reads the rows the bench already added to its table.
"""

from __future__ import annotations

import re

from register.bench.config import TARGETS
from register.bench.report import Table

COMPUTED = ": p50 / p95 computed (uncached)"
LIGHTHOUSE = re.compile(r"^lighthouse (.+): perf / a11y / BP / SEO$")
FAILED = re.compile(r"^(.+): HTTP (\d+) ")
# Lighthouse page type -> the latency bench's page kinds of that type (register/bench/pages.py).
GROUPS = {
    "home": r"home$",
    "projects": r"projects index",
    "a project": r"project page$",
    "a 'You said' item": r"you-said item$|feed one item$",
    "'You said, we did' list": r"you-said list|feed you-said|feed status changes|you-said how to follow",
    "measures": r"measures index$",
    "a measure": r"measure (?!view )",
    "gate assurance": r"gate assurance",
    "search": r"search(, .*)?$",
    "glossary": r"glossary$|accessibility$",
    "downloads": r"downloads$",
    "Datasette table": r"table |filtered table|facet link|project's |item's |CSV |JSON |measure view |database page",
    "Datasette row": r"row ",
    "Datasette query": r"query ",
}


def _p95(value: str) -> float | None:
    found = re.match(r"[\d.,]+ / ([\d.,]+) ms", str(value))
    return float(found.group(1).replace(",", "")) if found else None


def page_type_summary(table: Table) -> None:
    """Add to the table one row per page type: Lighthouse scores, and the worst fresh p95 of
    its pages with how many meet the target."""
    scores = {}
    fresh: dict[str, list[tuple[str, float | None]]] = {kind: [] for kind in GROUPS}
    size = None
    for row in table.rows:
        figure = row["figure"]
        found = LIGHTHOUSE.match(figure)
        if found:
            scores[found.group(1)] = (row["value"], row["ok"])
            continue
        if figure.endswith(COMPUTED):
            page, p95, errors = figure[: -len(COMPUTED)], _p95(row["value"]), "errors" in str(row["value"])
        elif FAILED.match(figure):
            page, p95, errors = FAILED.match(figure).group(1), None, True
        else:
            continue
        size = row["size"]
        for kind, pattern in GROUPS.items():
            if re.match(pattern, page):
                fresh[kind].append((page, None if errors else p95))
                break
    for kind in GROUPS:
        pages = fresh[kind]
        timed = [p for _, p in pages if p is not None]
        within = sum(p <= TARGETS["p95_ms"] for p in timed)
        worst = max(pages, key=lambda p: float("inf") if p[1] is None else p[1], default=None)
        lighthouse, lh_ok = scores.get(kind, ("not measured", None))
        latency = (
            f"{within} of {len(pages)} pages; slowest {worst[0]} {'error' if worst[1] is None else f'{worst[1]:,.0f} ms'}"
            if worst
            else "not measured"
        )
        met = None if lh_ok is None and not pages else bool(lh_ok) and bool(pages) and within == len(pages)
        table.add(
            "summary",
            f"{kind}: Lighthouse perf / a11y / BP / SEO; fresh p95 at {size:,} rows"
            if isinstance(size, int)
            else f"{kind}: Lighthouse perf / a11y / BP / SEO; fresh p95",
            f"{lighthouse}; {latency}",
            target=">= 95 / 100 / 100 / >= 95; p95 <= 100 ms",
            ok=met,
            command="the rows above",
        )
