"""A release is named by the day in England it was made, the day its figures are for."""

from __future__ import annotations

import pytest

from register.publishing.release_store import choose

INPUTS = "ab" * 32


@pytest.mark.parametrize(
    ("created", "as_of", "day"),
    [
        # 00:30 on 2 June in England: the UTC date is still 1 June.
        ("2026-06-01T23:30:00Z", "2026-06-02", "2026-06-02"),
        # Winter: England keeps UTC.
        ("2026-12-01T23:30:00Z", "2026-12-01", "2026-12-01"),
        ("2026-06-01T22:59:59Z", "2026-06-01", "2026-06-01"),
    ],
)
def test_a_release_is_named_by_the_day_in_england_it_was_made(tmp_path, monkeypatch, created, as_of, day):
    monkeypatch.delenv("TZ", raising=False)
    release = choose(tmp_path / "releases", INPUTS, created, as_of)
    assert release.startswith(f"{day}-"), release
