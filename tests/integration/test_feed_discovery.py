"""Feed autodiscovery: the "You said" list filtered to one project offers that project's
feeds (<link rel="alternate" type="application/atom+xml">), which exist, as the project's
page does; a feed reader given the filtered list finds the feeds it is about."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bs4 import BeautifulSoup

ATOM = "{http://www.w3.org/2005/Atom}"


def _discovered(client, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200, path
    soup = BeautifulSoup(page.text, "html.parser")
    return [link["href"] for link in soup.find_all("link", rel="alternate", type="application/atom+xml")]


def test_the_list_of_one_projects_items_offers_that_projects_feeds(client):
    hrefs = _discovered(client, "/you-said?project=prj-0002")
    assert "/feeds/you-said.atom?project=PRJ-0002" in hrefs, hrefs
    assert "/feeds/status-changes.atom?project=PRJ-0002" in hrefs, hrefs
    for href in hrefs:
        feed = client.get(href)
        assert feed.status_code == 200, href
        root = ET.fromstring(feed.content)
        self_link = [e.get("href") for e in root.findall(f"{ATOM}link") if e.get("rel") == "self"]
        assert self_link and self_link[0].endswith(href), (href, self_link)


def test_the_unfiltered_list_offers_the_registers_feeds_only(client):
    assert _discovered(client, "/you-said") == ["/feeds/you-said.atom", "/feeds/status-changes.atom"]
