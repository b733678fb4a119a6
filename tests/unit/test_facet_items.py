"""A facet's values written in Python (register/site/facet_items.py) say what the template
said: the column in each link, counts in words, a selected value's "Remove" link naming
what it removes, and every value escaped once."""

from __future__ import annotations

from markupsafe import Markup

from register.site.facet_items import facet_items


def test_each_value_links_with_its_column_and_counts_its_rows_in_words():
    html = facet_items(
        [
            {
                "value": "access",
                "label": "Access <& transport>",
                "count": 1234,
                "toggle_url": "/t?a=1&b=2",
                "selected": False,
            },
            {"value": 1, "label": 1, "count": 1, "toggle_url": "/t?x=1", "selected": False},
            {"value": "", "label": "", "count": 2, "toggle_url": "/t?x=", "selected": False},
        ],
        "Theme",
    )
    assert isinstance(html, Markup)
    items = html.split("\n")
    assert items[0] == (
        '<li><a href="/t?a=1&amp;b=2"><span class="visually-hidden">Theme: </span>Access &lt;&amp; transport&gt;</a> '
        '<span class="facet-count">1,234<span class="visually-hidden"> rows</span></span></li>'
    )
    assert "</span>1</a>" in items[1] and "> row</span>" in items[1]
    assert "</span>-</a>" in items[2]  # a value with no text shows as a dash


def test_a_label_given_as_markup_is_not_escaped_again():
    html = facet_items([{"label": Markup("<b>Yes</b>"), "count": 3, "toggle_url": "/t", "selected": False}], "Passed")
    assert "<b>Yes</b></a>" in html


def test_a_selected_value_says_what_its_remove_link_removes():
    html = facet_items([{"label": "Plan", "count": 5, "toggle_url": "/t", "selected": True}], "Gate")
    assert html == (
        '<li class="facet-selected"><strong>Plan</strong> <span class="facet-count">5'
        '<span class="visually-hidden"> rows, selected</span></span> <a href="/t" class="cross">'
        'Remove<span class="visually-hidden"> filter Gate: Plan</span></a></li>'
    )
