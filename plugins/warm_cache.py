"""Datasette hooks for warming the response cache: the code is register.site.warm_cache."""

from register.site.warm_cache import startup  # noqa: F401
