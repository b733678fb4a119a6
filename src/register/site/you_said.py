"""/you-said/<id>: one "You said" item followed to its end, and /you-said/how-to-follow.

What an item's status is, when its response is due (set by staff or worked out from the
response rules), whether it is overdue and how long it has been open are worked out once,
in you_said_we_did_current (register/database/views.sql); this module reads them, with
the item's history, the partners' verdicts on it and the corrections made to it.
The item's Atom feed (register/site/feeds.py) reads the same record through item_record.
"""

import datetime as dt

from datasette.utils import tilde_encode

from register.schema.ddl import id_number
from register.site.links import DB, column_label, fetch_rows, load_codelists, make_linker, publisher_credit, record_id
from register.site.pages import feed_links, record_not_found, render_page
from register.util.words import how_long

ITEMS, UPDATES, VERDICTS = "you_said_we_did", "you_said_we_did_updates", "partner_verdicts"


def item_path(datasette, item_id: str) -> str:
    return datasette.urls.path(f"/you-said/{tilde_encode(item_id)}")


def item_feed_path(datasette, item_id: str) -> str:
    return datasette.urls.path(f"/feeds/you-said/{tilde_encode(item_id)}.atom")


# What an item with no update is: the first status that is not a response
# (register/database/views.sql).
SAID_STATUS = "(select code from statuses where not responds order by sort_order, code limit 1)"
# The status an update `u` found its item in: the update before it, by date then number,
# or for its first update the status it was recorded as when said.
PREVIOUS_STATUS = f"""coalesce((select b.status from {UPDATES} b where b.you_said_id = u.you_said_id
    and (b.update_date < u.update_date or (b.update_date = u.update_date and {id_number("b.id")} < {id_number("u.id")}))
    order by b.update_date desc, {id_number("b.id")} desc limit 1), {SAID_STATUS}) as previous_status"""


def status_change(item_id: str, status_title: str, previous: str | None, status: str) -> str:
    """A feed entry's title for an update: "YS-0902 is now Done", or, when the item already
    had that status (staff record what else was done), "YS-0902 updated, still Done"."""
    if previous == status:
        return f"{item_id} updated, still {status_title}"
    return f"{item_id} is now {status_title}"


def said_status(statuses: dict[str, dict]) -> str | None:
    """What an item is recorded as when said: the first status (in the codelist's order)
    that is not a response, as the views take it for an item with no update (`NOT
    responds`: a code whose `responds` is not known is neither)."""
    return next((code for code, s in statuses.items() if s.get("responds") is not None and not s["responds"]), None)


async def item_record(datasette, item_id: str) -> dict | None:
    """The item with its project, activity, status history, the partners' verdicts and
    the corrections of any of them; None when there is no such item."""
    found = await fetch_rows(
        datasette,
        """
        select c.*, y.source, y.source_section, p.title as project_title, p.organisation
        from you_said_we_did_current c
        join you_said_we_did y on y.id = c.id
        join projects p on p.id = c.project_id
        where c.id = :id""",
        {"id": item_id},
    )
    if not found:
        return None
    item = found[0]
    p = {"id": item_id, "activity": item["activity_id"]}
    updates = await fetch_rows(
        datasette, f"select * from {UPDATES} where you_said_id = :id order by update_date, {id_number('id')}, id", p
    )
    verdicts = await fetch_rows(
        datasette,
        f"""
        select * from {VERDICTS}
        where update_id in (select id from {UPDATES} where you_said_id = :id)
           or (log_id is not null and log_id = :activity)
        order by verdict_date, id""",
        p,
    )
    for u in updates:
        u["verdicts"] = [v for v in verdicts if v["update_id"] == u["id"]]
    corrections = await fetch_rows(
        datasette,
        f"""
        select * from corrections
        where (resource = '{ITEMS}' and record_id = :id)
           or (resource = '{UPDATES}' and record_id in (select id from {UPDATES} where you_said_id = :id))
           or (resource = '{VERDICTS}' and record_id in (
                 select id from {VERDICTS}
                 where update_id in (select id from {UPDATES} where you_said_id = :id)
                    or (log_id is not null and log_id = :activity)))
        order by corrected_date, id""",
        p,
    )
    for c in corrections:  # the field by its title in the schema, as the record's own page shows it
        c["field_title"] = column_label(datasette, c["resource"], c["field"])[0]
    activity = None
    if item["activity_id"]:
        activity = (
            await fetch_rows(datasette, "select id, title, activity_date from coproduction_log where id = :activity", p)
            or [None]
        )[0]
    return {
        "item": item,
        "activity": activity,
        "activity_verdicts": [v for v in verdicts if v["log_id"]],
        "updates": updates,
        "corrections": corrections,
    }


