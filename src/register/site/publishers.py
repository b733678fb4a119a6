"""/publishers: the national register's publishers, their data-quality scores, measures and
gate assurance, and why any of them is shown from its last good copy.

Only a national database (built by `make national`) has a publishers table; on a single
publisher's register the page does not exist (404). The score and its parts are the
publisher_quality view's, and how it is worked out is read from publisher_quality_method,
both written by the national build, so the page and the data never disagree.
"""

from __future__ import annotations

from datasette import hookimpl

from register.site.links import DB, fetch_rows
from register.site.pages import not_found, render_page

PUBLISHERS = "publishers"


async def is_national(datasette) -> bool:
    return PUBLISHERS in await datasette.get_database(DB).table_names()


async def publisher_count(datasette) -> dict | None:
    """How many publishers a national register lists, and how many of them it shows
    (those with none of their data shown are not brought together); None on a single
    ICB's register."""
    if not await is_national(datasette):
        return None
    rows = await fetch_rows(
        datasette, f"select count(*) as listed, count(*) filter (where status <> 'nothing') as shown from {PUBLISHERS}"
    )
    return {"listed": rows[0]["listed"], "shown": rows[0]["shown"]}


def _by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


async def publishers_page(datasette, request):
    """Every publisher with its score, provenance, measures and gate assurance."""
    if not await is_national(datasette):
        return await not_found(datasette, request, "This register is not a national register: it has no publishers.")
    # The score, the figures it is worked out from, then the publisher's own columns (its
    # `valid` is its latest fetch's; the score's part of that name is q_valid): one query,
    # so the overdue items are counted once (two counts took the page to 136 ms p50 at a
    # million log rows).
    publishers = await fetch_rows(
        datasette,
        "select q.*, p.*, q.valid as q_valid "
        "from publishers p join publisher_quality q on q.publisher = p.code order by q.score desc, p.title",
    )
    figures = {r["publisher"]: r for r in publishers}
    gates = _by(await fetch_rows(datasette, "select * from publisher_gate_assurance"), "publisher")
    method = await fetch_rows(datasette, "select * from publisher_quality_method order by sort_order")
    return await render_page(
        datasette,
        request,
        "publishers.html",
        {"publishers": publishers, "figures": figures, "gates": gates, "method": method},
    )


@hookimpl
def register_routes(datasette):
    return [(r"^/publishers/?$", publishers_page)]
