"""Datasette hooks for versioned, immutable URLs: the code is register.site.hashed_urls."""

from register.site.hashed_urls import asgi_wrapper  # noqa: F401
