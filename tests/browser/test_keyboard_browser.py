"""The register used with a keyboard alone, as a screen reader user does: what the page
says when it opens (its title) after a form is sent with Enter or a link followed.

Fixtures (site_url, page, visit) come from tests/browser/conftest.py, which skips them
where Debian's chromium is not installed (and fails in CI, which installs it).
"""

from __future__ import annotations

import re

import pytest


def tab_to(page, selector: str, most: int = 400) -> None:
    """Press Tab until the element `selector` names has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with Tab in {most} presses")


def choose(page, selector: str, value: str) -> str:
    """Move through a <select> with the arrow keys until `value` is chosen; its words."""
    tab_to(page, selector)
    for _ in range(40):
        if page.eval_on_selector(selector, "e => e.value") == value:
            return page.eval_on_selector(selector, "e => e.options[e.selectedIndex].text")
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value!r} was not reached with the arrow keys in {selector}")


def test_you_said_form_sent_by_keyboard_titles_the_page_with_its_choices(page, visit):
    """The title is the first thing a screen reader reads when the list comes back: it
    says how many items were found, for which choices, in which order, on which page."""
    visit("/you-said")
    status = choose(page, "#f-status", "planned")
    theme = choose(page, "#f-theme", page.eval_on_selector("#f-theme", "e => e.options[1].value"))
    sort = choose(page, "#f-sort", "oldest")
    tab_to(page, ".reg-filters button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    found = page.locator(".reg-yswd__item").count()
    title = page.title()
    assert title.startswith(f"You said, we did: {found} item"), title
    for words in (f"Status: {status}", f"Theme: {theme}", f"Sort: {sort}"):
        assert words in title, f"{words!r} is not in the title {title!r}"
    visit.check(page)


def test_you_said_pages_say_which_page_they_are(page, visit):
    visit("/you-said?status=&sort=newest")
    pager = page.locator(".reg-pager p")
    if not pager.count():
        pytest.skip("the sample register's items fit on one page")
    pages = re.search(r"page 1 of ([\d,]+)", pager.inner_text()).group(1)
    first = page.title()
    assert f"page 1 of {pages}" in first, first
    tab_to(page, ".reg-pager a[rel=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "page=2" in page.url
    second = page.title()
    assert f"page 2 of {pages}" in second, second
    visit.check(page)


@pytest.mark.parametrize("words", ["listening", "zzzqqq"])
def test_search_sent_by_keyboard_says_in_its_title_how_many_results(page, visit, words):
    visit("/search")
    tab_to(page, "#search-q")
    page.keyboard.type(words)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    found = page.locator(".reg-results .reg-result").count()
    limit_note = "+" if "Only the best" in page.locator("main").inner_text() else ""
    expected = f"{found}{limit_note} result{'' if found == 1 else 's'}" if found else "no results"
    assert page.title().startswith(f"Search: {expected} for “{words}”"), page.title()
    visit.check(page)


def test_table_pages_after_the_first_say_which_rows_they_show(page, visit):
    """A data table of more than one page: "Next page", followed from the keyboard, opens a
    page whose title and heading say it is a later page, not the first page's words."""
    visit("/register/you_said_we_did?_size=30")
    total = int(re.match(r"[\d,]+", page.locator("h2.row-count").inner_text()).group(0).replace(",", ""))
    if total <= 30:
        pytest.skip("the sample table fits on one page")
    first = page.title()
    assert ", the first 30 shown" in first, first
    seen = 30
    while True:
        tab_to(page, ".pagination a")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        rows = page.locator("table.rows-and-columns tbody tr").count()
        title, heading = page.title(), " ".join(page.locator("h2.row-count").inner_text().split())
        if seen + rows < total:
            words = f", a later page: {rows} rows shown"
        else:
            words = f", the last page: rows {seen + 1} to {total}"
        assert words in title and heading.endswith(words), (title, heading)
        seen += rows
        if seen >= total:
            break
    visit.check(page)


def test_a_choice_the_list_cannot_use_is_mended_in_the_form(page, visit, axe):
    """A mistyped project ID sent with Enter: the page comes back titled as an error, with
    the problem linked to the box it is in, the form as it was sent (the typing kept, the
    box marked and described by the message), and no axe violation; mended there from the
    keyboard, the list opens."""
    visit("/you-said")
    choose(page, "#f-status", "planned")
    tab_to(page, "#f-project")
    page.keyboard.type("PRJ-02")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Error: "), page.title()
    summary = page.locator(".error-summary[role=alert]")
    link = summary.locator("a")
    assert "PRJ-02" in summary.inner_text() and link.get_attribute("href") == "#f-project"
    box = page.locator("#f-project")
    assert box.input_value() == "PRJ-02" and box.get_attribute("aria-invalid") == "true"
    described = box.get_attribute("aria-describedby").split()
    assert "PRJ-02" in page.locator(f"#{described[0]}").inner_text()
    assert page.locator("#f-status").input_value() == "planned"  # the other choices are kept
    assert axe(page, label="/you-said with a bad project ID") == []
    tab_to(page, ".error-summary a")
    page.keyboard.press("Enter")
    tab_to(page, "#f-project")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("PRJ-0002")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Project ID: PRJ-0002" in page.title() and "Status: Planned" in page.title(), page.title()
    visit.check(page)


def test_sql_run_by_keyboard_says_in_its_title_how_many_rows(page, visit):
    """Typed into the SQL editor and run with the keyboard alone (Tab leaves the editor), the
    query's page is titled with the number of rows it returned, 0 included."""
    for where, expected in (("1 = 1", None), ("0", "0 rows")):
        visit("/register?sql=select+1")
        tab_to(page, "#sql-editor, .CodeMirror textarea")
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(f"select id from projects where {where}")
        tab_to(page, "form.sql button[type=submit]", most=10)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        rows = page.locator("table.rows-and-columns tbody tr").count()
        expected = expected or f"{rows} row{'' if rows == 1 else 's'}"
        assert page.title().startswith(f"Custom SQL query, {expected}: select id from projects"), page.title()
    visit.check(page)
