"""Datasette hook that refuses a table filter on a column the table does not have: the
code is register.site.filter_columns."""

from register.site.filter_columns import filters_from_request  # noqa: F401
