"""The Atom feeds /feeds/you-said.atom and /feeds/status-changes.atom (each with ?project=).

Written here rather than with datasette-atom, which is therefore not a dependency:
datasette-atom 0.9 (the last release for Datasette 0.65; 0.10 needs the 1.0 alphas) serves
a feed at /register/<query>.atom, whereas these feeds need addresses people keep
(/feeds/...), a per-project filter, entry ids that do not change when the site moves
host, and plain-text content, so nothing depends on datasette-atom's HTML sanitising
with bleach (deprecated). ElementTree escapes every text node.
"""

import datetime as dt
import json
import os
import time

from datasette.utils import tilde_encode
from datasette.utils.asgi import NotFound, Response

from register.schema.ddl import id_number
from register.site.atom import document, stamp, urn
from register.site.filters import uk_date
from register.site.links import (
    DB,
    fetch_rows,
    field_title,
    known_id,
    load_codelists,
    make_linker,
    publisher_hint,
    record_id,
)
from register.site.pages import record_not_found
from register.site.you_said import (
    ITEMS,
    PREVIOUS_STATUS,
    UPDATES,
    item_feed_path,
    item_path,
    item_record,
    said_status,
    status_change,
)
from register.util.words import due_date_basis

FEED_LIMIT = 100
CURRENT = "you_said_we_did_current"


def _excerpt(text: str | None, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


async def _feed_project(datasette, request) -> str | None:
    """The project of ?project=, as the register writes its identifier (prj-0002 is
    PRJ-0002, as on the "You said" list), or None for the whole register's feed."""
    typed = request.args.get("project")
    if not typed:
        return None
    project = await known_id(datasette, "projects", typed)
    if project is None:
        hint = await publisher_hint(datasette, "projects", typed)
        raise NotFound(f"There is no project with the ID {typed!r} in the register.{hint}")
    return project


def _labels(datasette):
    """The feeds' labels, "<title>: <value>", are the fields' titles in their schemas
    (register/site/links.py field_title), as the pages label them."""
    return lambda table, column: field_title(datasette, table, column)


def due_text(item: dict) -> str:
    """'6 November 2024, worked out from the response rules (overdue)'."""
    return f"{uk_date(item['due_date'])}, {due_date_basis(item['due_date_basis'])}" + (
        " (overdue)" if item["overdue"] else ""
    )


def turned_overdue(item: dict) -> str:
    """The day an overdue item turned overdue (the day after its due date), else "": its
    entries change that day, so feed readers show them again."""
    if not item["overdue"]:
        return ""
    return (dt.date.fromisoformat(item["due_date"]) + dt.timedelta(days=1)).isoformat()


def verdict_text(link, label, v: dict) -> str:
    return (
        f"{link.title('organisations', v['partner'])}: {link.title('verdicts', v['verdict'])}"
        f" ({uk_date(v['verdict_date'])}). {label('partner_verdicts', 'in_their_words')}: {v['in_their_words']}"
    )


def _atom_response(body: bytes) -> Response:
    return Response(
        body, content_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "public, max-age=300"}
    )


def you_said_sql(for_project: bool) -> str:
    """The newest items, register-wide or of one project (:project).

    Walked newest first through the stored status table's (said_date, id) index, or a
    project's items through its project_id index: never a sort of every item. Ordered
    by the items' own table instead, the national register's statistics led SQLite to
    walk that by key and sort all 278,000 items (159 ms, against 1 ms).
    """
    return f"""
        select c.*, p.title as project_title, p.organisation,
          (select max(u.update_date) from you_said_we_did_updates u where u.you_said_id = c.id) as latest_update
        from you_said_we_did_current c join projects p on p.id = c.project_id
        {"where c.project_id = :project" if for_project else ""}
        order by c.said_date desc, c.id desc limit {FEED_LIMIT}"""


async def feed_you_said(datasette, request):
    """New "You said" items, newest first, with their current status."""
    project = await _feed_project(datasette, request)
    rows = await fetch_rows(datasette, you_said_sql(bool(project)), {"project": project} if project else {})
    link = await make_linker(datasette)
    absolute = lambda p: datasette.absolute_url(request, datasette.urls.path(p))  # noqa: E731
    label = _labels(datasette)
    entries = []
    for r in rows:
        status = link.title("statuses", r["status"])
        lines = [
            f"{label(CURRENT, 'you_said')}: {r['you_said']}",
            f"{label(CURRENT, 'theme')}: {link.title('themes', r['theme'])}",
            f"{label(CURRENT, 'project_id')}: {r['project_title']} ({r['project_id']})",
            f"{label(CURRENT, 'said_date')}: {uk_date(r['said_date'])}",
            f"{label(CURRENT, 'status')}: {status}"
            + (f" (since {uk_date(r['status_date'])})" if r["status_date"] else ""),
        ]
        if r["we_did"]:
            lines.append(f"{label(CURRENT, 'we_did')}: {r['we_did']}")
        if r["reason"]:
            lines.append(f"{label(CURRENT, 'reason')}: {r['reason']}")
        if r["due_date"]:
            lines.append(f"{label(CURRENT, 'due_date')}: {due_text(r)}")
        entries.append(
            {
                "id": urn("you_said_we_did", r["id"]),
                "title": f"{r['id']} ({status}): {_excerpt(r['you_said'])}",
                "published": stamp(r["said_date"]),
                # An item changes with each update (its status, or what was done, said
                # again), and when it turns overdue: feed readers then show it again.
                "updated": stamp(max(r["said_date"], r["latest_update"] or "", turned_overdue(r))),
                "link": absolute(f"/you-said/{tilde_encode(r['id'])}"),
                "author": link.title("organisation", r["organisation"]),
                "categories": [(r["theme"], link.title("themes", r["theme"])), (r["status"], status)],
                "content": "\n".join(lines),
            }
        )
    return _project_feed(
        datasette,
        "you-said",
        'Co-production Register: new "You said" items',
        "What people said, newest first, with what was done about it.",
        project,
        absolute,
        entries,
    )


