"""Fast on a phone, in Chromium: nothing on a page moves once it is painted (the measure
charts arrive after the page, into the space kept for them; the menu is collapsed from
the first paint), a measure page fetches one chart image of the size for the screen and
no chart code, and datasette-vega's bundle is fetched only when a chart is asked for.
(Lighthouse's scores are measured by `make bench`, not here.)"""

from __future__ import annotations

import pytest

from tests.browser.test_pages_browser import measures, wait_for_chart

# Layout shifts as Chromium reports them (the figure Lighthouse sums as CLS).
COUNT_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (!e.hadRecentInput) { window.__shifts.push(e.value); }
  });
}).observe({type: "layout-shift", buffered: true});
"""
MOST_SHIFT = 0.01


def shifts(page) -> float:
    page.wait_for_timeout(300)  # let the observer report the last frame
    return round(sum(page.evaluate("window.__shifts")), 4)


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_nothing_moves_when_the_charts_and_scripts_arrive(page, narrow_page, visit, site_url, width):
    target = page if width == "wide" else narrow_page
    target.add_init_script(COUNT_SHIFTS)
    failures = []
    for path in ["/", "/projects", "/register/coproduction_log"] + [f"/measures/{m}" for m in measures(page, site_url)]:
        visit(path, target=target)
        wait_for_chart(target)
        moved = shifts(target)
        if moved > MOST_SHIFT:
            failures.append(f"{path}: layout shift {moved}")
    assert not failures, "\n".join(failures)


def test_datasette_vega_is_fetched_only_when_a_chart_is_asked_for(page, visit):
    visit("/register/participation_levels")
    page.wait_for_load_state("networkidle")
    assert not any("datasette_vega/main" in url for url in page.recorder.requests)
    assert page.locator(".reg-vega-lazy button").is_visible()
    page.get_by_role("button", name="Show charting options").click()
    page.wait_for_selector("form.datasette-vega")
    assert any("datasette_vega/main" in url for url in page.recorder.requests)
    # One builder, opened, with the keyboard focus in it; the stand-in button is gone.
    assert page.locator(".reg-vega-lazy").count() == 0
    # The focus moves once React has drawn the builder's first control, which may come
    # after the form itself (static/js/charts/datasette-vega.js tries for 2.5 s).
    page.wait_for_function("document.activeElement.closest('form.datasette-vega') !== null", timeout=5000)
    visit.check(page)


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_a_measure_page_fetches_one_chart_image_and_no_chart_code(page, narrow_page, visit, width):
    target = page if width == "wide" else narrow_page
    visit("/measures/depth_by_gate", target=target)
    wait_for_chart(target)
    target.wait_for_load_state("networkidle")
    images = [u for u in target.recorder.requests if "/chart-" in u]
    assert [u.rsplit("/", 1)[-1] for u in images] == [f"chart-{width}.svg"], images
    assert not [u for u in target.recorder.requests if "vega" in u]
    visit.check(target)
