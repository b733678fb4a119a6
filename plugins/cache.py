"""Datasette hooks for the response cache: the code is register.site.cache."""

from register.site.cache import asgi_wrapper  # noqa: F401