async def you_said_page(datasette, request):
    """One "You said" item: what was said, where it stands, and every step since."""
    item_id = record_id(request)
    record = await item_record(datasette, item_id)
    if record is None:
        return await record_not_found(
            datasette,
            request,
            ITEMS,
            item_id,
            lambda found_id: item_path(datasette, found_id),
            f'There is no "You said" item with the ID {item_id!r} in the register.',
        )
    item = record["item"]
    link = await make_linker(datasette)
    if record["activity"]:
        link.add("coproduction_log", {record["activity"]["id"]: record["activity"]["title"]})
    codelists = await load_codelists(datasette)
    feed = {"href": item_feed_path(datasette, item_id), "title": f"Changes to {item_id} (Atom feed)"}
    # A loop closed after its due date is said to be late, as an open one is said to be
    # overdue. It closed days_open days after it was said: the view counts to the first of
    # the closing updates since it was last open, not to a later one (done, then done again).
    said, due, days = item["said_date"], item["due_date"], item["days_open"]
    late = (
        (dt.date.fromisoformat(said) + dt.timedelta(days=days) - dt.date.fromisoformat(due)).days
        if item["loop_closed"] and said and due and days is not None
        else 0
    )
    return await render_page(
        datasette,
        request,
        "you_said_item.html",
        {
            **record,
            "credit": await publisher_credit(datasette, "you_said_we_did", item_id),
            "link": link,
            "closing_statuses": [s["title"] for s in codelists.get("statuses", {}).values() if s.get("closes_loop")],
            "said_status": said_status(codelists.get("statuses", {})),
            "feeds": [feed, *feed_links(datasette, item["project_id"])],
            "row_href": datasette.urls.row(DB, ITEMS, tilde_encode(item_id)),
            "how_to_follow": datasette.urls.path("/you-said/how-to-follow"),
            "closed_late_days": max(late, 0),
        },
    )


async def how_to_follow_page(datasette, request):
    """How to follow an item, in plain English; every rule is read from its codelist."""
    codelists = await load_codelists(datasette)
    kinds = codelists.get("organisation_kinds", {})
    partner_kinds = [k for k in kinds.values() if k.get("independent_partner")]
    partners = [
        o for o in codelists.get("organisations", {}).values() if o.get("kind") in {k["code"] for k in partner_kinds}
    ]
    statuses = list(codelists.get("statuses", {}).values())
    rules = [
        dict(r, due_words=how_long(r["due_after"], r["due_unit"])) for r in codelists.get("response_rules", {}).values()
    ]
    return await render_page(
        datasette,
        request,
        "you_said_how_to_follow.html",
        {
            "statuses": statuses,
            "said_status": said_status(codelists.get("statuses", {})),
            "responding": [s for s in statuses if s.get("responds")],
            "closing": [s for s in statuses if s.get("closes_loop")],
            "rules": rules,
            "working_days": any(r["due_unit"] == "working_days" for r in rules),
            "verdicts": list(codelists.get("verdicts", {}).values()),
            "partner_kinds": partner_kinds,
            "partners": partners,
            "feeds": feed_links(datasette),
            "tables": {
                name: datasette.urls.table(DB, name)
                for name in (
                    "statuses",
                    "response_rules",
                    "verdicts",
                    "organisations",
                    "partner_verdicts",
                    "corrections",
                )
            },
        },
    )
