"""Datasette hooks for no internals shown, plain errors: the code is register.site.hide_internals."""

from register.site.hide_internals import handle_exception, register_routes, startup  # noqa: F401
