"""Datasette hook: the sorts each big table offers, from the build being served. The code is register.site.sorts."""

from register.site.sorts import get_metadata  # noqa: F401
