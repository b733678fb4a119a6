"""The downloads page, the data dictionary and the .Notebook page in Chromium: no axe
violations, no CSP blocks, and home page to the zip in two clicks.

Fixtures (site_url, page, visit, axe) come from tests/browser/conftest.py; the extract is
written into the session build's extracts/ folder, which the test site serves.
"""

from __future__ import annotations

import pytest

from register.publishing.extracts import ZIP_NAME, extract
from tests.browser.pages import describe


@pytest.fixture(scope="module")
def extracts(build_dir, package):
    return extract(package, build_dir / "register.db", build_dir / "extracts")


@pytest.mark.parametrize(
    "path",
    [
        "/downloads",
        "/downloads/data-dictionary.html",
        "/register/you_said_we_did.Notebook",
    ],
)
def test_no_axe_violations(extracts, visit, axe, path):
    page = visit(path)
    violations = axe(page)
    assert violations == [], describe(violations)


def test_home_to_the_zip_in_two_clicks(extracts, visit, page):
    visit("/")
    page.get_by_role("link", name="Downloads").first.click()
    page.wait_for_url("**/downloads")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything").click()
    assert download.value.suggested_filename == ZIP_NAME
    visit.check(page)
