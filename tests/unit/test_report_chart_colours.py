"""The report's charts colour a value as the site's measure pages do (register/util/palette.py):
offered, yes and balanced green, not offered, no and staff outnumbered red, not recorded
grey. They took the next colour of the category palette instead, so "not recorded" was
blue in the report and grey on the site, and "offered" blue beside the site's green."""

import re

import pandas as pd

from register.publishing import report_charts as charts
from register.util import palette


def fills(figure) -> set[str]:
    return {c.lower() for c in re.findall(r'fill="(#[0-9a-fA-F]{6})"', str(figure))}


def test_reimbursement_is_coloured_as_on_the_site():
    rows = pd.DataFrame({"reimbursement": ["not recorded"], "activities": [8]})
    assert palette.UNKNOWN.lower() in fills(charts.reimbursement(rows, "Reimbursement offered"))
    rows = pd.DataFrame({"reimbursement": ["offered", "not offered"], "activities": [2, 1]})
    assert {palette.YES.lower(), palette.NO.lower()} <= fills(charts.reimbursement(rows, "Reimbursement offered"))


def test_strategic_group_is_coloured_as_on_the_site():
    rows = pd.DataFrame(
        {
            "organisation": ["a", "a"],
            "organisation_title": ["An ICB", "An ICB"],
            "came_through_group": ["not recorded", "yes"],
            "projects": [1, 9],
        }
    )
    assert {palette.UNKNOWN.lower(), palette.YES.lower()} <= fills(charts.strategic_group(rows))


def test_balance_is_coloured_as_on_the_site():
    rows = pd.DataFrame(
        {
            "lived_experience_count": [5, 1],
            "staff_count": [2, 4],
            "balance": [palette.BALANCED, palette.STAFF_OUTNUMBERED],
        }
    )
    assert {palette.YES.lower(), palette.NO.lower()} <= fills(charts.balance(rows))
