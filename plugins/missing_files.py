"""Datasette hook giving missing files the site's 404 page: the code is register.site.missing_files."""

from register.site.missing_files import asgi_wrapper  # noqa: F401
