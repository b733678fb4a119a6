"""register/site/hide_internals.py `sort_words`: a refused sort says what the table offers
instead, in words that are true when it offers nothing."""

from __future__ import annotations

from datasette.utils.asgi import Request

from register.site.hide_internals import sort_words
from register.site.sorts import Refusal

SAID = "Cannot sort table by note"


def test_a_big_view_sorted_by_no_column_says_so_plainly():
    words = sort_words(Request.fake("/register/v?_sort=note"), SAID, Refusal([], True, False))
    assert "It can be sorted by :" not in words and "the column headings with a link" not in words
    assert "It is not sorted by any column: its rows are shown in their own order." in words
    assert words.endswith("Take _sort= out of the address.")
    assert "search" not in words  # it has no search box


def test_a_table_sorted_by_metadata_yml_s_choice_is_not_said_to_be_too_big():
    words = sort_words(Request.fake("/register/t?_sort_desc=note"), SAID, Refusal(["ID", "Date"], False, True))
    assert words.startswith("This table is not sorted by note (_sort_desc=). It can be sorted by ID, Date:")
    assert "use the filters or the search" in words
