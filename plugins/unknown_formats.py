"""Datasette hook answering a data page asked for in a format the register does not make
with a 404: the code is register.site.unknown_formats."""

from register.site.unknown_formats import register_routes  # noqa: F401
