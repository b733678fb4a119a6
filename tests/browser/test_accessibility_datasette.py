"""Datasette's own pages in real Chromium: WCAG 2.2 AA by axe-core, keyboard use, 320 px
reflow, datasette-vega charts under the CSP, and nothing fetched from another origin.

The register's own pages (home, projects, measures...) are tested beside this file by
their own test module, with the same fixtures (see pages.py).
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlencode

import pytest

from tests.browser.pages import describe, register_pages


def test_every_datasette_page_type_has_no_axe_violations(page, visit, axe, build_dir):
    """Zero axe violations on the database, table, view, row, query, canned query and
    error pages; each page also loads nothing from another origin and breaks no CSP rule."""
    pages = register_pages(build_dir)
    assert {p.kind for p in pages} >= {"database", "table", "view", "row", "query", "error"}
    # The "You said" pages are scanned, every kind of them, by test_you_said_browser.py.
    pages = [p for p in pages if not p.path.startswith("/you-said")]
    failures = []
    for p in pages:
        visit(p.path, status=p.status)
        violations = axe(page, label=str(p))
        if violations:
            failures.append(f"{p}:\n{describe(violations)}")
    print(f"axe: scanned {len(pages)} pages, {len(failures)} with violations")
    assert not failures, "\n".join(failures)


def test_a_filtered_table_page_shows_facets_and_labelled_filters(page, visit):
    """The scan above covers the page as it is meant to be used: facets open, a filter on."""
    visit("/register/coproduction_log?gate=assess")
    assert page.locator(".facet-info").count() >= 2
    assert page.locator(".facet-selected").count() >= 1
    for control in page.locator(".filters select, .filters input[type=text], .filters input[type=search]").all():
        name = control.get_attribute("id")
        assert name and page.locator(f"label[for='{name}']").count() == 1, name


def _html(site_url: str, path: str) -> str:
    with urllib.request.urlopen(site_url + path, timeout=30) as response:
        return response.read().decode("utf-8")


def test_datasette_features_are_all_still_there(site_url):
    """The accessible templates keep what analysts use: search, filters, facets, sort,
    JSON and CSV (with "stream all rows" when there is more than a page), SQL, charts.
    (Plain HTTP to the live site: the in-process `client` cannot run while Playwright's
    event loop is open in this module.)"""
    html = _html(site_url, "/register/you_said_we_did")
    for feature in (
        'name="_search"',
        'name="_filter_column"',
        'name="_filter_op"',
        'name="_filter_value"',
        'class="facet-info',
        "_sort=",
        ".json",
        ".csv",
        "View and edit the SQL",
        "datasette_vega/main",
        'class="rows-and-columns"',
        'class="export-links"',
    ):
        assert feature in html, feature
    assert 'name="_stream"' in html and "stream all rows" in html and "Next page" in html
    html = _html(site_url, "/register/you_said_we_did_current?status=planned")  # a view
    assert 'class="facet-selected"' in html and "datasette_vega/main" in html and 'name="_filter_column_1"' in html
    html = _html(site_url, "/register")
    assert 'id="sql-editor"' in html and "codemirror" in html and 'href="/register/projects"' in html
    html = _html(site_url, "/register?sql=select+1")
    assert 'id="sql-editor"' in html and "datasette_vega/main" in html and ".csv" in html


def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(page, visit):
    visit("/register/coproduction_log")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "Skip to main content"]
    assert page.evaluate("document.activeElement.getBoundingClientRect().left >= 0"), "skip link not shown on focus"
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == FOCUS_YELLOW
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    # The next Tab goes into the page's content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


FOCUS_YELLOW = "rgb(255, 221, 0)"


def _tab_to(page, selector: str, limit: int = 250) -> int:
    """Press Tab until the focused element matches selector; returns the presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached by Tab in {limit} presses")


def test_column_menu_works_from_the_keyboard(page, visit, site_url):
    visit("/register/coproduction_log")
    _tab_to(page, ".column-menu-button")
    button = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert button.startswith("Actions for column ")
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == FOCUS_YELLOW
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") is None  # focus moved into the menu
    assert page.locator("#column-menu").is_visible()
    first = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") != first
    page.keyboard.press("Escape")
    assert not page.locator("#column-menu").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == button
    assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
    # Space opens it too, and following a link does what it says.
    page.keyboard.press(" ")
    link = page.locator("#column-menu a.dropdown-sort-desc")
    assert link.is_visible()
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "_sort_desc=" in page.url
    visit.check(page)


def test_a_column_menu_names_the_column_by_its_title_and_its_name(page, visit):
    """The heading says "Date"; its menu button is named after the heading, and the menu
    gives the column's name too (activity_date), for filters and SQL."""
    visit("/register/coproduction_log")
    th = page.locator('thead th[data-column="activity_date"]')
    assert th.locator(".column-name").inner_text().startswith("Date")
    button = th.locator(".column-menu-button")
    assert button.get_attribute("aria-label") == "Actions for column Date"
    button.click()
    assert page.locator("#column-menu .dropdown-menu__title").inner_text() == "Column: Date (activity_date)"
    visit.check(page)


def test_remove_filter_button_works_from_the_keyboard(page, visit):
    visit("/register/coproduction_log?gate=assess")
    _tab_to(page, ".filter-remove")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "filter-column-1"
    assert page.locator("#filter-column-1").input_value() == ""


