"""Datasette hook: its rows with labels read at C speed. The code is register.site.custom_rows."""

from register.site.custom_rows import startup  # noqa: F401
