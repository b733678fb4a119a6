"""Datasette hook setting the garbage collector for serving: the code is register.site.collector."""

from register.site.collector import startup  # noqa: F401
