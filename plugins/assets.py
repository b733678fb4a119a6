"""Datasette hook giving the templates static_url(): the code is register.site.assets."""

from register.site.assets import prepare_jinja2_environment  # noqa: F401
