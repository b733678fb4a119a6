"""Addresses a crawler or a careless client makes that no page of the site links to:
each is a 4xx with the site's own page and a plain message, never a 500."""

from __future__ import annotations

import asyncio

import pytest

from register.database.build import build
from register.publishing.extracts import extract
from register.site.serve import datasette_instance
from tests.conftest import Client
from tests.integration.test_client_mistakes import assert_plain_error


@pytest.fixture(scope="module")
def with_files(tmp_path_factory, package) -> Client:
    """The site with its downloads and a report, as `make serve` serves it."""
    out = tmp_path_factory.mktemp("crawled")
    build(package, out)
    extract(package, out / "register.db", out / "extracts")
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "impact_report.html").write_text("<p>report</p>", "utf-8")
    return Client(datasette_instance(out))


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/register.css/x",
        "/downloads/projects.csv/x",
        "/downloads/projects.csv/%2e%2e/",
        "/downloads/projects.csv/%F0%9F%98%80",
        "/reports/impact_report.html/index.html",
    ],
)
def test_a_files_address_with_more_after_it_is_not_found(with_files, path):
    """A file's name followed by more (a relative link resolved against a download, say)
    was a 500, "something went wrong on our side": Datasette looked inside the file as
    if it were a folder."""
    response = with_files.get(path)
    assert response.status_code == 404, (path, response.status_code)
    text = assert_plain_error(response, path)
    assert "<title>Page not found – Co-production Register</title>" in text
    assert "There is no file at this address: the name of a file is followed by more." in text
    head = asyncio.run(with_files.ds.client.head(path))
    assert head.status_code == 404
