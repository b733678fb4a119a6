"""Datasette hooks for the downloads page and files: the code is register.site.downloads."""

from register.site.downloads import asgi_wrapper, extra_template_vars, register_routes  # noqa: F401
