"""The releases pages in Chromium: no axe violations, no CSP blocks, and the citation and a
release's workbook one click from /releases.

Fixtures (site_url, page, visit, axe) come from tests/browser/conftest.py; the extract is
written into the session build's extracts/ folder, so its release is in releases/ beside it.
"""

from __future__ import annotations

import pytest

from register.publishing.extracts import extract
from register.site.downloads import WORKBOOK_NAME
from tests.browser.pages import describe


@pytest.fixture(scope="module")
def release(build_dir, package):
    return extract(package, build_dir / "register.db", build_dir / "extracts")["release"]


def test_no_axe_violations(release, visit, axe):
    for path in ("/releases", f"/releases/{release}"):
        page = visit(path)
        violations = axe(page)
        assert violations == [], path + "\n" + describe(violations)


def test_a_release_workbook_from_the_releases_page(release, visit, page):
    visit(f"/releases/{release}")
    assert f"release {release}" in page.locator("main cite").first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name=WORKBOOK_NAME, exact=True).click()
    assert download.value.suggested_filename == WORKBOOK_NAME
    visit.check(page)
