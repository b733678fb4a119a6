"""Datasette hook answering a record's address with the wrong number of keys with a 404:
the code is register.site.row_keys."""

from register.site.row_keys import asgi_wrapper  # noqa: F401
