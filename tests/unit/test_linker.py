"""register.site.links.Linker: a link made once is given again, and titles added later
change the links made after."""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup

from register.site.links import Linker

URLS = SimpleNamespace(path=lambda p: "/base" + p, row=lambda db, table, key: f"/base/{db}/{table}/{key}")
CODELISTS = {"gates": {"plan": {"title": "Plan"}}}


def linker() -> Linker:
    return Linker(SimpleNamespace(urls=URLS), CODELISTS, {"current_gate": "gates"})


def test_a_code_links_to_its_meaning_in_words_and_the_same_link_is_given_again():
    made = linker()
    first = made("current_gate", "plan")
    assert first == Markup('<a href="/base/register/gates/plan">Plan</a>')
    assert made("current_gate", "plan") is first
    assert made("current_gate", "plan", "the Plan gate") == Markup(
        '<a href="/base/register/gates/plan">the Plan gate</a>'
    )
    assert made("current_gate", "") == "" and made("gates", "unknown") == "unknown"


def test_titles_added_later_are_used_by_the_links_made_after():
    made = linker()
    assert made("organisations", "nn_icb") == "nn_icb"  # not known yet: no link
    made.add("organisations", {"nn_icb": "NHS Nottingham <and> Nottinghamshire ICB"})
    assert made("organisations", "nn_icb") == Markup(
        '<a href="/base/register/organisations/nn_icb">NHS Nottingham &lt;and&gt; Nottinghamshire ICB</a>'
    )
