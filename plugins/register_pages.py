"""Datasette hooks for the register's own pages: the code is register.site.pages."""

from register.site.pages import extra_template_vars, prepare_jinja2_environment, register_routes  # noqa: F401
