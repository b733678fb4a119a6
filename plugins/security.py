"""Datasette hooks for security headers and a read-only site: the code is register.site.security."""

from register.site.security import asgi_wrapper  # noqa: F401
