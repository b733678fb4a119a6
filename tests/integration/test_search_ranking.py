"""Search ranks the latest matches of each register and dresses only those shown: on a
register with fewer matches than that, the results are exactly those of ranking every
match in one query (the form it replaced)."""

from __future__ import annotations

import asyncio

import pytest

from register.site import fts_query, search


def one_query(ds, q: str) -> list[dict]:
    """The results as the single query over every match gave them."""

    async def run():
        db = ds.get_database("register")
        names = set(await db.table_names())
        codelists = {t for t in names if await db.primary_keys(t) == ["code"] and "title" in await db.table_columns(t)}
        parts = []
        for table in sorted(names):
            fts = f"{table}_fts"
            conf = search.SEARCH_MAIN.get(table)
            if fts not in names or (conf is None and table not in codelists):
                continue
            pk = "t.code" if table in codelists else "t.id"
            column = -1
            if conf:
                project, anchor, title, kind = conf["project"], conf["anchor"], conf["title"], conf["kind"]
            else:  # a code's snippet is what it means, under its title
                project, anchor, title, kind = "null", "''", "t.title", table
                indexed = await db.table_columns(fts)
                column = indexed.index("description") if "description" in indexed else -1
            date = (conf or {}).get("date", "null")
            parts.append(f"""
              select '{table}' as source, '{kind}' as kind, {pk} as key, {project} as project_id,
                     {anchor} as anchor, {title} as title, {date} as date,
                     snippet([{fts}], {column}, char(2), char(3), '…', 24) as snippet, bm25([{fts}]) as rank
              from [{fts}] join [{table}] t on t.rowid = [{fts}].rowid where [{fts}] match :q""")
        sql = " union all ".join(parts) + f" order by rank, source, key limit {search.SEARCH_LIMIT}"
        return [dict(r) for r in (await db.execute(sql, {"q": fts_query.expand(q)})).rows]

    return asyncio.run(run())


@pytest.mark.parametrize("q", ["co-production", "coproduction", "expert by experience", "care", "people", "zzzz"])
def test_search_gives_what_ranking_every_match_gave(ds, q):
    found = asyncio.run(search._search(ds, fts_query.expand(q)))
    wanted = one_query(ds, q)
    assert [(r["source"], r["key"]) for r in found] == [(r["source"], r["key"]) for r in wanted]
    assert found == wanted
    if q != "zzzz":
        assert found
