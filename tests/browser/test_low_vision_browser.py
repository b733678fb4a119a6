"""The register for someone with low vision, in Chromium: the text made larger in the
browser's own settings (WCAG 1.4.4; on a phone, where it matters most), the text spacing
of WCAG 1.4.12 applied as a reader's own style sheet would apply it, the page zoomed to
200% (wide tables scroll inside their own labelled region, which the keyboard can
reach), and Windows' high contrast mode (forced colours), where every coloured box is
drawn in the reader's colours and only borders and outlines are left to mark it out.

Fixtures (site_url, browser, visit) come from tests/browser/conftest.py. Every page here
is measured, not looked at: the page's width against the window's, and the edges the
browser computes for an element.
"""

from __future__ import annotations

import pytest

from register.publishing.extracts import extract
from tests.browser.conftest import new_page

# WCAG 1.4.12: line height 1.5, paragraph spacing 2em, letter 0.12em, word 0.16em. Added
# as a constructed style sheet, the way a reader's extension or bookmarklet adds it (the
# site's Content-Security-Policy stays in force, and nothing is reported as blocked).
TEXT_SPACING = """() => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
                           word-spacing: 0.16em !important; }
                       p { margin-bottom: 2em !important; }`);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}"""

# Every <details> opened, so that what they hold is measured too (the menus excepted:
# they open over the page, and close when something else is clicked).
OPEN_DETAILS = "() => document.querySelectorAll('details:not(.menu)').forEach(d => { d.open = true; })"

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"

PAGES = [
    "/",
    "/projects",
    "/projects/PRJ-0002",
    "/you-said",
    "/you-said?status=open&sort=due",
    "/measures",
    "/measures/depth_by_gate",
    "/gate-assurance",
    "/search?q=care",
    "/glossary",
    "/register/coproduction_log?gate=assess",
    "/register/projects/PRJ-0001",
]


def found_on(visit, target, paths: list[str], script: str) -> list[tuple[str, dict]]:
    """(path, item) for each item the script finds on each page, seen in `target`."""
    return [(path, item) for path in paths for item in visit(path, target=target).evaluate(script)]


@pytest.fixture
def large_text_page(browser, site_url):
    """A phone 360 CSS px wide with its text size set to 200% (the browser's default font
    size doubled, as Chrome's text-size setting does), so rem and em double."""
    context, page = new_page(browser, site_url, viewport={"width": 360, "height": 740})
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_pages_fit_a_phone_with_its_text_at_200_percent(large_text_page, visit, path):
    """Nothing pushes the page sideways (the headline cards, the filter boxes, a long code in
    the search results or in the column descriptions of a table): text that runs off the
    side of a phone is read only by scrolling back and forth along every line."""
    page = visit(path, target=large_text_page)
    page.evaluate(OPEN_DETAILS)
    width, window = page.evaluate(PAGE_WIDTH)
    assert width <= window, f"{path}: {width} px wide on a {window} px phone with its text at 200%"


@pytest.mark.parametrize("path", PAGES)
def test_pages_keep_to_the_window_with_wcag_text_spacing_at_320px(narrow_page, visit, path):
    """WCAG 1.4.12 on a 320 px phone: the wider letters and words push nothing off the side
    (a code in the search results, local_healthwatch_regulations_2012, was kept on one line
    and ran 48 px past the window)."""
    page = visit(path, target=narrow_page)
    page.evaluate(TEXT_SPACING)
    page.evaluate(OPEN_DETAILS)
    assert page.evaluate("getComputedStyle(document.body).letterSpacing") != "normal"
    width, window = page.evaluate(PAGE_WIDTH)
    assert width <= window, f"{path}: {width} px wide in a {window} px window with WCAG 1.4.12's text spacing"
    visit.check(page)


def test_an_identifier_is_kept_whole_where_it_fits(narrow_page, visit):
    """Identifiers may break only when longer than a line: PRJ-0001 never splits at its hyphen."""
    page = visit("/projects", target=narrow_page)
    lines = page.evaluate(
        "[...document.querySelectorAll('span.reg-id')].map(e => [e.textContent, e.getClientRects().length, e.getBoundingClientRect().height])"
    )
    assert lines, "no identifiers on /projects"
    height = min(h for _, _, h in lines)
    assert all(n == 1 and h == height for _, n, h in lines), lines


