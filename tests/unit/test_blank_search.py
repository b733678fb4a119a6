"""Which search parameters are taken out before Datasette reads them, and that nothing else
in the query string changes."""

from __future__ import annotations

import pytest

from register.site.blank_search import without_blank_searches

KEEP = b"_sort=said_date&status__exact=open&_facet=theme"


@pytest.mark.parametrize(
    "blank", [b"_search=%20", b"_search=+", b"_search=%22", b"_search=%22+%22", b"_search_title=%20%20", b"_search="]
)
def test_a_search_with_no_word_is_taken_out(blank):
    assert without_blank_searches(KEEP + b"&" + blank) == KEEP
    assert without_blank_searches(blank + b"&" + KEEP) == KEEP


@pytest.mark.parametrize(
    "qs",
    [
        KEEP,
        b"_search=waiting+lists&" + KEEP,
        b"_search=%22waiting%22&" + KEEP,
        b"_search_title=caf%C3%A9",
        b"_searchmode=raw&_search=%22",  # SQLite's own syntax, mistakes and all
        b"_searchmode=escaped&sql=select+%22%22",
    ],
)
def test_everything_else_is_passed_on_byte_for_byte(qs):
    assert without_blank_searches(qs) is qs
