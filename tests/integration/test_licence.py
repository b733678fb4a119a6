"""The licence is said once, in datapackage.json's "licenses": change it in a scratch copy
of the register and the site's footer (error pages too), its table pages, its feeds and its
downloads page all say the new one, and none still says the old."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from register.database.build import build
from register.publishing.extracts import extract
from register.schema.package import Package
from register.site.serve import datasette_instance
from tests.conftest import Client, copy_repo

CC_BY = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
OLD = "Open Government Licence"
PDDL = {"name": "ODC-PDDL-1.0", "title": "Open Data Commons Public Domain Dedication and Licence"}


def _served(tmp, licences: list[dict]) -> Client:
    (tmp / "repo").mkdir()
    root = copy_repo(tmp / "repo")
    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    assert descriptor["licenses"][0]["name"] == "OGL-UK-3.0"
    descriptor["licenses"] = licences
    path.write_text(json.dumps(descriptor, indent=2), "utf-8")
    out = tmp / "build"
    package = Package(root)
    build(package, out)
    extract(package, out / "register.db", out / "extracts")
    return Client(datasette_instance(out))


@pytest.fixture(scope="module")
def relicensed(tmp_path_factory):
    return _served(tmp_path_factory.mktemp("licence"), [CC_BY])


def _footer(html: str) -> str:
    return unescape(html[html.index('<footer class="site-footer"') :])


@pytest.mark.parametrize("path", ["/", "/projects", "/register/projects", "/no-such-page"])
def test_every_footer_says_the_data_packages_licence(relicensed, path):
    footer = _footer(relicensed.get(path).text)
    assert f'<a rel="license" href="{CC_BY["path"]}">{CC_BY["title"]}</a>' in footer
    assert OLD not in footer


def test_table_pages_and_feeds_say_the_data_packages_licence(relicensed):
    table = unescape(relicensed.get("/register/you_said_we_did").text.split("<footer")[0])
    assert re.search(r"Licence:\s*<a href=\"" + re.escape(CC_BY["path"]) + '">' + CC_BY["title"], table)
    feed = relicensed.get("/feeds/you-said.atom").text
    assert f"<rights>{CC_BY['title']}</rights>" in feed and OLD not in feed


def test_the_downloads_page_says_the_data_packages_licence(relicensed):
    page = unescape(relicensed.get("/downloads").text.split("<footer")[0])
    assert f'free to reuse under the\n    <a href="{CC_BY["path"]}">{CC_BY["title"]}</a>:' in page
    assert OLD not in page


def test_a_package_under_two_licences_says_both(tmp_path):
    client = _served(tmp_path, [CC_BY, PDDL])
    page = unescape(client.get("/downloads").text)
    assert (
        f'free to reuse under the\n    <a href="{CC_BY["path"]}">{CC_BY["title"]}</a> or the\n    {PDDL["title"]}:'
        in page.split("<footer")[0]
    )
    assert f"available under\n    {CC_BY['title']} or {PDDL['title']},\n    except" in _footer(page)
    assert OLD not in page
