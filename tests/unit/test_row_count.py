"""The words under a table page's row count call each column by its title
(src/register/site/row_count.py), and never change a value."""

from __future__ import annotations

from datasette.filters import Filters

from register.site.row_count import plain_description

TITLES = {"gate": "Gate", "title": "Activity", "activity_date": "Date", "staff_count": "Staff"}


def test_each_filtered_or_sorted_column_is_named_by_its_title_and_values_are_kept():
    filters = Filters([("gate", "assess"), ("title__contains", 'the "gate" title')])
    said = filters.human_description_en(extra=['search matches "title"']) + " sorted by staff_count descending"
    plain = plain_description(said, TITLES.get, filters, None, "staff_count")
    assert plain == (
        'where search matches "title", Gate = "assess" and Activity contains "the "gate" title" '
        "sorted by Staff descending"
    )


def test_a_sort_alone_and_nothing_at_all():
    assert plain_description("sorted by activity_date", TITLES.get, Filters([]), "activity_date", None) == (
        "sorted by Date"
    )
    assert plain_description("", TITLES.get, Filters([]), None, None) == ""


def test_a_code_asked_for_is_followed_by_its_meaning_and_kept():
    """A screen reader spells out "shared_language"; the meaning follows it, and only where
    a filter asks a column to equal (or not equal) the code."""
    filters = Filters([("theme", "shared_language"), ("gate__not", "plan"), ("title__contains", "plan")])
    said = filters.human_description_en()
    meanings = {"theme": {"shared_language": "Shared definition and language"}, "gate": {"plan": "Plan"}}
    plain = plain_description(said, {**TITLES, "theme": "Theme"}.get, filters, None, None, meanings)
    assert plain == (
        'where Theme = "shared_language" (Shared definition and language), Gate != "plan" (Plan) '
        'and Activity contains "plan"'
    )
