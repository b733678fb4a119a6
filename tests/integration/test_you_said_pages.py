"""The "You said" pages (src/register/site/you_said.py, you_said_list.py, cells.py and the
item feed in feeds.py), in-process against the real build.

What a page should say is worked out here from the base tables and the codelists' CSVs
(never from the views the pages read): an item's status is its latest update, its due
date the default response rule applied to the date it was said, and so on.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest

from register.database.build import build
from register.schema.package import ROOT, Package
from register.site.serve import datasette_instance
from tests.conftest import Client, copy_repo, rewrite_dataset
from tests.schema_text import column_title
from tests.staff_helpers import make

ATOM = "{http://www.w3.org/2005/Atom}"
FRESH = {"Cookie": "you-said-test=1"}  # past the response cache, where a test changes the page size


def codelist(name: str) -> dict[str, dict]:
    with (ROOT / "datasets" / "codelists" / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


STATUSES = codelist("statuses")
CURRENT = "you_said_we_did_current"
CLOSED = {c for c, r in STATUSES.items() if r["closes_loop"] == "true"}


def text_of(html: str) -> str:
    """The visible words of a page's main content, tags removed, spaces collapsed."""
    main = html.split('id="main-content"', 1)[1].split(">", 1)[1]
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())
    return re.sub(r" ([,.;:)])", r"\1", words)


def item_hrefs(html: str) -> list[str]:
    """The "You said" items a list page shows, in order (their headings' links)."""
    return re.findall(r'<h3 class="reg-yswd__heading"><a href="/you-said/([^"]+)"', html)


def add_days(start: dt.date, n: int, unit: str) -> dt.date:
    if unit == "calendar_days":
        return start + dt.timedelta(days=n)
    if unit == "weeks":
        return start + dt.timedelta(weeks=n)
    raise AssertionError(f"this test knows no rule in {unit!r} for the sample data")


@pytest.fixture(scope="module")
def db(build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def items(db) -> dict[str, dict]:
    """Every item as its page should show it, worked out from the base tables."""
    rules = codelist("response_rules")
    default = next(r for r in rules.values() if r["is_default"] == "true")
    today = dt.date.today()
    out = {}
    for y in db.execute("select y.*, p.organisation from you_said_we_did y join projects p on p.id = y.project_id"):
        out[y["id"]] = {**dict(y), "updates": []}
    for u in db.execute("select * from you_said_we_did_updates order by update_date, id"):
        out[u["you_said_id"]]["updates"].append(dict(u))
    for item in out.values():
        last = item["updates"][-1] if item["updates"] else None
        item["status"] = last["status"] if last else "open"
        item["closed"] = item["status"] in CLOSED
        said = dt.date.fromisoformat(item["said_date"])
        rule = rules[item["response_rule"]] if item.get("response_rule") else default
        if item["target_date"]:
            item["due"], item["basis"] = dt.date.fromisoformat(item["target_date"]), "set"
        else:
            item["due"], item["basis"] = add_days(said, int(rule["due_after"]), rule["due_unit"]), "derived"
        item["overdue"] = item["due"] < today and not item["closed"]
        end = dt.date.fromisoformat(last["update_date"]) if item["closed"] else today
        item["days_open"] = (end - said).days
        item["closed_late"] = max((end - item["due"]).days, 0) if item["closed"] else 0
        item["we_did"] = (last["we_did"] or last["reason"]) if last else None
    return out


# ---------------------------------------------------------------------------------------
# One item's page.


def test_every_item_has_a_page_with_its_whole_story(client, items, db):
    statuses = {c: r["title"] for c, r in STATUSES.items()}
    themes = {c: r["title"] for c, r in codelist("themes").items()}
    for item_id, item in items.items():
        response = client.get(f"/you-said/{item_id}")
        assert response.status_code == 200, item_id
        html = response.text
        assert '<html lang="en-GB"' in html and html.count("<h1") == 1
        words = text_of(html)
        assert " ".join(item["you_said"].split()) in words
        assert f'href="/projects/{item["project_id"]}"' in html
        assert f'href="/register/themes/{item["theme"]}">{themes[item["theme"]]}</a>' in html
        if item["activity_id"]:
            # Its project's page shows that activity when asked (?activity=), however many it has.
            activity = item["activity_id"]
            assert f'href="/projects/{item["project_id"]}?activity={activity}#{activity}"' in html
            # Said at the activity on its day, or recorded in one dated otherwise (a report).
            (held,) = db.execute("select activity_date from coproduction_log where id = ?", (activity,)).fetchone()
            said = words.split(column_title(CURRENT, "said_date"), 1)[1].split("Project", 1)[0]
            assert ("; recorded in" in said) == (held != item["said_date"]), item_id
            assert (" at " in said.split(activity, 1)[0]) == (held == item["said_date"]), item_id
        status_now = words.split(column_title(CURRENT, "status"), 1)[1]
        assert status_now.startswith(f" {statuses[item['status']]}"), item_id
        due = f"{item['due'].day} {item['due']:%B %Y}"
        basis = "a date set by staff" if item["basis"] == "set" else "worked out from the response rule"
        # The worked-out due date by its own title, never target_date's (the date staff set).
        due_title = column_title(CURRENT, "due_date")
        assert due_title != column_title("you_said_we_did", "target_date")
        assert f"{due_title} {due}, {basis}" in words, item_id
        assert column_title("you_said_we_did", "target_date") not in words, item_id
        due_words = words.split(due_title, 1)[1].split("Days open", 1)[0]
        assert ("Overdue: the loop was not closed by then." in due_words) == item["overdue"], item_id
        # A loop closed after its due date says so, as an open one past it is overdue.
        late = item["closed_late"]
        assert (
            f"Closed late: the loop closed {late:,} {'day' if late == 1 else 'days'} after it was due." in due_words
        ) == (late > 0), item_id
        assert ("The loop closed by then." in due_words) == (item["closed"] and not late), item_id
        days = item["days_open"]
        assert f"Days open {days:,} {'day' if days == 1 else 'days'}" in words, item_id
        # The timeline: every update in order, with what was done or why not, and the verdicts.
        timeline = words.split("Timeline", 1)[1].split("Corrections", 1)[0]
        positions = [timeline.find(u["id"]) for u in item["updates"]]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), item_id
        for u in item["updates"]:
            assert " ".join((u["we_did"] or u["reason"]).split()) in timeline, u["id"]
        verdicts = db.execute(
            "select count(*) from partner_verdicts v join you_said_we_did_updates u on u.id = v.update_id "
            "where u.you_said_id = ?",
            (item_id,),
        ).fetchone()[0]
        if not verdicts:
            assert timeline.count("No partner has given a verdict yet.") == len(item["updates"]), item_id
        assert f'href="/feeds/you-said/{item_id}.atom"' in html
        assert f'href="/register/you_said_we_did/{item_id}"' in html


