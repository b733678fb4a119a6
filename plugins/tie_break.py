"""Datasette hook: a sorted table page's first page is ordered as its next pages are. The code is register.site.tie_break."""

from register.site.tie_break import filters_from_request  # noqa: F401
