"""The register's own pages in real Chromium: zero axe violations (WCAG 2.0-2.2 A and AA)
on every one, charts that actually draw (without 'unsafe-eval'), feeds linked and
valid, keyboard use, 320 px reflow, and nothing fetched from another origin.

Fixtures (site_url, page, narrow_page, visit, axe) come from tests/browser/conftest.py;
`visit` fails on any request to another origin and on any CSP violation, and `axe`
prints the violation count per page (pytest -s shows it).
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from tests.browser.pages import describe

CHART_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def register(build_dir):
    """Project ids and measure names, read from the built register and the measures page."""
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    try:
        projects = [r[0] for r in conn.execute("select id from projects order by id")]
        word = conn.execute("select you_said from you_said_we_did limit 1").fetchone()
        # For the keyboard walk: a project with activities but few "You said" items (short page).
        small = conn.execute("""select p.id from projects p
            where exists (select 1 from coproduction_log l where l.project_id = p.id)
            order by (select count(*) from you_said_we_did y where y.project_id = p.id), p.id""").fetchone()
    finally:
        conn.close()
    return {
        "projects": projects,
        "small_project": small[0] if small else projects[0],
        "search_word": re.findall(r"[A-Za-z]{6,}", word[0] if word else "register")[0],
    }


def measures(page, site_url) -> list[str]:
    response = page.request.get(site_url + "/measures")
    return sorted(set(re.findall(r'href="/measures/([a-z_]+)"', response.text())))


def wait_for_chart(page) -> None:
    """A chart page: wait until render.js says the chart drew (or failed), then check it drew.
    The chart is drawn when it comes near the screen (Vega is fetched only then), so it is
    scrolled to first, as a reader would."""
    if page.locator("[data-spec]").count() == 0:
        return
    page.locator("[data-spec]").first.scroll_into_view_if_needed()
    page.wait_for_selector("[data-chart-drawn], [data-chart-error]", timeout=CHART_TIMEOUT_MS)
    error = page.get_attribute("[data-spec]", "data-chart-error")
    assert error is None, f"{page.url}: chart failed: {error}"
    assert page.locator("[data-spec] svg, [data-spec] canvas").count() >= 1, f"{page.url}: no SVG or canvas"


def test_every_register_page_has_no_axe_violations(page, visit, axe, site_url, register):
    """Home, projects, every project page, gate assurance, measures and every measure (with
    its chart drawn), search (results, none, empty), glossary, accessibility statement
    and the 404 page of an unknown project."""
    paths = [
        "/",
        "/projects",
        "/gate-assurance",
        "/measures",
        "/glossary",
        "/accessibility",
        "/search",
        f"/search?q={register['search_word']}",
        "/search?q=zzqqxxnothing",
    ]
    paths += [f"/projects/{p}" for p in register["projects"]]
    paths += [f"/measures/{m}" for m in measures(page, site_url)]
    failures = []
    for path in paths:
        visit(path)
        wait_for_chart(page)
        visit.check(page)
        violations = axe(page, label=path)
        if violations:
            failures.append(f"{path}:\n{describe(violations)}")
    visit("/projects/PRJ-9999", status=404)
    violations = axe(page, label="/projects/PRJ-9999 (404)")
    if violations:
        failures.append(f"404:\n{describe(violations)}")
    print(f"axe: scanned {len(paths) + 1} register pages, {len(failures)} with violations")
    assert not failures, "\n".join(failures)


def test_every_chart_draws(page, visit, site_url):
    names = measures(page, site_url)
    assert len(names) >= 7
    drawn = 0
    for name in names:
        visit(f"/measures/{name}")
        if page.locator("[data-spec]").count():
            wait_for_chart(page)
            drawn += 1
            # The chart is named for assistive technology, and its data is on the page.
            label = page.get_attribute("[data-spec] svg", "aria-label")
            assert page.get_attribute("[data-spec] svg", "role") == "img" and len(label or "") > 20, label
            assert page.locator("table tbody tr").count() >= 1
        visit.check(page)
    assert drawn >= 7


def test_charts_need_no_unsafe_eval(page, site_url):
    """The page is served with 'unsafe-eval' removed from its CSP: Vega's expression
    interpreter (ast: true) still draws the chart, and the CSP blocks nothing."""

    def strict(route):
        response = route.fetch()
        headers = dict(response.headers)
        headers["content-security-policy"] = headers["content-security-policy"].replace(" 'unsafe-eval'", "")
        assert "unsafe-eval" not in headers["content-security-policy"]
        route.fulfill(response=response, headers=headers)

    page.route(re.compile(r".*/measures/[a-z_]+$"), strict)
    for name in ("depth_by_gate", "gate_assurance", "equality_coverage"):
        seen = []
        page.once("response", lambda r: seen.append(r.headers.get("content-security-policy", "")))
        page.goto(f"{site_url}/measures/{name}")
        assert seen and "unsafe-eval" not in seen[0]
        wait_for_chart(page)
        assert page.evaluate("window.__cspViolations") == [], name


def test_feeds_are_linked_and_valid(page, visit, site_url, register):
    atom = "{http://www.w3.org/2005/Atom}"
    for path in (
        "/",
        f"/projects/{register['projects'][1]}",
        "/projects",
        "/measures/you_said_we_did",
        "/register/you_said_we_did_current",
    ):
        visit(path)
        hrefs = page.eval_on_selector_all(
            "link[rel=alternate][type='application/atom+xml']", "links => links.map(l => l.href)"
        )
        assert any("/feeds/you-said.atom" in h for h in hrefs), path
        assert any("/feeds/status-changes.atom" in h for h in hrefs), path
        for href in hrefs:
            assert href.startswith(site_url)
            response = page.request.get(href)
            assert response.status == 200 and response.headers["content-type"].startswith("application/atom+xml")
            root = ET.fromstring(response.body())
            assert root.tag == f"{atom}feed"
            assert root.findall(f"{atom}entry"), href


def test_search_from_the_home_page_by_keyboard(page, visit, register):
    visit("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "home-search":
            break
    assert page.evaluate("document.activeElement.id") == "home-search"
    page.keyboard.type(register["search_word"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/search?q=" in page.url
    assert page.locator(".reg-result").count() >= 1
    visit.check(page)


def test_project_page_by_keyboard(page, visit, register):
    """Every link in a project page's main content can be reached with Tab and shows focus."""
    visit(f"/projects/{register['small_project']}")
    links = page.locator("main a[href]").count()
    assert links > 10
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip link
    reached, outlined = 0, 0
    for _ in range(links + 10):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return {inMain: !!e.closest('main'), tag: e.tagName,
                    focus: s.outlineStyle !== 'none' || s.boxShadow !== 'none' || s.backgroundColor !== 'rgba(0, 0, 0, 0)'}; }""")
        if not info["inMain"]:
            break
        reached += 1
        outlined += info["focus"]
    assert reached >= links, (reached, links)
    assert outlined == reached, "every focused element shows where the focus is"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projects",
        "/gate-assurance",
        "/measures/depth_by_gate",
        "/glossary",
        "/accessibility",
        "/search?q=co-production",
    ],
)
def test_pages_reflow_at_320px(narrow_page, visit, path):
    page = visit(path, target=narrow_page)
    wait_for_chart(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"


def test_project_page_reflows_at_320px(narrow_page, visit, register):
    for pid in register["projects"][:3]:
        page = visit(f"/projects/{pid}", target=narrow_page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, pid
