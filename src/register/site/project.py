"""/projects/<id>: one project's journey, read from the views (register/database/views.sql)."""

import json
from urllib.parse import quote

from datasette.utils import tilde_encode

from register.schema.ddl import id_number
from register.site.links import (
    DB,
    GROUPS_TABLE,
    fetch_rows,
    load_codelists,
    make_linker,
    publisher_credit,
    record_id,
)
from register.site.pages import feed_links, record_not_found, render_page

# The latest activities shown at each gate of a project's page; the rest are a link away,
# in the co-production log. At a million log rows one project had 12,000 activities
# (the benchmark's appends all go to it): its page took 3.5 s, every activity rendered.
ACTIVITIES_SHOWN = 50
# The latest "You said" items shown on a project's page; all of them are in /you-said,
# filtered to the project. One project given 50,000 items (a survey's answers added in one
# file) made a 54 MB page that took 10 s, and under load the site answered it with 503.
ITEMS_SHOWN = 200


async def project_page(datasette, request):
    """One project's journey: who was involved, at which gate, what people said, what was
    done, and whether equality impacts were assessed."""
    project_id = record_id(request)
    found = await fetch_rows(datasette, "select * from projects where id = :id", {"id": project_id})
    if not found:
        return await record_not_found(
            datasette,
            request,
            "projects",
            project_id,
            lambda found_id: datasette.urls.path("/projects/" + tilde_encode(found_id)),
            f"There is no project with the ID {project_id!r} in the register.",
        )
    project = found[0]
    # Today as the views see it (England's day): a start or end date after it is one the
    # project is due to reach, and the page says so rather than "Started" or "Ended" it.
    today = (await fetch_rows(datasette, "select date('now', 'localtime') as today"))[0]["today"]
    p = {"id": project_id}
    codelists = await load_codelists(datasette)
    link = await make_linker(datasette)

    assurance = {
        r["gate"]: r
        for r in await fetch_rows(
            datasette, "select * from gate_assurance where project_id = :id order by gate_order", p
        )
    }
    # The latest ACTIVITIES_SHOWN at each gate, and the one a link asks for (?activity=).
    activities = await fetch_rows(
        datasette,
        """
        with shown as (
          select id, latest from (
            select id, row_number() over (partition by gate order by activity_date desc, id desc) as latest
            from coproduction_log where project_id = :id
          ) where latest <= :shown or id = :activity
        )
        select l.*, b.balance, s.latest from shown s join coproduction_log l on l.id = s.id
        left join measure_balance b on b.activity_id = l.id
        order by l.activity_date, l.id""",
        {**p, "shown": ACTIVITIES_SHOWN, "activity": request.args.get("activity") or ""},
    )
    totals = {
        r["gate"]: r["activities"]
        for r in await fetch_rows(
            datasette, "select gate, activities from log_by_project_gate where project_id = :id", p
        )
    }
    groups: dict[str, list[str]] = {}
    for r in await fetch_rows(
        datasette,
        f"""
            select g.coproduction_log_id as activity, g.code from [{GROUPS_TABLE}] g
            where g.coproduction_log_id in (select value from json_each(:ids))""",
        {"ids": json.dumps([a["id"] for a in activities])},
    ):
        groups.setdefault(r["activity"], []).append(r["code"])
    group_order = list(codelists.get("groups", {}))

    def in_order(codes) -> list[str]:
        return sorted(codes, key=lambda c: group_order.index(c) if c in group_order else 999)

    # A partner's verdict on an activity (was it what the log says?) is shown with it.
    on_activity: dict[str, list[dict]] = {}
    for v in await fetch_rows(
        datasette,
        """
            select * from partner_verdicts where log_id in (select value from json_each(:ids))
            order by verdict_date, id""",
        {"ids": json.dumps([a["id"] for a in activities])},
    ):
        on_activity.setdefault(v["log_id"], []).append(v)
    for a in activities:
        a["group_codes"] = in_order(groups.get(a["id"], []))
        a["verdicts"] = on_activity.get(a["id"], [])
    link.add("coproduction_log", {a["id"]: a["title"] for a in activities})
    every_group = await fetch_rows(
        datasette,
        f"""
            select distinct g.code from [{GROUPS_TABLE}] g join coproduction_log l on l.id = g.coproduction_log_id
            where l.project_id = :id""",
        p,
    )

    gates = []
    for code, gate in codelists.get("gates", {}).items():
        shown = [a for a in activities if a["gate"] == code]
        gates.append(
            {
                **gate,
                "assurance": assurance.get(code),
                "activities": shown,
                "total": max(totals.get(code, 0), len(shown)),
                "latest_shown": sum(1 for a in shown if a["latest"] <= ACTIVITIES_SHOWN),
                "linked": any(a["latest"] > ACTIVITIES_SHOWN for a in shown),
                "all_href": datasette.urls.table(DB, "coproduction_log")
                + f"?project_id={quote(project_id)}&gate={quote(code)}",
                "is_current": code == project["current_gate"],
            }
        )

    impacts = await fetch_rows(
        datasette,
        """
        select c.code as characteristic_code, e.*, i.assessed as impact_assessed from characteristics c
        left join equality_impacts e on e.characteristic = c.code and e.project_id = :id
        left join impacts i on i.code = e.impact
        order by c.sort_order, c.code""",
        p,
    )
    eia_summary = (
        await fetch_rows(datasette, "select * from measure_eia_coproduced where project_id = :id", p) or [None]
    )[0]

    items = await fetch_rows(
        datasette,
        """
        select * from (
          select c.*, y.source, y.source_section from you_said_we_did_current c
          join you_said_we_did y on y.id = c.id
          where c.project_id = :id order by c.said_date desc, c.id desc limit :shown
        ) order by said_date, id""",
        {**p, "shown": ITEMS_SHOWN},
    )
    shown = {"ids": json.dumps([item["id"] for item in items])}
    history: dict[str, list[dict]] = {}
    for u in await fetch_rows(
        datasette,
        f"""
            select u.* from you_said_we_did_updates u
            where u.you_said_id in (select value from json_each(:ids))
            order by u.update_date, {id_number("u.id")}, u.id""",
        shown,
    ):
        history.setdefault(u["you_said_id"], []).append(u)
    verdicts: dict[str, list[dict]] = {}
    for v in await fetch_rows(
        datasette,
        """
            select v.* from partner_verdicts v join you_said_we_did_updates u on u.id = v.update_id
            where u.you_said_id in (select value from json_each(:ids)) order by v.verdict_date, v.id""",
        shown,
    ):
        verdicts.setdefault(v["update_id"], []).append(v)
    for item in items:
        item["history"] = [{**u, "verdicts": verdicts.get(u["id"], [])} for u in history.get(item["id"], [])]
    status_counts = {
        r["code"]: r["items"]
        for r in await fetch_rows(
            datasette,
            """
            select s.code, count(c.id) as items from statuses s
            left join you_said_we_did_current c on c.status = s.code and c.project_id = :id
            group by s.code order by s.sort_order, s.code""",
            p,
        )
    }
    figures = (await fetch_rows(datasette, "select * from project_figures where project_id = :id", p))[0]
    glance = {
        "groups": in_order(r["code"] for r in every_group),
        "activity_count": figures["activities"],
        "gates_with_activity": [g for g in gates if g["total"]],
        "lived_experience": figures["lived_experience_people"],
        "staff": figures["staff_people"],
        "item_count": figures["you_said_items"],
        "closed": figures["you_said_closed"],
        "overdue": figures["you_said_overdue"],
        "characteristics_recorded": figures["characteristics_recorded"],
        "characteristics_total": figures["characteristics_total"],
        "gaps": [a for a in assurance.values() if a["passed"] and not a["evidence_published"]],
        "passed_any": any(a["passed"] for a in assurance.values()),
    }
    return await render_page(
        datasette,
        request,
        "project.html",
        {
            "project": project,
            "credit": await publisher_credit(datasette, "projects", project_id),
            "today": today,
            "gates": gates,
            "activities": activities,
            "impacts": impacts,
            "eia_summary": eia_summary,
            "items": items,
            "all_items_href": datasette.urls.path("/you-said") + f"?project={quote(project_id)}",
            "status_counts": status_counts,
            "glance": glance,
            # Which statuses close the loop is said in the statuses codelist.
            "closing_statuses": [s["title"] for s in codelists.get("statuses", {}).values() if s.get("closes_loop")],
            "link": link,
            "feeds": feed_links(datasette) + feed_links(datasette, project_id),
        },
    )
