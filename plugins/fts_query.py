"""Datasette hook: table searches find a word with or without its hyphen, as the search page does. The code is register.site.fts_query."""

from register.site.fts_query import prepare_connection  # noqa: F401
