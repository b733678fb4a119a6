"""Datasette hooks that swap in each new build while serving: the code is register.site.reload."""

from register.site.reload import asgi_wrapper, startup  # noqa: F401