def test_unknown_item_is_a_plain_404_page(client):
    for path in ("/you-said/YS-9999", "/you-said/%3Cscript%3E", "/feeds/you-said/YS-9999.atom"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_a_page_asked_for_as_data_says_where_its_data_is(client, items, suffix):
    """/you-said/YS-0001.json is no item called YS-0001.json: the item is there, as data elsewhere."""
    item_id = next(iter(items))
    project_id = items[item_id]["project_id"]
    for page, data in (
        (f"/you-said/{item_id}.{suffix}", f"/register/you_said_we_did/{item_id}.{suffix}"),
        (f"/projects/{project_id}.{suffix}", f"/register/projects/{project_id}.{suffix}"),
    ):
        response = client.get(page)
        assert response.status_code == 404
        words = unescape(response.text)
        assert f"This page is not made as .{suffix}." in words and f"as data is at {data}" in words, page
        assert client.get(data).status_code == 200


def test_an_identifier_typed_in_small_letters_reaches_its_record(client, items, db):
    """People copy identifiers from print and type them as they come: /you-said/ys-0002
    is a permanent redirect to YS-0002's page (its query kept), so are a project's page
    and an item's feed; the list's project filter and the search find it too."""
    item = sorted(items)[0]
    project = items[item]["project_id"]
    for typed, canonical in (
        (f"/you-said/{item.lower()}?from=leaflet", f"/you-said/{item}?from=leaflet"),
        (f"/projects/{project.lower()}", f"/projects/{project}"),
        (f"/feeds/you-said/{item.lower()}.atom", f"/feeds/you-said/{item}.atom"),
    ):
        response = client.get(typed)
        assert response.status_code == 301 and response.headers["location"] == canonical, typed
        assert client.get(canonical).status_code == 200, canonical
    assert client.get("/you-said/ys-9999").status_code == 404
    for feed in ("you-said", "status-changes"):
        same = client.get(f"/feeds/{feed}.atom?project={project.lower()}")
        assert same.status_code == 200 and same.content == client.get(f"/feeds/{feed}.atom?project={project}").content
    listed = client.get(f"/you-said?project={project.lower()}")
    assert listed.status_code == 200 and f'value="{project}"' in listed.text
    assert f'data-key="{item}"' in client.get(f"/search?q={item.lower()}").text


def test_a_national_identifier_keeps_its_publishers_prefix_in_small_letters():
    """Capitalising the whole of nn_icb:PRJ-0001 could never find it."""
    from register.site.links import id_spellings

    assert "nn_icb:PRJ-0001" in id_spellings("NN_ICB:prj-0001")
    assert id_spellings(" nn_icb:PRJ-0001 ")[0] == "nn_icb:PRJ-0001"
    assert "YS-0002" in id_spellings("ys-0002")


def test_corrections_are_shown_or_said_to_be_none(client, items, db):
    corrected = {
        r["record_id"]
        for r in db.execute(
            "select record_id from corrections where resource in ('you_said_we_did', 'you_said_we_did_updates')"
        )
    }
    for item_id, item in items.items():
        words = text_of(client.get(f"/you-said/{item_id}").text).split("Corrections", 1)[1]
        mine = {item_id, *(u["id"] for u in item["updates"])} & corrected
        assert ("Nothing on this item has been corrected" in words) == (not mine), item_id


def in_words(iso) -> str:
    """6 August 2024, written out here rather than by the site's own function."""
    d = dt.date.fromisoformat(str(iso))
    return f"{d.day} {d:%B %Y}"


def test_item_feed_has_the_item_and_every_change(client, items, db):
    for item_id, item in items.items():
        response = client.get(f"/feeds/you-said/{item_id}.atom")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(response.content).findall(f"{ATOM}entry")
        titles = [e.find(f"{ATOM}title").text for e in entries]
        updates = [u["id"] for u in item["updates"]]
        verdicts = db.execute(
            "select count(*) from partner_verdicts where update_id in (select value from json_each(?)) or log_id = ?",
            (json.dumps(updates), item["activity_id"]),
        ).fetchone()[0]
        corrections = db.execute(
            "select count(*) from corrections where record_id in (select value from json_each(?))",
            (json.dumps([item_id, *updates]),),
        ).fetchone()[0]
        assert len(entries) == 1 + len(updates) + verdicts + corrections, item_id
        assert f"{item_id} was said" in titles
        for u in item["updates"]:
            assert f"{item_id} is now {STATUSES[u['status']]['title']}" in titles
        stamps = [e.find(f"{ATOM}updated").text for e in entries]
        assert stamps == sorted(stamps, reverse=True)  # newest first
        for e in entries:
            assert urlsplit(e.find(f"{ATOM}link").get("href")).path == f"/you-said/{item_id}"
        # Each entry says its date in words, as the status-changes feed's entries do.
        content = {e.find(f"{ATOM}title").text: e.find(f"{ATOM}content").text for e in entries}
        said_on = column_title(CURRENT, "said_date")
        assert f"{said_on}: {in_words(item['said_date'])}" in content[f"{item_id} was said"], item_id
        changed_on = column_title("you_said_we_did_updates", "update_date")
        for u in item["updates"]:
            entry = next(e for e in entries if e.find(f"{ATOM}link").get("href").endswith(f"#{u['id']}"))
            assert f"{changed_on}: {in_words(u['update_date'])}" in entry.find(f"{ATOM}content").text, u["id"]


def test_the_worked_out_due_date_has_its_own_title_on_every_page_and_feed(client, items):
    """The due date the pages and feeds show is you_said_we_did_current.due_date (set by
    staff or worked out from a rule): called by its title, never by target_date's, the
    date staff set, which readers could not tell from it."""
    due, target = column_title(CURRENT, "due_date"), column_title("you_said_we_did", "target_date")
    item = next(i for i in sorted(items.values(), key=lambda i: (i["said_date"], i["id"]), reverse=True))
    when = f"{item['due'].day} {item['due']:%B %Y}"
    pages = {
        "/you-said": text_of(client.get("/you-said").text).split(f"{item['id']}:", 1)[1],
        "/projects/": text_of(client.get(f"/projects/{item['project_id']}").text).split(f"{item['id']}:", 1)[1],
    }
    for page, words in pages.items():
        assert f"{due} {when} (" in words[:2000], page
        assert target not in words, page
    for feed in ("/feeds/you-said.atom", f"/feeds/you-said/{item['id']}.atom"):
        contents = [e.find(f"{ATOM}content").text for e in ET.fromstring(client.get(feed).content).iter(f"{ATOM}entry")]
        lines = [line for c in contents for line in c.splitlines()]
        assert f"{due}: {when}, " in "\n".join(lines), feed
        assert not [line for line in lines if line.startswith(f"{target}: ")], feed


# ---------------------------------------------------------------------------------------
# The list of every item.


def test_an_overdue_item_is_updated_in_the_feeds_on_the_day_it_turned_overdue(client, items, db):
    """ "(overdue)" is added to an item's entries the day after its due date: their
    `updated` says so, so feed readers show them again; `published` stays the day it was said."""
    item_id, due, said = db.execute(
        "select id, due_date, said_date from you_said_we_did_current where overdue order by said_date desc, id desc"
    ).fetchone()
    turned = (dt.date.fromisoformat(due) + dt.timedelta(days=1)).isoformat()
    root = ET.fromstring(client.get(f"/feeds/you-said/{item_id}.atom").content)
    entry = next(e for e in root.findall(f"{ATOM}entry") if e.find(f"{ATOM}title").text == f"{item_id} was said")
    assert "(overdue)" in entry.find(f"{ATOM}content").text
    assert entry.find(f"{ATOM}published").text.startswith(said)
    assert entry.find(f"{ATOM}updated").text >= turned
    root = ET.fromstring(client.get("/feeds/you-said.atom").content)
    entry = next(e for e in root.findall(f"{ATOM}entry") if e.find(f"{ATOM}link").get("href").endswith(f"/{item_id}"))
    assert entry.find(f"{ATOM}updated").text >= turned


def test_list_counts_items_by_status(client, items):
    html = client.get("/you-said").text
    words = text_of(html)
    for code, row in STATUSES.items():
        n = sum(1 for i in items.values() if i["status"] == code)
        assert f"{row['title']}: {n:,}" in words, code
    assert f"{len(items):,} items" in words
    assert "Items by status" in words
    # With a status chosen, the counts are still of every status: the heading says so.
    chosen = text_of(client.get("/you-said?status=done").text)
    assert "Every status, with your other choices" in chosen and "Items chosen, by status" not in chosen
    for code, row in STATUSES.items():
        assert f"{row['title']}: {sum(1 for i in items.values() if i['status'] == code):,}" in chosen, code


@pytest.mark.parametrize(
    "query",
    [
        {"overdue": "yes"},
        {"from": "middle"},
        {"to": "middle", "overdue": "no"},
        {"from": "middle", "overdue": "yes", "status": "open"},
        {"theme": "some", "overdue": "yes"},
        {"theme": "some", "from": "middle"},
    ],
    ids=str,
)
def test_counts_by_status_agree_with_the_items_however_they_are_counted(client, items, query):
    """The counts come from the summary, each status's range of an index, or the items
    grouped by status, as the filters allow: each way gives the items' own counts."""
    dates = sorted({i["said_date"] for i in items.values()})
    some = sorted(items.values(), key=lambda i: i["id"])[len(items) // 2]
    query = {k: {"middle": dates[len(dates) // 2], "some": some.get(k)}.get(v, v) for k, v in query.items()}
    keep = {
        "overdue": lambda i, v: i["overdue"] == (v == "yes"),
        "from": lambda i, v: i["said_date"] >= v,
        "to": lambda i, v: i["said_date"] <= v,
        "theme": lambda i, v: i["theme"] == v,
        "status": lambda i, v: True,  # the counts are of every status
    }
    chosen = [i for i in items.values() if all(keep[k](i, v) for k, v in query.items())]
    words = text_of(client.get("/you-said?" + urlencode(query), headers=FRESH).text)
    assert 0 < len(chosen) < len(items)
    for code, row in STATUSES.items():
        assert f"{row['title']}: {sum(1 for i in chosen if i['status'] == code):,}" in words, code


def test_list_shows_you_said_we_did_and_status_newest_first(client, items):
    html = client.get("/you-said").text
    newest = sorted(items.values(), key=lambda i: (i["said_date"], i["id"]), reverse=True)
    shown = item_hrefs(html)
    assert shown == [i["id"] for i in newest[: len(shown)]] and shown
    words = text_of(html)
    for item in newest[: len(shown)]:
        block = words.split(f"{item['id']}:", 1)[1]
        assert block.startswith(" ") and "You said" in block[:200]
        we_did = " ".join(item["we_did"].split()) if item["we_did"] else "Nothing yet."
        assert we_did in block, item["id"]
    assert 'href="/register/you_said_we_did_current"' in html
    assert 'href="/register/you_said_we_did_updates"' in html


def _shown(client, query: dict) -> list[str]:
    """Every item the list shows for a query, page after page."""
    shown, page = [], 1
    while True:
        response = client.get("/you-said?" + urlencode({**query, "page": page}), headers=FRESH)
        assert response.status_code == 200, query
        shown += item_hrefs(response.text)
        if 'rel="next"' not in response.text:
            return shown
        page += 1


def test_every_filter_and_sort_chooses_the_right_items(client, items, db, monkeypatch):
    from register.site import you_said_list

    monkeypatch.setattr(you_said_list, "PAGE_SIZE", 7)
    some = sorted(items.values(), key=lambda i: i["id"])[len(items) // 2]
    dates = sorted({i["said_date"] for i in items.values()})
    cases = {
        "status": ({"status": some["status"]}, lambda i: i["status"] == some["status"]),
        "theme": ({"theme": some["theme"]}, lambda i: i["theme"] == some["theme"]),
        "project": ({"project": some["project_id"]}, lambda i: i["project_id"] == some["project_id"]),
        "organisation": ({"organisation": some["organisation"]}, lambda i: i["organisation"] == some["organisation"]),
        "overdue": ({"overdue": "yes"}, lambda i: i["overdue"]),
        "not overdue": ({"overdue": "no"}, lambda i: not i["overdue"]),
        "from": ({"from": dates[len(dates) // 2]}, lambda i: i["said_date"] >= dates[len(dates) // 2]),
        "to": ({"to": dates[len(dates) // 2]}, lambda i: i["said_date"] <= dates[len(dates) // 2]),
        "all": ({}, lambda i: True),
    }
    cases["project, typed in lower case"] = ({"project": some["project_id"].lower()}, cases["project"][1])
    newest = sorted(items.values(), key=lambda i: (i["said_date"], i["id"]), reverse=True)
    for name, (query, keep) in cases.items():
        assert _shown(client, query) == [i["id"] for i in newest if keep(i)], name
    # The organisation filter offers only organisations that lead a project (another finds nothing).
    html = client.get("/you-said", headers=FRESH).text
    offered = set(
        re.findall(r'<option value="([^"]+)"[^>]*>', html.split('name="organisation"', 1)[1].split("</select>")[0])
    )
    leaders = {r[0] for r in db.execute("select distinct organisation from projects where organisation is not null")}
    assert offered - {""} == leaders
    assert (
        db.execute(
            "select count(*) from organisations where code not in (select organisation from projects "
            "where organisation is not null)"
        ).fetchone()[0]
        > 0
    )  # so the sample checks the case
    oldest = sorted(items.values(), key=lambda i: (i["said_date"], i["id"]))
    assert _shown(client, {"sort": "oldest"}) == [i["id"] for i in oldest]
    # By due date: the open items first, the longest overdue at the top, then the closed
    # ones (a page of 7 has both on it), as the choice says; with every filter too.
    by_due = sorted(items.values(), key=lambda i: (i["closed"], i["due"], i["id"]))
    assert any(i["closed"] for i in by_due) and any(i["overdue"] for i in by_due)
    for name, (query, keep) in cases.items():
        assert _shown(client, {**query, "sort": "due"}) == [i["id"] for i in by_due if keep(i)], name
    # The same items whichever way the page is found: walked in due-date order, or read
    # by the filter's index and sorted (the list chooses from the counts).
    chosen = []
    monkeypatch.setattr(you_said_list, "walk_due_dates", lambda *a: chosen.append(a) or way)
    for way in (True, False):
        for name, (query, keep) in cases.items():
            shown = _shown(client, {**query, "sort": "due"})
            assert shown == [i["id"] for i in by_due if keep(i)], (way, name)
    assert chosen
    monkeypatch.undo()
    monkeypatch.setattr(you_said_list, "PAGE_SIZE", 7)
    label = html.split('name="sort"', 1)[1].split("</select>")[0]
    assert '<option value="due">Due date, earliest first; closed items last</option>' in label
    # Filters and paging together: the next page keeps the filters.
    html = client.get("/you-said?" + urlencode({"sort": "oldest", "status": "planned"}), headers=FRESH).text
    planned = sum(1 for i in items.values() if i["status"] == "planned")
    assert planned > 7  # the sample data has enough planned items to page
    assert 'href="/you-said?sort=oldest&amp;status=planned&amp;page=2"' in html


def test_an_unknown_code_is_answered_with_each_code_and_its_title(client):
    html = unescape(client.get("/you-said?status=closed").text)
    assert "There is no status 'closed' in the register. Choose one of: open (Open), planned (Planned), " in html
    assert "in_progress (In progress)" in html


@pytest.mark.parametrize(
    "query",
    [
        "status=nope",
        "theme=nope",
        "organisation=nope",
        "project=PRJ-9999",
        "overdue=maybe",
        "from=2024-13-01",
        "to=yesterday",
        "from=2025-01-02&to=2025-01-01",
        "sort=random",
        "page=two",
        "page=0",
        "status=%3Cscript%3E",
    ],
)
def test_bad_filter_values_are_a_400_with_a_plain_message(client, query):
    response = client.get(f"/you-said?{query}")
    assert response.status_code == 400, query
    html = response.text
    assert '<div class="error-summary" role="alert">' in html
    assert "Traceback" not in html and "<script>" not in html.split("</head>", 1)[1].replace("<script src", "")


@pytest.mark.parametrize(
    "query,name,says",
    [
        ("from=2024-13-01", "from", "there is no day '2024-13-01' in the calendar"),
        ("to=2025-02-29", "to", "there is no day '2025-02-29' in the calendar"),
        ("to=yesterday", "to", "must be a date written as year-month-day, such as 2024-08-06, not 'yesterday'"),
        ("from=2025-01-02&to=2025-01-01", "from", "is after"),
    ],
)
def test_a_bad_date_is_named_as_the_form_labels_it(client, query, name, says):
    """The message names the date box the visitor filled in, in the form's own words."""
    html = client.get("/you-said").text
    label = re.search(rf'<label for="([^"]+)">([^<]+)</label>\s*<input id="\1" name="{name}"', html).group(2)
    response = client.get(f"/you-said?{query}")
    assert response.status_code == 400
    message = unescape(response.text.split('<div class="error-summary" role="alert">', 1)[1].split("</div>", 1)[0])
    assert f'"{label}"' in message and says in message, message


def test_a_page_past_the_end_is_a_404(client, items):
    assert client.get("/you-said?page=999").status_code == 404


# ---------------------------------------------------------------------------------------
# Links to the item's page, and codes shown as their titles.


def test_navigation_goes_to_the_designed_list(client):
    html = client.get("/").text
    assert re.search(r'<a class="site-nav__link" href="/you-said">You said, we did</a>', html)


def test_from_search_one_click_reaches_the_item_and_its_timeline(client, items):
    item = max(items.values(), key=lambda i: len(i["updates"]))
    words = re.findall(r"[A-Za-z]{5,}", item["you_said"])[:3]
    html = client.get("/search?" + urlencode({"q": '"' + " ".join(item["you_said"].split()[:6]) + '"'})).text
    hrefs = re.findall(r'<h3 class="reg-result__title"><a href="([^"]+)"', html)
    assert f"/you-said/{item['id']}" in hrefs, words
    page = client.get(f"/you-said/{item['id']}").text
    for u in item["updates"]:
        assert f'id="{u["id"]}"' in page


def test_item_pages_are_linked_from_projects_feeds_and_row_pages(client, items):
    item = next(iter(items.values()))
    assert f'href="/you-said/{item["id"]}"' in client.get(f"/projects/{item['project_id']}").text
    assert f'href="/you-said/{item["id"]}"' in client.get(f"/register/you_said_we_did/{item['id']}").text
    for feed in ("/feeds/you-said.atom", "/feeds/status-changes.atom"):
        root = ET.fromstring(client.get(feed).content)
        links = [urlsplit(e.find(f"{ATOM}link").get("href")).path for e in root.findall(f"{ATOM}entry")]
        assert links and all(re.fullmatch(r"/you-said/[^/]+", p) for p in links), feed
    html = client.get("/register/you_said_we_did_updates").text
    assert re.search(r'<td class="col-you_said_id[^>]*><a href="/you-said/YS-\d+"', html)


def test_every_row_page_shows_codes_and_keys_as_titled_links(client, db):
    """Each main table's first row: every foreign key cell shows the target's title, linked
    to the designed page (projects, "You said" items) or to the target's row."""
    designed = {"projects": "/projects/", "you_said_we_did": "/you-said/"}
    tables = [
        r[0]
        for r in db.execute(
            "select name from sqlite_master where type = 'table' and name in "
            "('projects', 'coproduction_log', 'equality_impacts', 'you_said_we_did', "
            "'you_said_we_did_updates', 'themes')"
        )
    ]
    assert len(tables) == 6
    checked = 0
    for table in tables:
        row = db.execute(f"select * from [{table}] order by rowid limit 1").fetchone()
        pk = row["code"] if table == "themes" else row["id"]
        html = client.get(f"/register/{table}/{pk}").text
        for fk in db.execute(f"select * from pragma_foreign_key_list('{table}')"):
            value = row[fk["from"]]
            if value in (None, ""):
                continue
            target = fk["table"]
            href = designed.get(target, f"/register/{target}/") + value
            cell = re.search(rf'<tr class="col-{fk["from"]}">.*?<td[^>]*>(.*?)</td>', html, re.S).group(1)
            assert f'<a href="{href}">' in cell, (table, fk["from"], cell)
            cols = [c[1] for c in db.execute(f"pragma table_info([{target}])")]
            if "title" in cols:
                title = db.execute(f"select title from [{target}] where [{fk['to']}] = ?", (value,)).fetchone()[0]
                assert unescape(cell).startswith(f'<a href="{href}">{title}</a>'), (table, fk["from"])
            checked += 1
    assert checked >= 10


# ---------------------------------------------------------------------------------------
# How to follow an item.


def test_how_to_follow_reads_its_rules_from_the_codelists(client):
    response = client.get("/you-said/how-to-follow")
    assert response.status_code == 200
    words = text_of(response.text)
    for row in STATUSES.values():
        assert row["title"] in words and " ".join(row["description"].split()) in words
    for row in codelist("response_rules").values():
        assert f"Due {row['due_after']} {row['due_unit'].replace('_', ' ')} after it was said" in words
    for row in codelist("verdicts").values():
        assert row["title"] in words
    closing = [STATUSES[c]["title"].lower() for c in STATUSES if c in CLOSED]
    assert f"The loop is closed when an item is {', or '.join(closing)}" in words
    assert "the loop. This closes the loop." not in words  # said once, by the paragraph above
    # The kinds of independent partner, in a sentence: a name keeps its capital.
    kinds = [r["title"] for r in codelist("organisation_kinds").values() if r["independent_partner"] == "true"]
    assert f"Independent partners ({', '.join(k[:1].lower() + k[1:] for k in kinds)})" in words
    assert 'href="/you-said/how-to-follow"' in client.get("/you-said").text


# ---------------------------------------------------------------------------------------
# A verdict and a correction made with the real staff commands, in a scratch copy (the
# real data has neither: none is invented).

WORDS = "The <b>leaflet</b> was promised but we have not seen it."
REASON = "The section was typed wrongly in the first publication."
NEW_SECTION = "Table 9"
NEW_WORDS = "Yes, we were there."
NEW_THEME = "governance"


def field_title(resource: str, name: str) -> str:
    schema = json.loads((ROOT / "schemas" / f"{resource}.json").read_text(encoding="utf-8"))
    return next(f["title"] for f in schema["fields"] if f["name"] == name)


@pytest.fixture(scope="module")
def attested(tmp_path_factory):
    """The register after `make attest` (a partner disagrees with an update) and `make
    correct` (of the item the update belongs to), built again."""
    root = copy_repo(tmp_path_factory.mktemp("attested-repo"))
    partners = {c for c, r in codelist("organisation_kinds").items() if r["independent_partner"] == "true"}
    partner = next(r for r in codelist("organisations").values() if r["kind"] in partners)
    with (root / "datasets" / "you_said_we_did_updates.csv").open(newline="", encoding="utf-8") as f:
        update = next(csv.DictReader(f))
    with (root / "datasets" / "you_said_we_did.csv").open(newline="", encoding="utf-8") as f:
        item = next(r for r in csv.DictReader(f) if r["id"] == update["you_said_id"])
    cite = {"SOURCE": update["source"], "SECTION": update["source_section"]}
    result = make(
        "attest", root, UPDATE=update["id"], PARTNER=partner["code"], VERDICT="disagrees", WORDS=WORDS, **cite
    )
    assert result.returncode == 0, result.stderr
    result = make("correct", root, ID=item["id"], FIELD="source_section", VALUE=NEW_SECTION, REASON=REASON)
    assert result.returncode == 0, result.stderr
    result = make("correct", root, ID=item["id"], FIELD="theme", VALUE=NEW_THEME, REASON=REASON)
    assert result.returncode == 0, result.stderr
    # A verdict on the activity where the item was said, shown on the item's page, corrected.
    result = make(
        "attest", root, LOG=item["activity_id"], PARTNER=partner["code"], VERDICT="disagrees", WORDS="Yes.", **cite
    )
    assert result.returncode == 0, result.stderr
    with (root / "datasets" / "partner_verdicts.csv").open(newline="", encoding="utf-8") as f:
        on_activity = next(r for r in csv.DictReader(f) if r["log_id"] == item["activity_id"])
    result = make("correct", root, ID=on_activity["id"], FIELD="in_their_words", VALUE=NEW_WORDS, REASON=REASON)
    assert result.returncode == 0, result.stderr
    out = tmp_path_factory.mktemp("attested-build")
    build(Package(root), out)
    return Client(datasette_instance(out)), item, update, partner


def test_a_verdict_is_shown_beside_the_update_it_judges(attested):
    client, item, update, partner = attested
    html = client.get(f"/you-said/{item['id']}").text
    step = html.split(f'id="{update["id"]}"', 1)[1].split("</li>\n    </ul>", 1)[0]
    assert f'href="/register/organisations/{partner["code"]}">{partner["title"]}</a>' in step
    assert 'href="/register/verdicts/disagrees">Disagrees</a>' in step
    assert "The &lt;b&gt;leaflet&lt;/b&gt; was promised" in step and "<b>leaflet" not in html
    assert "No partner has given a verdict yet." not in step
    project = client.get(f"/projects/{item['project_id']}").text
    assert "The &lt;b&gt;leaflet&lt;/b&gt; was promised" in project


def test_a_correction_is_shown_on_the_items_page_and_in_its_feed(attested):
    client, item, update, partner = attested
    words = text_of(client.get(f"/you-said/{item['id']}").text).split("Corrections", 1)[1]
    # The field by its title in the schema, never its column name.
    section = field_title("you_said_we_did", "source_section")
    assert f"{item['id']}, {section} {item['source_section']} {NEW_SECTION} {REASON}" in words
    assert "source_section" not in words
    # A code is shown as its title, as everywhere else on the page.
    themes = codelist("themes")
    theme = field_title("you_said_we_did", "theme")
    assert f"{item['id']}, {theme} {themes[item['theme']]['title']} {themes[NEW_THEME]['title']} {REASON}" in words
    # The verdict on the activity is shown on the item's page: so is its correction.
    assert f"{field_title('partner_verdicts', 'in_their_words')} Yes. {NEW_WORDS} {REASON}" in words
    assert "Nothing on this item has been corrected" not in words
    root = ET.fromstring(client.get(f"/feeds/you-said/{item['id']}.atom").content)
    entries = {e.find(f"{ATOM}title").text: e for e in root.findall(f"{ATOM}entry")}
    correction = entries[f"Correction of {item['id']}, {section}"]
    assert REASON in correction.find(f"{ATOM}content").text
    recoded = entries[f"Correction of {item['id']}, {theme}"].find(f"{ATOM}content").text
    assert f"{column_title('corrections', 'new_value')}: {themes[NEW_THEME]['title']}" in recoded
    verdict = entries[f"{partner['title']}: disagrees on {update['id']}"]
    assert WORDS in verdict.find(f"{ATOM}content").text
    assert re.fullmatch(r"VER-\d{4,}", urlsplit(verdict.find(f"{ATOM}link").get("href")).fragment)
    changes = ET.fromstring(client.get("/feeds/status-changes.atom").content)
    contents = [e.find(f"{ATOM}content").text for e in changes.findall(f"{ATOM}entry")]
    assert any(WORDS in c for c in contents)


def test_a_verdict_given_later_updates_the_status_change_in_the_feed(attested):
    """A feed reader shows an entry again when its `updated` moves: a partner's verdict
    on a status change, given after it, moves it; `published` stays the change's date."""
    client, item, update, partner = attested
    rows = client.get(f"/register/partner_verdicts.json?update_id={update['id']}&_shape=array").json()
    given = max(v["verdict_date"] for v in rows)
    assert given > update["update_date"]
    root = ET.fromstring(client.get("/feeds/status-changes.atom").content)
    entry = next(e for e in root.findall(f"{ATOM}entry") if e.find(f"{ATOM}link").get("href").endswith(update["id"]))
    assert entry.find(f"{ATOM}published").text.startswith(update["update_date"])
    assert entry.find(f"{ATOM}updated").text.startswith(given)
    assert root.find(f"{ATOM}updated").text >= entry.find(f"{ATOM}updated").text


def test_a_verdict_on_an_activity_is_shown_with_it_on_its_projects_page(attested):
    client, item, update, partner = attested
    html = client.get(f"/projects/{item['project_id']}?activity={item['activity_id']}").text
    activity = html.split(f'<li class="reg-activity" id="{item["activity_id"]}">', 1)[1].split(" as data</a>", 1)[0]
    words = re.sub(r" ([,.;:)])", r"\1", " ".join(unescape(re.sub(r"<[^>]+>", " ", activity)).split()))
    assert f"What partners say {partner['title']}: Disagrees" in words and NEW_WORDS in words


def test_a_verdict_is_found_by_its_id_and_words_and_opens_where_it_is_shown(attested):
    """A verdict's ID is printed beside it: searching for it, or its words, finds it."""
    client, item, update, partner = attested
    on_update = client.get(f"/register/partner_verdicts.json?update_id={update['id']}&_shape=array").json()[0]
    html = client.get(f"/search?q={on_update['id']}").text
    assert f'href="/you-said/{item["id"]}#{on_update["id"]}"' in html
    on_activity = client.get(f"/register/partner_verdicts.json?log_id={item['activity_id']}&_shape=array").json()[0]
    html = client.get("/search", params={"q": NEW_WORDS}).text
    where = f'href="/projects/{item["project_id"]}?activity={item["activity_id"]}#{on_activity["id"]}"'
    assert where in html
    page = client.get(f"/projects/{item['project_id']}?activity={item['activity_id']}").text
    assert f'id="{on_activity["id"]}"' in page


def test_the_disputed_claims_measure_links_the_item_page(attested):
    client, item, update, partner = attested
    html = client.get("/measures/disputed_claims").text
    assert f'href="/you-said/{item["id"]}"' in html


def test_a_disputed_activity_has_no_item_or_update_and_links_its_record(attested):
    """An activity is not an update: its row says so, rather than "not recorded"."""
    client, item, update, partner = attested
    html = client.get("/measures/disputed_claims").text
    row = next(r for r in html.split("<tr>") if f">{NEW_WORDS}<" in r)
    cells = [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert "not recorded" not in cells
    assert cells.count("not an update") == 2
    assert f'href="/register/coproduction_log/{item["activity_id"]}"' in row
    assert f'href="/projects/{item["project_id"]}"' in html


def test_the_overdue_query_lists_every_overdue_item_linked_to_its_page(client, build_dir):
    """The canned query behind "overdue" shows the due date and its basis, and links each
    item to its page, exactly the items the view says are overdue today (up to the 200
    longest overdue, more than the sample has)."""
    conn = sqlite3.connect(build_dir / "register.db")
    overdue = {r[0] for r in conn.execute("SELECT id FROM you_said_we_did_current WHERE overdue = 1")}
    conn.close()
    assert overdue, "the sample has overdue items once due dates are derived"
    assert len(overdue) < 200
    page = client.get("/register/overdue_you_said.json?_shape=objects")
    assert page.status_code == 200
    rows = page.json()["rows"]
    assert {r["you_said_id"] for r in rows} == overdue
    assert all(r["due_date"] and r["due_date_basis"] in ("set", "derived") for r in rows)
    html = client.get("/register/overdue_you_said").text
    assert all(f'href="/you-said/{i}"' in html for i in overdue)
    assert [r["due_date"] for r in rows] == sorted(r["due_date"] for r in rows)  # longest overdue first
    # Where the description sends a reader for every overdue item.
    shown, page = set(), 1
    while True:
        listed = client.get(f"/you-said?overdue=yes&sort=due&page={page}")
        if listed.status_code == 404 and page > 1:  # past the last page
            break
        assert listed.status_code == 200
        shown |= {i for i in overdue if f'href="/you-said/{i}"' in listed.text}
        page += 1
    assert shown == overdue
    whole = client.get("/register/you_said_we_did_current.csv?overdue=1&_stream=on&_col=id")
    assert {line.split(",")[0] for line in whole.text.splitlines()[1:]} == overdue


@pytest.mark.parametrize("for_project", [False, True])
def test_you_said_feed_reads_an_index_in_its_order(db, items, for_project):
    """The feed of new items walks an index newest first and stops at its limit: it never
    sorts every item (register/site/feeds.py), and it gives the newest items."""
    from register.site.feeds import FEED_LIMIT, you_said_sql

    project = next(iter(items.values()))["project_id"]
    params = {"project": project} if for_project else {}
    plan = db.execute("explain query plan " + you_said_sql(for_project), params).fetchall()
    assert not any("TEMP B-TREE" in row[-1] for row in plan), [tuple(r) for r in plan]
    assert any("USING INDEX" in row[-1] and row[-1].startswith(("SCAN s", "SEARCH s")) for row in plan), plan
    mine = [i for i in items.values() if not for_project or i["project_id"] == project]
    newest = sorted(mine, key=lambda i: (i["said_date"], i["id"]), reverse=True)[:FEED_LIMIT]
    got = [r["id"] for r in db.execute(you_said_sql(for_project), params)]
    assert got == [i["id"] for i in newest]


def test_how_to_follow_says_a_rule_of_one_unit_in_the_singular(tmp_path):
    """A rule of one week reads "Due 1 week", not "Due 1 weeks"; the sentence on working
    days is there only when a rule counts them (and then says when the counting starts)."""
    root = copy_repo(tmp_path)
    path = root / "datasets" / "codelists" / "response_rules.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rules = list(csv.DictReader(f))
    for rule in rules:
        rule.update(due_after="1", due_unit="weeks" if rule["is_default"] == "true" else "calendar_days")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rules[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rules)
    build(Package(root), tmp_path / "build")
    words = text_of(Client(datasette_instance(tmp_path / "build")).get("/you-said/how-to-follow").text)
    assert "Due 1 week after it was said." in words and "Due 1 calendar day after it was said." in words
    assert "1 weeks" not in words and "1 calendar days" not in words
    assert "Working days leave out" not in words


def test_how_to_follow_says_when_working_days_are_counted_from(client):
    words = text_of(client.get("/you-said/how-to-follow").text)
    assert "Due 20 working days after it was said." in words
    assert "Working days leave out Saturdays, Sundays and bank holidays in England and Wales" in words
    assert "are counted from the day after the item was said" in words


def test_a_reopened_item_is_listed_with_its_status_not_as_not_taken_forward(tmp_path):
    """An item reopened (a new status of open, with why in reason) is listed as open with
    that reason, not as "Not taken forward: <reason>", which it was not."""
    root = copy_repo(tmp_path)
    why = "Reopened: the definition was never shared with the groups who asked for it."
    reopened = {}

    def reopen(rows):
        done = next(r for r in rows if r["status"] == "done")
        reopened.update(done)
        return [
            *rows,
            {**done, "id": "UPD-9001", "update_date": "2025-10-01", "status": "open", "we_did": "", "reason": why},
        ]

    rewrite_dataset(root, "you_said_we_did_updates", reopen)
    build(Package(root), tmp_path / "build")
    client = Client(datasette_instance(tmp_path / "build"))
    item = reopened["you_said_id"]
    html = unescape(client.get("/you-said", params={"status": "open", "sort": "oldest"}).text)
    listed = html.split(f'id="{item}"', 1)[1].split("</li>", 1)[0]
    assert why in listed
    assert STATUSES["not_taken_forward"]["title"] not in listed, listed
    assert f"{STATUSES['open']['title']}: {why}" in listed


def test_a_loop_closed_by_its_due_date_says_so_and_one_closed_after_says_how_late(tmp_path):
    """Every closed item of the sample closed after its due date, and its page said only
    "The loop is closed": a person checking the promise could not tell on time from late."""
    root = copy_repo(tmp_path)
    closed = {}

    def close(rows):
        done = next(r for r in rows if r["status"] == "done")
        closed.update(done)
        # An item said on 6 August 2024 (due 29 October 2024), done on its due date.
        return [*rows, {**done, "id": "UPD-9001", "you_said_id": "YS-0010", "update_date": "2024-10-29"}]

    rewrite_dataset(root, "you_said_we_did_updates", close)
    build(Package(root), tmp_path / "build")
    client = Client(datasette_instance(tmp_path / "build"))
    on_time = text_of(client.get("/you-said/YS-0010").text)
    assert "29 October 2024, worked out from the response rule" in on_time
    assert "The loop closed by then." in on_time and "Closed late" not in on_time
    late = text_of(client.get(f"/you-said/{closed['you_said_id']}").text)
    assert re.search(r"Closed late: the loop closed [0-9,]+ days after it was due\.", late)


@pytest.mark.parametrize(
    "query",
    ["status=open", "theme=accessibility&overdue=yes", "organisation=nn_icb&from=2024-09-01&sort=oldest", "overdue=no"],
)
def test_the_same_items_as_data_are_the_items_chosen(client, query):
    """ "The same items as data" linked the whole table whatever was chosen: the table it
    links now holds the items the list shows, no more."""
    html = unescape(client.get(f"/you-said?{query}").text)
    href = re.search(
        r'<a href="(/register/you_said_we_did_current\?[^"]+)">"You said, we did" with current status</a>', html
    )
    assert href, query
    data = client.get(href.group(1).replace("you_said_we_did_current?", "you_said_we_did_current.json?", 1)).json()
    listed = re.search(r"\(these ([0-9,]+) items?, as chosen above\)", html)
    assert listed and int(listed.group(1).replace(",", "")) == data["filtered_table_rows_count"], query


def test_items_not_yet_due_are_found_by_due_date_either_way(tmp_path, monkeypatch):
    """Sorted by due date and filtered to items not overdue, the open items not yet due
    are walked from today's due date on, past the overdue ones (the sample has none
    not yet due: here some are given due dates to come). Walked or read by index, the
    list is the same: the open ones by due date, then the closed ones."""
    from register.site import you_said_list

    root = copy_repo(tmp_path)
    today = dt.date.today()
    future = {}

    with (root / "datasets" / "you_said_we_did_updates.csv").open(newline="", encoding="utf-8") as f:
        updated = {u["you_said_id"] for u in csv.DictReader(f)}

    def due_later(rows):
        open_ids = [r["id"] for r in rows if r["id"] not in updated][::2]  # open: no update yet
        for n, r in enumerate(r for r in rows if r["id"] in open_ids):
            # Due today is not overdue yet: one is due today, the rest later.
            r["target_date"] = (today + dt.timedelta(days=n and 30 - n % 7)).isoformat()
            future[r["id"]] = r["target_date"]
        return rows

    rewrite_dataset(root, "you_said_we_did", due_later)
    build(Package(root), tmp_path / "build")
    client = Client(datasette_instance(tmp_path / "build"))
    db = sqlite3.connect(f"file:{tmp_path / 'build' / 'register.db'}?immutable=1", uri=True)
    expected = [
        r[0]
        for r in db.execute(
            "select id from you_said_we_did_status where not (due_date < date('now', 'localtime') and not loop_closed) "
            "order by loop_closed, due_date is null, due_date, id"
        )
    ]
    db.close()
    assert len([i for i in expected if i in future]) > 7  # open items not yet due, over more than one page
    monkeypatch.setattr(you_said_list, "PAGE_SIZE", 7)
    for way in (True, False):
        monkeypatch.setattr(you_said_list, "walk_due_dates", lambda *a, way=way: way)
        assert _shown(client, {"overdue": "no", "sort": "due"}) == expected, way
