"""Datasette hook for the .Notebook page, in place of datasette-export-notebook's own: the
code is register.site.notebook_page."""

from register.site.notebook_page import register_output_renderer, unplug_original  # noqa: F401

unplug_original()
