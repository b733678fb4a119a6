"""Datasette hooks for bounds on the size of a request: the code is register.site.limits."""

from register.site.limits import asgi_wrapper  # noqa: F401
