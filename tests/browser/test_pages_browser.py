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
    """A chart page: scroll to the chart as a reader would, wait for its image, and check
    that the browser drew it at the size the page gave it (an SVG that failed to load or
    to parse has no natural width)."""
    image = page.locator("img.reg-chart__image")
    if image.count() == 0:
        return
    image.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.reg-chart__image'); return i.complete; }",
        timeout=CHART_TIMEOUT_MS,
    )
    drawn = image.first.evaluate("i => [i.naturalWidth, i.naturalHeight, i.currentSrc]")
    assert drawn[0] > 0 and drawn[1] > 0, f"{page.url}: chart image not drawn: {drawn}"


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


def test_every_chart_draws(page, narrow_page, visit, site_url):
    """Every measure's chart is an image the browser draws, the size for the screen (wide
    here, narrow on a phone), at the size the page reserved, with a text alternative, and
    with its figures in the table below."""
    names = measures(page, site_url)
    assert len(names) >= 7
    drawn = 0
    for name in names:
        for target, size in ((page, "wide"), (narrow_page, "narrow")):
            visit(f"/measures/{name}", target=target)
            image = target.locator("img.reg-chart__image")
            if not image.count():
                continue
            wait_for_chart(target)
            drawn += 1
            natural = image.evaluate("i => [i.naturalWidth, i.naturalHeight, i.currentSrc]")
            source = target.locator(f'picture source[srcset$="chart-{size}.svg"]')
            reserved = (source if size == "wide" else image).evaluate(
                "e => [Number(e.getAttribute('width')), Number(e.getAttribute('height'))]"
            )
            assert natural[2].endswith(f"/measures/{name}/chart-{size}.svg"), natural
            assert natural[:2] == reserved, (name, size, natural, reserved)
            assert len(image.get_attribute("alt") or "") > 20
            assert target.locator("table tbody tr").count() >= 1
            visit.check(target)
    assert drawn >= 14


def test_charts_are_drawn_with_no_chart_code_and_without_javascript(page, browser, site_url):
    """A measure page loads no chart code, nothing breaks its CSP, and with JavaScript
    off the chart is still there: it is an image drawn on the server."""
    page.goto(f"{site_url}/measures/depth_by_gate")
    wait_for_chart(page)
    assert page.evaluate("window.__cspViolations") == []
    scripts = page.evaluate("[...document.scripts].map(s => s.src)")
    assert not [s for s in scripts if "vega" in s or "/charts/" in s], scripts
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        with plain.expect_response(re.compile(r".*/measures/depth_by_gate/chart-wide\.svg$")) as response:
            plain.goto(f"{site_url}/measures/depth_by_gate")
        assert response.value.status == 200
        assert response.value.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in response.value.text() and "<script" not in response.value.text()
    finally:
        context.close()


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
