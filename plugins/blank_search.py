"""Datasette hook that lets a blank table search show the table: the code is register.site.blank_search."""

from register.site.blank_search import asgi_wrapper  # noqa: F401