def test_primary_navigation_collapses_to_a_keyboard_menu_at_320px(narrow_page, visit):
    page = visit("/register", target=narrow_page)
    toggle = page.locator(".site-nav__toggle")
    assert toggle.is_visible()
    assert not page.locator("#site-nav-list").is_visible()
    _tab_to(page, ".site-nav__toggle", limit=5)
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-nav-list").get_by_role("link", name="Gate assurance", exact=True).is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Home"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.className") == "site-nav__toggle"


def test_details_menus_close_with_escape(page, visit):
    visit("/register/coproduction_log")
    summary = page.locator("details.column-descriptions-wrapper > summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.column-descriptions-wrapper").get_attribute("open") is not None
    # Not a menu: Escape leaves disclosures as they are; menus (details.menu) close.
    page.evaluate("""() => {
        const d = document.createElement('details'); d.className = 'menu'; d.id = 'probe';
        d.innerHTML = '<summary class="menu__button">More</summary><div class="menu__panel"><a href="#x">x</a></div>';
        document.querySelector('main').appendChild(d);
    }""")
    page.locator("#probe > summary").focus()
    page.keyboard.press("Enter")
    assert page.locator("#probe").get_attribute("open") is not None
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert page.locator("#probe").get_attribute("open") is None
    assert page.evaluate("document.activeElement.closest('#probe') && document.activeElement.tagName") == "SUMMARY"


@pytest.mark.parametrize(
    "path",
    [
        "/register",
        "/register/coproduction_log?gate=assess",
        "/register/you_said_we_did_current",
        "/register/projects/PRJ-0001",
        "/register?" + urlencode({"sql": "select * from coproduction_log"}),
        "/register/no_such_table",
    ],
)
def test_no_horizontal_scrolling_at_320px(narrow_page, visit, path):
    status = 404 if "no_such" in path else 200
    page = visit(path, status=status, target=narrow_page)
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{path}: page is {widths[0]} px wide in a 320 px window"


# The rules whose answer can change when a page wraps on a phone; every rule runs at full
# width in the scan above, and running them all again here doubled its time.
NARROW_RULES = ["target-size", "scrollable-region-focusable"]


def test_every_datasette_page_type_reflows_at_320px(narrow_page, visit, axe, build_dir):
    """Every page type of the scan above, on a 320 px phone: nothing pushes the page
    sideways (WCAG 1.4.10), not a long column name in the sort control of a view nor a
    long table name in a heading (wide tables scroll inside their own box); and axe
    finds nothing there either, where what wraps on a phone can bring two links or a
    button and a link too close to tap (WCAG 2.5.8)."""
    failures = []
    for p in register_pages(build_dir):
        page = visit(p.path, status=p.status, target=narrow_page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            failures.append(f"{p}: {width} px wide")
        violations = axe(page, label=f"{p} at 320 px", rules=NARROW_RULES)
        if violations:
            failures.append(f"{p} at 320 px:\n{describe(violations)}")
    assert not failures, "\n".join(failures)


# A chart datasette-vega draws from its URL fragment: counts per participation level.
CHART = "#" + urlencode(
    {
        "g.mark": "bar",
        "g.x_column": "code",
        "g.x_type": "ordinal",
        "g.y_column": "sort_order",
        "g.y_type": "quantitative",
    }
)
QUERY_CHART = "#" + urlencode(
    {"g.mark": "bar", "g.x_column": "gate", "g.x_type": "ordinal", "g.y_column": "n", "g.y_type": "quantitative"}
)

COUNT_BAR_PIXELS = """() => {
    const c = document.querySelector('.vega-embed canvas.marks');
    if (c) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
            // Vega's default bar colour, #4c78a8
            if (Math.abs(d[i] - 76) < 12 && Math.abs(d[i + 1] - 120) < 12 && Math.abs(d[i + 2] - 168) < 12) n++;
        }
        return n;
    }
    return document.querySelectorAll('.vega-embed svg.marks path, .vega-embed svg.marks rect').length * 100;
}"""


@pytest.mark.parametrize(
    "path",
    [
        "/register/participation_levels" + CHART,
        "/register?"
        + urlencode({"sql": "select gate, count(*) as n from coproduction_log group by gate"})
        + QUERY_CHART,
    ],
)
def test_datasette_vega_draws_a_chart_under_the_csp(page, visit, path):
    """The chart draws (bars are painted) with the CSP in force, and nothing is blocked."""
    visit(path)
    page.wait_for_selector(".vega-embed canvas.marks, .vega-embed svg.marks", timeout=15000)
    page.wait_for_function(f"() => ({COUNT_BAR_PIXELS})() > 200", timeout=15000)
    visit.check(page)


def test_charting_options_are_offered_and_accessible(page, visit, axe):
    visit("/register/participation_levels")
    page.get_by_role("button", name="Show charting options").click()
    page.wait_for_selector("form.datasette-vega")
    violations = axe(page, label="table page with charting options open")
    assert violations == [], describe(violations)
    visit.check(page)


def test_vega_is_loaded_only_where_it_can_chart(page, visit):
    """The 944 KB bundle, and the CSP's 'unsafe-eval' it needs, stay off other pages."""
    for path in ("/register", "/register/projects/PRJ-0001", "/register/no_such_table"):
        visit(path, status=404 if "no_such" in path else 200)
        assert not any("datasette_vega" in url for url in page.recorder.requests), path
