"""register/site/facet_links.py: each facet value's link is the one Datasette would make."""

from __future__ import annotations

import pytest
from datasette import facets as datasette_facets
from datasette.utils import path_with_added_args as datasette_link
from datasette.utils.asgi import Request

from register.site import facet_links
from register.site.facets import register_facet_classes

QUERIES = [
    "",
    "_facet_size=max",
    "gate=assess&_facet=theme&_facet_size=max",
    "q=caf%C3%A9+%26+more&_sort_desc=said_date",
    "a=1&a=2&blank=&plus=%2B",
]
VALUES = ["assess", "café & co", "a+b=c", 42, 3.5, "", b"raw bytes", "50%", "/slash?&#"]


@pytest.mark.parametrize("query", QUERIES)
def test_a_facet_values_link_is_the_one_datasette_makes(query):
    request = Request.fake(f"/register/you_said_we_did?{query}" if query else "/register/you_said_we_did")
    for column in ("theme", "café", "_sort"):
        for value in VALUES:
            assert facet_links.path_with_added_args(request, {column: value}) == datasette_link(
                request, {column: value}
            )


def test_what_it_does_not_make_itself_is_made_by_datasette():
    request = Request.fake("/register/t?gate=assess&theme=x")
    for args, path in (({"gate": None}, None), ({"a": 1, "b": 2}, None), ({"a": 1}, "/elsewhere"), ([("a", 1)], None)):
        assert facet_links.path_with_added_args(request, args, path) == datasette_link(request, args, path)


def test_a_request_whose_address_changed_gets_its_own_links():
    request = Request.fake("/register/t?gate=assess")
    assert facet_links.path_with_added_args(request, {"theme": "x"}) == "/register/t?gate=assess&theme=x"
    request.scope["query_string"] = b"gate=plan"
    assert facet_links.path_with_added_args(request, {"theme": "x"}) == "/register/t?gate=plan&theme=x"


def test_datasettes_facets_use_it_once_the_site_has_its_facet_classes():
    register_facet_classes()
    assert datasette_facets.path_with_added_args is facet_links.path_with_added_args


def test_a_request_whose_path_changed_gets_its_own_links():
    request = Request.fake("/register/t?gate=assess")
    facet_links.path_with_added_args(request, {"theme": "x"})
    request.scope["raw_path"] = b"/register/other?gate=assess"
    assert facet_links.path_with_added_args(request, {"theme": "x"}) == datasette_link(request, {"theme": "x"})
