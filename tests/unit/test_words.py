"""Dates and counts in words, one way for the site and the report (register/util/words.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from register.publishing import reportkit
from register.site import filters
from register.util.words import agree, every, uk_date, uk_moment


def test_a_date_is_written_as_people_in_england_write_it():
    assert uk_date("2024-08-06") == "6 August 2024"
    assert uk_date("2024-08-06T10:00:00") == "6 August 2024"
    assert uk_date(dt.date(2025, 1, 31)) == "31 January 2025"
    assert uk_date(None) == uk_date("") == ""
    assert uk_date("not known") == "not known", "text that is no date is shown as it is, not a traceback"


def test_the_site_and_the_report_write_dates_the_same_way():
    assert filters.uk_date is reportkit.uk_date is uk_date
    assert str(filters.uk_time("2024-02-29")) == '<time datetime="2024-02-29">29 February 2024</time>'


def test_a_word_agrees_with_its_count():
    assert [agree(n, "has", "have") for n in (0, 1, 2, None)] == ["have", "has", "have", "have"]


def test_a_moment_is_written_in_words_in_england_s_time(monkeypatch):
    # It was "31 May 2026 at 23:30 UTC" beside a date of 1 June: the day in England.
    monkeypatch.delenv("TZ", raising=False)
    assert uk_moment("2026-12-04T15:41:25Z") == "4 December 2026 at 3:41pm"  # GMT
    assert uk_moment("2026-06-01T00:30:00+01:00") == "1 June 2026 at 12:30am"  # BST
    assert uk_moment("2026-05-31T23:00:00Z") == "1 June 2026 at midnight"
    assert uk_moment("2026-07-01T11:00:00Z") == "1 July 2026 at midday"
    assert uk_moment("2026-01-05T09:00:00+00:00") == "5 January 2026 at 9am"
    assert uk_moment("") == "" and uk_moment(None) == ""
    assert uk_moment("not a time") == "not a time" and uk_moment("2026-12-04") == "2026-12-04"


@pytest.mark.parametrize(
    "given, said",
    [
        ("P1M", "every month"),
        ("P3M", "every 3 months"),
        ("P2W", "every 2 weeks"),
        ("p1y", "every year"),
        ("P1D", "every day"),
        ("P1Y6M", "every 1 year and 6 months"),
        ("monthly", "monthly"),
        ("", ""),
        (None, ""),
        ("P", "P"),
    ],
)
def test_an_update_frequency_is_said_as_how_often(given, said):
    assert every(given) == said
