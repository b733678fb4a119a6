"""Datasette hooks for the citable releases: the code is register.site.releases."""

from register.site.releases import extra_template_vars, register_routes  # noqa: F401