# Every box on the page that scrolls sideways, with what a keyboard and a screen reader
# need of it: a tab stop, and a region with a name.
SIDEWAYS_BOXES = """() => [...document.querySelectorAll('main *')].filter(e => {
    const s = getComputedStyle(e);
    return /auto|scroll/.test(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
}).map(e => {
    const by = e.getAttribute('aria-labelledby');
    return {box: e.className, tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'),
            name: (by && document.getElementById(by)) ? document.getElementById(by).textContent.trim() : ''};
})"""


@pytest.fixture(scope="module")
def release(build_dir, package):
    return extract(package, build_dir / "register.db", build_dir / "extracts")["release"]


@pytest.fixture
def zoomed_page(browser, site_url):
    """A 1280 px window zoomed to 200%: 640 CSS px wide, wider than where tables become cards."""
    context, page = new_page(browser, site_url, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    yield page
    context.close()


def test_tables_wider_than_the_zoomed_page_scroll_in_a_named_region_the_keyboard_reaches(zoomed_page, visit, release):
    """At 200% zoom the downloads' file tables are wider than the page and scroll inside
    their box; its SHA-256 column holds no link, so without a tab stop on the box a
    keyboard could not bring the checksums into view."""
    paths = ["/downloads", "/releases", f"/releases/{release}", "/projects", "/projects/PRJ-0001", "/register/projects"]
    boxes = found_on(visit, zoomed_page, paths, SIDEWAYS_BOXES)
    for path, box in boxes:
        assert box["tabindex"] == "0" and box["role"] == "region" and box["name"], f"{path}: {box}"
    assert len(boxes) >= 3


# The edge the browser draws round an element: its border or its outline, if either is
# there and not transparent (in forced colours every colour but transparent is the reader's).
EDGES = """sel => [...document.querySelectorAll(sel)].map(e => {
    const s = getComputedStyle(e);
    const seen = (style, width, colour) => style !== 'none' && parseFloat(width) > 0 && colour !== 'rgba(0, 0, 0, 0)';
    return {text: e.textContent.trim(),
            edge: seen(s.borderTopStyle, s.borderTopWidth, s.borderTopColor)
                  || seen(s.outlineStyle, s.outlineWidth, s.outlineColor)};
})"""


@pytest.fixture
def high_contrast_page(browser, site_url):
    """Windows' high contrast mode: backgrounds and colours are the reader's own."""
    context, page = new_page(browser, site_url, viewport={"width": 1280, "height": 900}, forced_colors="active")
    yield page
    context.close()


def test_status_tags_keep_their_box_in_high_contrast_mode(high_contrast_page, visit):
    """ "Overdue" was a white word on a red box; in forced colours the box went and it read
    as ordinary bold text beside the status. Like "Current gate" and "Passed", it keeps an
    edge of the reader's text colour."""
    page = visit("/you-said?overdue=yes", target=high_contrast_page)
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    tags = page.evaluate(EDGES, ".reg-overdue")
    page = visit("/projects/PRJ-0002", target=high_contrast_page)
    tags += page.evaluate(EDGES, ".reg-tag")
    assert {t["text"] for t in tags} >= {"Overdue", "Passed"}, tags
    assert all(t["edge"] for t in tags), [t for t in tags if not t["edge"]]


# For each table that scrolls sideways in its box: how wide its caption is and where it is,
# against the box, before and after the box is scrolled to its far end.
CAPTIONS_IN_VIEW = """() => [...document.querySelectorAll('main table > caption')].filter(c => {
    const box = c.closest('[role=region]');
    return box && box.scrollWidth > box.clientWidth + 1;
}).map(c => {
    const box = c.closest('[role=region]');
    const fits = () => {
        const r = c.getBoundingClientRect(), b = box.getBoundingClientRect();
        return r.left >= b.left - 1 && r.right <= b.left + box.clientWidth + 1;
    };
    const before = fits();
    box.scrollLeft = box.scrollWidth;
    const after = fits();
    box.scrollLeft = 0;
    return {caption: c.textContent.trim().slice(0, 60), before, after};
})"""


def test_a_wide_tables_caption_is_read_without_scrolling_sideways(narrow_page, visit):
    """On a 320 px phone (or at 400% zoom) a wide table scrolls inside its box; its caption,
    the box's name, wraps to the width that can be seen and stays in view when the table is
    scrolled. It was as wide as the table: "Activities where staff outnumbe" on the first
    screen, the rest of it only by scrolling the table."""
    paths = ["/measures/balance", "/measures/activity_by_quarter", "/projects", "/projects/PRJ-0001", "/gate-assurance"]
    captions = found_on(visit, narrow_page, paths, CAPTIONS_IN_VIEW)
    for path, c in captions:
        assert c["before"] and c["after"], f"{path}: {c}"
    assert len(captions) >= 4