def built(datasette) -> str:
    """When the served build was written: an empty feed has been as it is since then (it
    said 1970, which a feed reader shows as the feed's date)."""
    path = datasette.get_database(DB).path
    when = os.stat(path).st_mtime if path else time.time()
    return dt.datetime.fromtimestamp(int(when), dt.UTC).isoformat()


def _project_feed(datasette, name: str, title: str, subtitle: str, project: str | None, absolute, entries):
    """A register-wide feed, or the same feed for one project (?project=)."""
    q = f"?project={project}" if project else ""
    body = document(
        name + (f"/{project}" if project else ""),
        title + (f" for {project}" if project else ""),
        subtitle,
        absolute(f"/feeds/{name}.atom") + q,
        absolute(f"/projects/{project}" if project else "/"),
        entries,
        datasette.metadata("license") or "",
        built(datasette),
    )
    return _atom_response(body)


async def feed_status_changes(datasette, request):
    """Every change of status of a "You said" item, newest first."""
    project = await _feed_project(datasette, request)
    # All of them: CROSS JOIN keeps the updates the outer loop, walked newest first
    # through their update_date index. On the national register's statistics SQLite
    # chose to sort every update instead (413 ms against 15 at 42 x 23,809 log rows).
    # Bounded by the newest dates that hold the feed's entries (from the same index): with
    # the update's number in the order and no bound, SQLite sorted every update of the
    # national register (496 ms against 6). A project's: through its items (project_id
    # index), as SQLite chooses.
    newest = (
        "where u.update_date >= coalesce((select update_date from you_said_we_did_updates "
        f"order by update_date desc limit 1 offset {FEED_LIMIT - 1}), '')"
    )
    rows = await fetch_rows(
        datasette,
        f"""
        select u.*, y.you_said, y.project_id, p.title as project_title, p.organisation, {PREVIOUS_STATUS}
        from you_said_we_did_updates u
        {"join" if project else "cross join"} you_said_we_did y on y.id = u.you_said_id
        join projects p on p.id = y.project_id
        {"where y.project_id = :project" if project else newest}
        order by u.update_date desc, {id_number("u.id")} desc, u.id desc limit {FEED_LIMIT}""",
        {"project": project} if project else {},
    )
    link = await make_linker(datasette)
    absolute = lambda p: datasette.absolute_url(request, datasette.urls.path(p))  # noqa: E731
    label = _labels(datasette)
    verdicts: dict[str, list[dict]] = {}
    for v in await fetch_rows(
        datasette,
        "select * from partner_verdicts where update_id in (select value from json_each(:ids)) order by verdict_date, id",
        {"ids": json.dumps([r["id"] for r in rows])},
    ):
        verdicts.setdefault(v["update_id"], []).append(v)
    entries = []
    for r in rows:
        status = link.title("statuses", r["status"])
        lines = [
            f"{label(UPDATES, 'status')}: {status}",
            f"{label(UPDATES, 'update_date')}: {uk_date(r['update_date'])}",
        ]
        if r["we_did"]:
            lines.append(f"{label(UPDATES, 'we_did')}: {r['we_did']}")
        if r["reason"]:
            lines.append(f"{label(UPDATES, 'reason')}: {r['reason']}")
        judged = verdicts.get(r["id"], [])
        lines += [verdict_text(link, label, v) for v in judged]
        lines += [f"{label(ITEMS, 'you_said')}: {r['you_said']}"]
        lines += [f"{label(ITEMS, 'project_id')}: {r['project_title']} ({r['project_id']})"]
        # A partner's verdict given later changes the entry: its `updated` says so, so
        # that a feed reader shows the entry again (published stays the change's date).
        changed = max([r["update_date"], *(v["verdict_date"] for v in judged)])
        entries.append(
            {
                "id": urn("you_said_we_did_updates", r["id"]),
                "title": f"{status_change(r['you_said_id'], status, r['previous_status'], r['status'])}: "
                + _excerpt(r["you_said"]),
                "updated": stamp(changed),
                "published": stamp(r["update_date"]),
                "link": absolute(f"/you-said/{tilde_encode(r['you_said_id'])}#{r['id']}"),
                "author": link.title("organisation", r["organisation"]),
                "categories": [(r["status"], status)],
                "content": "\n".join(lines),
            }
        )
    return _project_feed(
        datasette,
        "status-changes",
        'Co-production Register: "You said, we did" status changes',
        'Every change of status of a "You said" item, newest first.',
        project,
        absolute,
        entries,
    )


