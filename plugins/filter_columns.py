"""Datasette hooks that drop tracking parameters and refuse a table filter on a column the
table does not have: the code is register.site.filter_columns."""

from register.site.filter_columns import asgi_wrapper, filters_from_request  # noqa: F401
