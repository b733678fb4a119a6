"""Datasette hook for a table's permission rules worked out once: the code is
register.site.permission_cache."""

from datasette import hookimpl

from register.site.permission_cache import cache_table_rules


@hookimpl
def startup(datasette):
    cache_table_rules(datasette)
