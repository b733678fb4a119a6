"""The "You said" pages in real Chromium: zero axe violations (WCAG 2.0-2.2 A and AA) on
an item page of every shape, the list with and without filters, the explainer and the error pages;
320 px reflow; the filter form used as a person uses it; and from a "You said" text
found by search, one click to the item's page and its full timeline.

Fixtures (site_url, page, narrow_page, visit, axe) come from tests/browser/conftest.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.pages import describe

# One item of each shape its page can take: each branch of templates/register/you_said_item.html
# (status, loop closed, status date, due date and how it was set, overdue, closed late, activity,
# days open, updates, what was done, reasons, verdicts, corrections). Every item page is the
# same template: scanning one of each shape finds what scanning all 80 of the sample found,
# in 5 page loads instead of 80 (each about half a second of axe in Chromium).
SHAPES = """
select min(c.id) from you_said_we_did_current c join you_said_we_did_status s on s.id = c.id
group by c.status, c.loop_closed, c.status_date is null, c.due_date is null, c.due_date_basis, c.overdue,
  coalesce(s.loop_closed_date > c.due_date, 0), c.activity_id is null, c.days_open is null, c.updates = 0,
  exists(select 1 from you_said_we_did_updates u where u.you_said_id = c.id and u.we_did <> ''),
  exists(select 1 from you_said_we_did_updates u where u.you_said_id = c.id and u.reason <> ''),
  exists(select 1 from partner_verdicts v where v.log_id = c.activity_id
         or v.update_id in (select u.id from you_said_we_did_updates u where u.you_said_id = c.id)),
  exists(select 1 from corrections k where k.record_id = c.id
         or k.record_id in (select u.id from you_said_we_did_updates u where u.you_said_id = c.id))
order by 1"""


@pytest.fixture(scope="module")
def register(build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    try:
        shapes = [r[0] for r in conn.execute(SHAPES)]
        statuses = {r[0] for r in conn.execute("select distinct status from you_said_we_did_current")}
        covered = {
            r[0]
            for r in conn.execute(
                f"select distinct status from you_said_we_did_current where id in ({','.join('?' * len(shapes))})",
                shapes,
            )
        }
        # The item with the longest history, and a phrase of what was said, for search.
        busiest, said = conn.execute("""select y.id, y.you_said from you_said_we_did y
            order by (select count(*) from you_said_we_did_updates u where u.you_said_id = y.id) desc, y.id""").fetchone()
        updates = [
            r[0] for r in conn.execute("select id from you_said_we_did_updates where you_said_id = ?", (busiest,))
        ]
        theme = conn.execute("select theme from you_said_we_did group by 1 order by count(*) desc").fetchone()[0]
    finally:
        conn.close()
    return {
        "shapes": shapes,
        "statuses": (statuses, covered),
        "busiest": busiest,
        "phrase": " ".join(said.split()[:6]),
        "updates": updates,
        "theme": theme,
    }


def test_every_kind_of_you_said_page_has_no_axe_violations(page, visit, axe, register):
    paths = [
        "/you-said",
        "/you-said?status=planned&sort=oldest",
        f"/you-said?theme={register['theme']}&overdue=no&sort=due",
        "/you-said?from=2030-01-01",  # no items
        "/you-said/how-to-follow",
    ]
    statuses, covered = register["statuses"]
    assert len(register["shapes"]) >= 4 and covered == statuses, "an item of every status is scanned"
    paths += [f"/you-said/{i}" for i in dict.fromkeys([*register["shapes"], register["busiest"]])]
    failures = []
    for path in paths:
        visit(path)
        violations = axe(page, label=path)
        if violations:
            failures.append(f"{path}:\n{describe(violations)}")
    for path, status in (("/you-said?status=nope", 400), ("/you-said/YS-9999", 404)):
        visit(path, status=status)
        violations = axe(page, label=f"{path} ({status})")
        if violations:
            failures.append(f"{path}:\n{describe(violations)}")
    print(f"axe: scanned {len(paths) + 2} 'You said' pages, {len(failures)} with violations")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/you-said", "/you-said/how-to-follow", "ITEM"])
def test_you_said_pages_reflow_at_320px(narrow_page, visit, register, path):
    path = f"/you-said/{register['busiest']}" if path == "ITEM" else path
    page = visit(path, target=narrow_page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"


def test_filter_form_chooses_items(page, visit):
    visit("/you-said")
    page.select_option("#f-status", "planned")
    page.select_option("#f-sort", "oldest")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "status=planned" in page.url and "sort=oldest" in page.url
    statuses = page.locator(".reg-yswd__item .reg-status").all_inner_texts()
    assert statuses and all(s.strip() == "Planned" for s in statuses)
    assert page.locator("#f-status").input_value() == "planned"  # the form shows what was chosen
    visit.check(page)


def test_from_search_one_click_reaches_the_item_and_its_timeline(page, visit, register):
    visit(f"/search?q=%22{register['phrase']}%22")
    result = page.locator(f".reg-result[data-source=you_said_we_did][data-key='{register['busiest']}'] h3 a")
    assert result.count() == 1
    with page.expect_navigation():
        result.click()
    assert page.url.endswith(f"/you-said/{register['busiest']}")
    assert page.locator("h1").inner_text().startswith(register["busiest"])
    for update in register["updates"]:
        assert page.locator(f"#timeline ~ .reg-timeline #{update}").count() == 1, update
    visit.check(page)
