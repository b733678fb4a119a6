"""Datasette hook sending a failed JSON answer with a 400, not a 200: the code is register.site.json_errors."""

from register.site.json_errors import asgi_wrapper  # noqa: F401
