"""Pages printed, or saved as PDF, in real Chromium: for board papers, or a "You said" item
taken to a meeting.

On A4 with 1 cm margins (718 CSS pixels of width) and print media: no menu, search box,
filter form, button or breadcrumb; no table cut off at the right edge by its scrolling
wrapper; the page's address and the day its figures are for printed at the top; and
page.pdf() itself makes a PDF.

Fixtures (site_url, page, visit) come from tests/browser/conftest.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from register.util.clock import local_today
from register.util.words import uk_date

A4_WIDTH = 718  # 210 mm less two 1 cm margins, at 96 CSS pixels an inch

SCREEN_ONLY = [
    ".skip-link",
    ".site-nav",
    ".site-nav__toggle",
    ".breadcrumbs",
    ".site-footer__nav",
    ".reg-search",
    ".reg-pager",
    "button",
]

# What is shown on paper although it should not be, and each table region cut off at
# the right edge (its scroll width beyond its width).
PRINT_CHECK = """selectors => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const visible = selectors.flatMap(s => [...document.querySelectorAll(s)].filter(shown).map(() => s));
  const cut = [...document.querySelectorAll('.reg-table-wrap, .table-wrapper')]
    .filter(w => w.scrollWidth > w.clientWidth + 1)
    .map(w => `${w.querySelector('caption') ? w.querySelector('caption').textContent.trim() : w.className}: ${w.scrollWidth} > ${w.clientWidth}`);
  const source = document.querySelector('.print-source');
  return {visible: [...new Set(visible)], cut, source: source && shown(source) ? source.textContent : null};
}"""


@pytest.fixture(scope="module")
def paths(build_dir):
    conn = sqlite3.connect(f"file:{build_dir / 'register.db'}?immutable=1", uri=True)
    try:
        # The project with the most equality impact entries: its table is the widest.
        project = conn.execute("select project_id from equality_impacts group by 1 order by count(*) desc").fetchone()[
            0
        ]
        item = conn.execute("select id from you_said_we_did order by id limit 1").fetchone()[0]
    finally:
        conn.close()
    return [
        "/",
        f"/projects/{project}",
        f"/you-said/{item}",
        "/you-said",
        "/measures/activity_by_quarter",
        "/gate-assurance",
        "/downloads",
    ]


def test_printed_pages_show_no_controls_cut_nothing_off_and_say_where_and_when(page, visit, site_url, paths):
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    day = uk_date(local_today())
    failures = []
    for path in paths:
        visit(path)
        page.emulate_media(media="print")
        found = page.evaluate(PRINT_CHECK, SCREEN_ONLY)
        if found["visible"]:
            failures.append(f"{path}: shown on paper: {found['visible']}")
        if found["cut"]:
            failures.append(f"{path}: tables cut off at the right edge: {found['cut']}")
        source = " ".join((found["source"] or "").split())
        if site_url + path not in source or day not in source:
            failures.append(f"{path}: the printed page does not say its address and day: {source!r}")
        assert (
            page.pdf(format="A4", margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"})[:5] == b"%PDF-"
        )
        page.emulate_media(media="screen")
    assert not failures, "\n".join(failures)


def test_the_printed_address_and_day_are_not_shown_on_screen(page, visit):
    visit("/you-said")
    assert page.locator(".print-source").count() == 1
    assert not page.locator(".print-source").is_visible()


@pytest.fixture(scope="module")
def report_file(build_dir, tmp_path_factory):
    from register.publishing import report

    out = tmp_path_factory.mktemp("reports")
    report.run(build_dir / "register.db", out)
    return out / "impact_report.html"


def test_the_printed_impact_report_fits_the_page_and_keeps_headings_with_what_follows(page, report_file):
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    page.goto(report_file.as_uri())
    page.emulate_media(media="print")
    found = page.evaluate("""() => ({
      wide: [...document.querySelectorAll('table')]
        .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(t => (t.querySelector('caption') || t).textContent.trim().slice(0, 80)),
      alone: [...document.querySelectorAll('h2, h3, caption')]
        .filter(h => getComputedStyle(h).breakAfter !== 'avoid').map(h => h.textContent.trim()),
      split: [...document.querySelectorAll('tr, figure')]
        .filter(e => getComputedStyle(e).breakInside !== 'avoid').length,
    })""")
    assert found["wide"] == [], f"tables wider than the paper: {found['wide']}"
    assert found["alone"] == [], f"headings that may be left at a page's foot: {found['alone'][:5]}"
    assert found["split"] == 0
    assert page.pdf(format="A4", margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"})[:5] == b"%PDF-"
