"""Full-text search across every register at once, best matches first.

Each register has its own FTS table (register/database/build.py), ranked by bm25.
"""

import json
from urllib.parse import quote

from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from register.site import fts_query
from register.site.filters import uk_date
from register.site.links import DB, fetch_rows, id_spellings, load_codelists, make_linker
from register.site.pages import render_page

SEARCH_LIMIT = 100
# The latest matches of each register that are ranked. For a common word ("care") at a
# million log rows, the page took 101 ms (p50, in-process) with 5,000, 67 with 2,500 and
# 48 with 2,000: bm25 for every candidate of the three big registers, and the keys of the
# candidates tied with the 100th best (synthetic texts tie by the thousand).
SEARCH_CANDIDATES = 2000
SEARCH_MAIN = {
    "projects": {"kind": "Project", "project": "t.id", "anchor": "''", "title": "t.title"},
    "coproduction_log": {
        "kind": "Co-production activity",
        "project": "t.project_id",
        "anchor": "t.id",
        "title": "t.title",
    },
    "equality_impacts": {
        "kind": "Equality impact",
        "project": "t.project_id",
        "anchor": "'eia-' || t.characteristic",
        "title": "(select title from characteristics c where c.code = t.characteristic)",
    },
    "you_said_we_did": {
        "kind": "You said",
        "project": "t.project_id",
        "anchor": "t.id",
        "title": "t.id || ': ' || (select title from themes h where h.code = t.theme)",
    },
    "you_said_we_did_updates": {
        "kind": "We did (status update)",
        "project": "(select project_id from you_said_we_did y where y.id = t.you_said_id)",
        "anchor": "t.you_said_id",
        "title": "t.you_said_id || ': ' || (select title from statuses s where s.code = t.status)",
        "date": "t.update_date",
    },
    "partner_verdicts": {
        "kind": "Verdict of a partner",
        "project": """coalesce(
            (select y.project_id from you_said_we_did_updates u join you_said_we_did y on y.id = u.you_said_id
             where u.id = t.update_id),
            (select l.project_id from coproduction_log l where l.id = t.log_id))""",
        # The item whose update it judges, else the activity it judges: where it is shown.
        "anchor": "coalesce((select u.you_said_id from you_said_we_did_updates u where u.id = t.update_id), t.log_id)",
        "title": """(select title from organisations o where o.code = t.partner) || ': '
                    || (select title from verdicts v where v.code = t.verdict)""",
        "date": "t.verdict_date",
    },
}
# Results that open the "You said" item's own page (its id is the anchor), at the update found.
ITEM_SOURCES = ("you_said_we_did", "you_said_we_did_updates")
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


async def _search(datasette, q: str) -> list[dict]:
    """The best SEARCH_LIMIT matches across the registers, in steps so that no row is
    read, and no snippet or title made, for a match that is not shown. A common word
    matches a large part of a big register (170,000 log entries at a million rows, 0.3 s
    to rank them all), so each register ranks its latest SEARCH_CANDIDATES matches (by
    rowid, which follows the order rows were loaded); on a register with fewer matches
    than that, every match is ranked. Then only the candidates as good as the
    SEARCH_LIMIT-th best (ties included) are looked up for their keys, the best are
    chosen by rank, register and key as before, and only those are dressed."""
    db = datasette.get_database(DB)
    names = set(await db.table_names())
    codelists = await load_codelists(datasette)
    ranked, keys, dress = [], {}, {}
    for table in sorted(names):
        fts = f"{table}_fts"
        if fts not in names:
            continue
        pk = "t.code" if table in codelists else "t.id"
        conf = SEARCH_MAIN.get(table)
        if conf is None and table not in codelists:
            continue
        column = -1  # the column that matched best
        if conf:
            project, anchor, title, kind = conf["project"], conf["anchor"], conf["title"], conf["kind"]
        else:
            project, anchor, title, kind = "null", "''", "t.title", table
            # A code's result is headed by its title: its snippet is what the code means,
            # not the title again ("Reimbursement" under "Reimbursement").
            indexed = await db.table_columns(fts)
            column = indexed.index("description") if "description" in indexed else -1
        ranked.append(f"""
          select '{table}' as source, rid, rank
          from (select rowid as rid, bm25([{fts}]) as rank from [{fts}] where [{fts}] match :q
                order by rowid desc limit {SEARCH_CANDIDATES})""")
        keys[table] = (
            f"select t.rowid as rid, {pk} as key from [{table}] t where t.rowid in (select value from json_each(:rids))"
        )
        date = (conf or {}).get("date", "null")
        dress[table] = f"""
          select t.rowid as rid, '{kind}' as kind, {project} as project_id, {anchor} as anchor, {title} as title,
                 {date} as date, snippet([{fts}], {column}, char(2), char(3), '…', 24) as snippet
          from [{fts}] join [{table}] t on t.rowid = [{fts}].rowid
          where [{fts}] match :q and [{fts}].rowid in (select value from json_each(:rids))"""
    if not ranked:
        return []
    sql = f"""
      with m as ({" union all ".join(ranked)})
      select source, rid, rank from m
      where rank <= coalesce((select rank from m order by rank limit 1 offset {SEARCH_LIMIT - 1}),
                             (select max(rank) from m))"""
    found = await fetch_rows(datasette, sql, {"q": q})
    for table in sorted({r["source"] for r in found}):
        rids = [r["rid"] for r in found if r["source"] == table]
        key = {k["rid"]: k["key"] for k in await fetch_rows(datasette, keys[table], {"rids": json.dumps(rids)})}
        for r in found:
            if r["source"] == table:
                r["key"] = key[r["rid"]]
    found = sorted(found, key=lambda r: (r["rank"], r["source"], r["key"]))[:SEARCH_LIMIT]
    details = {}
    for table in sorted({r["source"] for r in found}):
        rids = [r["rid"] for r in found if r["source"] == table]
        for d in await fetch_rows(datasette, dress[table], {"q": q, "rids": json.dumps(rids)}):
            details[(table, d.pop("rid"))] = d
    return [
        {"source": r["source"], "key": r["key"], "rank": r["rank"], **details[(r["source"], r["rid"])]} for r in found
    ]