async def feed_you_said_item(datasette, request):
    """One item's feed: when it was said, each change of status, each partner's verdict
    and each correction, newest first."""
    item_id = record_id(request)
    record = await item_record(datasette, item_id)
    if record is None:
        return await record_not_found(
            datasette,
            request,
            "you_said_we_did",
            item_id,
            lambda found_id: item_feed_path(datasette, found_id),
            f'There is no "You said" item with the ID {item_id!r} in the register.',
        )
    item = record["item"]
    link = await make_linker(datasette)
    page = datasette.absolute_url(request, item_path(datasette, item_id))
    author = link.title("organisation", item["organisation"])
    label = _labels(datasette)
    # Each entry says its date in words, as the status-changes feed does: a feed reader
    # shows the entry's timestamp in its own way, or not at all.
    said = [
        f"{label(CURRENT, 'you_said')}: {item['you_said']}",
        f"{label(CURRENT, 'said_date')}: {uk_date(item['said_date'])}",
        f"{label(CURRENT, 'theme')}: {link.title('themes', item['theme'])}",
    ]
    said.append(f"{label(CURRENT, 'project_id')}: {item['project_title']} ({item['project_id']})")
    if item["due_date"]:
        said.append(f"{label(CURRENT, 'due_date')}: {due_text(item)}")
    entries = [_entry(("you_said_we_did", item_id), f"{item_id} was said", item["said_date"], page, author, said)]
    # Said that day; changed again ("(overdue)") on the day it turned overdue.
    entries[0]["published"] = stamp(item["said_date"])
    entries[0]["updated"] = stamp(max(item["said_date"], turned_overdue(item)))
    # Before its first update, an item has the status it was recorded as when said.
    first = {"status": said_status((await load_codelists(datasette)).get("statuses", {}))}
    for before, u in zip([first, *record["updates"]], record["updates"]):
        status = link.title("statuses", u["status"])
        lines = [
            f"{label(UPDATES, 'status')}: {status}",
            f"{label(UPDATES, 'update_date')}: {uk_date(u['update_date'])}",
        ]
        lines += [f"{label(UPDATES, 'we_did')}: {u['we_did']}"] if u["we_did"] else []
        lines += [f"{label(UPDATES, 'reason')}: {u['reason']}"] if u["reason"] else []
        entries.append(
            _entry(
                ("you_said_we_did_updates", u["id"]),
                status_change(item_id, status, before and before["status"], u["status"]),
                u["update_date"],
                f"{page}#{u['id']}",
                author,
                lines,
            )
        )
    for v in [v for u in record["updates"] for v in u["verdicts"]] + record["activity_verdicts"]:
        partner = link.title("organisations", v["partner"])
        judged = v["update_id"] or v["log_id"]
        title = f"{partner}: {link.title('verdicts', v['verdict']).lower()} on {judged}"
        entries.append(
            _entry(
                ("partner_verdicts", v["id"]),
                title,
                v["verdict_date"],
                f"{page}#{v['id']}",
                partner,
                [verdict_text(link, label, v)],
            )
        )
    for c in record["corrections"]:
        lines = [
            f"{label('corrections', 'old_value')}: {link.title(c['field'], c['old_value']) or '(empty)'}",
            f"{label('corrections', 'new_value')}: {link.title(c['field'], c['new_value']) or '(empty)'}",
            f"{label('corrections', 'reason')}: {c['reason']}",
        ]
        title = f"Correction of {c['record_id']}, {c['field_title']}"
        entries.append(_entry(("corrections", c["id"]), title, c["corrected_date"], f"{page}#{c['id']}", author, lines))
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    body = document(
        f"you-said/{item_id}",
        f"Co-production Register: {item_id}, {_excerpt(item['you_said'], 60)}",
        "Each change of status of this item, each partner's verdict on it and each correction, newest first.",
        datasette.absolute_url(request, item_feed_path(datasette, item_id)),
        page,
        entries,
        datasette.metadata("license") or "",
        built(datasette),
    )
    return _atom_response(body)


def _entry(key: tuple[str, str], title: str, date, link: str, author: str, lines: list[str]) -> dict:
    return {
        "id": urn(*key),
        "title": title,
        "updated": stamp(date),
        "link": link,
        "author": author,
        "content": "\n".join(lines),
    }
