"""Datasette hooks for limits on analysts' SQL: the code is register.site.sql_guard."""

from register.site.sql_guard import asgi_wrapper, prepare_connection, startup  # noqa: F401