async def _by_id(datasette, q: str) -> list[dict]:
    """The record whose identifier was typed (PRJ-0002, YS-0044): every page shows them,
    and the full-text index holds words, not identifiers. First, before word matches."""
    found = []
    typed = id_spellings(q)
    names = set(await datasette.get_database(DB).table_names())
    if "publishers" in names and ":" not in q:
        # On the national register every record's identifier carries its publisher's
        # prefix (nn_icb:PRJ-0002), which a person copying PRJ-0002 from a publisher's own
        # register does not type: each publisher's record of that identifier is found.
        codes = [r["code"] for r in await fetch_rows(datasette, "select code from publishers order by code")]
        typed += [f"{code}:{q.strip().upper()}" for code in codes]
    spellings = {f"i{n}": s for n, s in enumerate(typed)}
    for table, conf in SEARCH_MAIN.items():
        if table not in names:
            continue
        rows = await fetch_rows(
            datasette,
            f"""select '{table}' as source, t.id as key, 0 as rank, '{conf["kind"]}' as kind,
                       {conf["project"]} as project_id, {conf["anchor"]} as anchor, {conf["title"]} as title,
                       {conf.get("date", "null")} as date, '' as snippet
                from [{table}] t where t.id in (:{", :".join(spellings)})""",
            spellings,
        )
        found.extend(rows)
    return found


def _snippet(text: str | None) -> Markup:
    """Escape the snippet, then turn the match markers into <mark>."""
    out = escape(text or "")
    return Markup(str(out).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


async def search_page(datasette, request):
    """Full-text search across every register at once, best matches first."""
    q = (request.args.get("q") or "").strip()
    results, error = [], None
    fts_q = fts_query.expand(q) if q else ""
    if q and fts_q:
        exact = await _by_id(datasette, q)
        try:
            results = await _search(datasette, fts_q)
        except Exception:  # an FTS syntax the escaping did not catch: say so, do not crash
            error = "The register could not search for that. Try different or fewer words."
        seen = {(r["source"], r["key"]) for r in exact}
        results = exact + [r for r in results if (r["source"], r["key"]) not in seen]
        results = results[:SEARCH_LIMIT]
    link = await make_linker(datasette)
    path = datasette.urls.path
    judged = [r["key"] for r in results if r["source"] == "partner_verdicts"]
    on_activity = judged and {
        v["log_id"]
        for v in await fetch_rows(
            datasette,
            "select log_id from partner_verdicts where log_id is not null and id in (select value from json_each(:ids))",
            {"ids": json.dumps(judged)},
        )
    }
    for r in results:
        r["snippet_html"] = _snippet(r["snippet"])
        if r.get("date"):
            r["title"] = f"{r['title']}, {uk_date(r['date'])}"
        if r["source"] == "partner_verdicts" and r["anchor"] in on_activity:
            # Shown with the activity it judges, on its project's page.
            r["href"] = (
                path(f"/projects/{tilde_encode(r['project_id'])}") + f"?activity={quote(r['anchor'])}#{r['key']}"
            )
            r["project_title"] = link.title("projects", r["project_id"])
        elif r["source"] == "partner_verdicts":  # beside the update it judges, on the item's page
            r["href"] = path(f"/you-said/{tilde_encode(r['anchor'])}") + f"#{r['key']}"
            r["project_title"] = link.title("projects", r["project_id"])
        elif r["source"] in ITEM_SOURCES:
            at_update = f"#{r['key']}" if r["source"] != "you_said_we_did" else ""
            r["href"] = path(f"/you-said/{tilde_encode(r['anchor'])}") + at_update
            r["project_title"] = link.title("projects", r["project_id"])
        elif r["project_id"]:
            # An activity is shown on its project's page when a link asks for it (?activity=).
            shown = f"?activity={quote(r['anchor'])}" if r["source"] == "coproduction_log" else ""
            r["href"] = path(f"/projects/{tilde_encode(r['project_id'])}") + (
                f"{shown}#{r['anchor']}" if r["anchor"] else ""
            )
            r["project_title"] = link.title("projects", r["project_id"])
        elif r["source"] == "glossary":
            r["href"] = path(f"/glossary#{r['key']}")
        else:
            r["href"] = datasette.urls.row(DB, r["source"], tilde_encode(str(r["key"])))
        if r["source"] not in SEARCH_MAIN:
            r["kind"] = link.codelist_title(r["source"])
        r["row_href"] = datasette.urls.row(DB, r["source"], tilde_encode(str(r["key"])))
    return await render_page(
        datasette,
        request,
        "search.html",
        {"q": q, "results": results, "error": error, "limit": SEARCH_LIMIT, "link": link},
    )
