"""Datasette hooks for the national register's publishers page: the code is register.site.publishers."""

from register.site.publishers import register_routes  # noqa: F401
