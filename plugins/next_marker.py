"""Datasette hook refusing a table page's `_next=` that is not where a next page starts: the code is register.site.next_marker."""

from register.site.next_marker import filters_from_request  # noqa: F401
