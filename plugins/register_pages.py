"""Datasette hooks for the register's own pages: the code is in register.site (routes.py, cells.py)."""

from register.site.cells import render_cell  # noqa: F401
from register.site.routes import extra_template_vars, prepare_jinja2_environment, register_routes  # noqa: F401
